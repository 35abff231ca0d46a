"""Login throttling: django-axes with a second, per-address limit.

Axes counts failures for every combination in ``AXES_LOCKOUT_PARAMETERS`` and compares the
largest count with one ``AXES_FAILURE_LIMIT``. We want two limits: ``AXES_FAILURE_LIMIT`` for
one account from one address (a person mistyping, or a guess at one account) and a higher
``AXES_IP_FAILURE_LIMIT`` for one address whatever the usernames (one machine trying many
accounts), because a care home's staff often share one public address. The settings list the
pair first and the address second; this handler reads them in that order.

A successful sign-in clears the failures of that account from that address only: signing in to
one's own account must not wipe the address's count of failures on other accounts. When a
second factor follows the password, the sign-in is not complete yet: the failures are cleared
only when the code is given (``core.mfa.views``), so wrong codes between right passwords add up
to the same lockout as wrong passwords.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


def username_of(request, credentials=None) -> str | None:
    """The account an attempt is on, as stored (email addresses are kept lower-case), so
    "RM@Example.org" and "rm@example.org", a password and a second-factor code, count together."""
    data = credentials if credentials else getattr(request, "POST", {})
    username = data.get(settings.AXES_USERNAME_FORM_FIELD) if data else None
    return username.strip().lower() if isinstance(username, str) else username


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class PairAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        pair, *address = self.get_user_attempts(request, credentials)
        failures = _failures(pair)
        if address and _failures(address[0]) >= settings.AXES_IP_FAILURE_LIMIT:
            # Report the address's lockout in the pair's terms: axes compares with one limit.
            failures = max(failures, get_failure_limit(request, credentials))
        return failures

    def user_logged_in(self, sender, request, user, **kwargs):
        from core.mfa.session import remember

        request.axes_reset_deferred = remember(request, user) is not None
        return super().user_logged_in(sender, request, user, **kwargs)

    def reset_user_attempts(self, request, credentials=None) -> int:
        if getattr(request, "axes_reset_deferred", False):
            return 0
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count
