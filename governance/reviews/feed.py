"""The calendar feed's secret: each person's ICS address, renewed or switched off by them.

The address carries an HMAC of the user id, this secret and the password hash
(``selectors.ics_token``), so renewing, switching off or changing the password stops every
earlier address.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from governance.reviews.models import CalendarFeed


@transaction.atomic
def _reset(actor, *, revoked: bool) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.select_for_update().get_or_create(user=actor)
    feed.secret = secrets.token_urlsafe(32)
    feed.revoked = revoked
    feed.save()
    return feed


def calendar_feed_renew(*, actor) -> CalendarFeed:
    """A new feed address for ``actor``: every earlier one stops working."""
    return _reset(actor, revoked=False)


def calendar_feed_revoke(*, actor) -> CalendarFeed:
    """No feed address for ``actor`` until they renew it."""
    return _reset(actor, revoked=True)
