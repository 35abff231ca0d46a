"""The second factor: TOTP codes from an authenticator app, with single-use recovery codes.

Built on django-otp (its TOTP and static-token devices), under Django's own sign-in view and
django-axes. After the password a session is signed in but not *verified*
(``request.user.is_verified()``); ``middleware.SecondFactorMiddleware`` lets such a session
reach only the code page (enrolled people) or the enrolment page (people who must use a second
factor and have not set one up), so nothing else is served until the code is given.

- Who must use it: ``policy.required_reason`` (``MFA_REQUIRED_ROLES`` and each service's
  ``mfa_required`` flag).
- Writes (enrol, verify, new recovery codes, turn off, an admin's reset), each on the audit
  trail: ``services``.
- Wrong codes count as failed sign-ins in django-axes (the same lockout and page as wrong
  passwords); each device also backs off exponentially (django-otp's throttling).
"""
