"""Login throttling: django-axes with a second, per-address limit.

Axes counts failures for every combination in ``AXES_LOCKOUT_PARAMETERS`` and compares the
largest count with one ``AXES_FAILURE_LIMIT``. We want two limits: ``AXES_FAILURE_LIMIT`` for
one account from one address (a person mistyping, or a guess at one account) and a higher
``AXES_IP_FAILURE_LIMIT`` for one address whatever the usernames (one machine trying many
accounts), because a care home's staff often share one public address. The settings list the
pair first and the address second; this handler reads them in that order.

A successful sign-in clears the failures of that account from that address only: signing in to
one's own account must not wipe the address's count of failures on other accounts.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


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

    def reset_user_attempts(self, request, credentials=None) -> int:
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count
