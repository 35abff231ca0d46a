"""What a password-only session still owes, kept in the session so pages cost no queries.

Worked out at sign-in, and again at most every ``RECHECK_SECONDS`` while the session is not
verified, so a role or a service flag given during a session takes effect within minutes.
A verified session owes nothing (django-otp checks its device on every request)."""

from __future__ import annotations

import time

from .policy import Step, step_due

KEY = "mfa_step_due"
RECHECK_SECONDS = 300


def remember(request, user) -> Step | None:
    due = getattr(request, "_mfa_step_due", None)
    if due is None or due[0] != user.pk:
        due = (user.pk, step_due(user))
        request._mfa_step_due = due
    request.session[KEY] = {"due": due[1] and str(due[1]), "at": time.time()}
    return due[1]


def owed(request) -> Step | None:
    """The step this signed-in session must take before any other page, if any."""
    user = request.user
    if user.is_verified():
        return None
    state = request.session.get(KEY)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > RECHECK_SECONDS:
        return remember(request, user)
    return Step(state["due"]) if state.get("due") else None


def forget(request) -> None:
    """After a code or an enrolment: the session is verified, nothing is owed."""
    request.session.pop(KEY, None)
