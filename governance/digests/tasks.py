"""Email digests as background jobs. Thin: take ids, load, call a service.

Safe to run twice or concurrently: each digest claims a ``DigestSent`` row before sending.
"""

from __future__ import annotations

from celery import shared_task

from core.jobs import RETRY, day_or_today
from core.models import User
from governance.digests import services as digests


@shared_task(**RETRY)
def send_digest(user_id: int, kind: str, today: str | None = None) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    return digests.digest_send(user=user, kind=kind, today=day_or_today(today))


@shared_task(**RETRY)
def send_digests(kind: str, today: str | None = None) -> int:
    """Queue one digest per recipient of ``kind`` (weekly or monthly)."""
    day = day_or_today(today).isoformat()
    ids = list(digests.recipients(kind).values_list("pk", flat=True))
    for user_id in ids:
        send_digest.delay(user_id, kind, day)
    return len(ids)


@shared_task(**RETRY)
def send_weekly_digests() -> int:
    return send_digests(digests.WEEKLY)


@shared_task(**RETRY)
def send_monthly_digests() -> int:
    return send_digests(digests.MONTHLY)
