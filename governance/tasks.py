"""Background jobs: flag scans and email digests. Thin: take ids, load, call a service.

The beat schedule that runs them lives in settings (``CELERY_BEAT_SCHEDULE``). Each task is
safe to run twice or concurrently: scans reconcile against the one-open-flag-per-cause
constraint and digests claim a ``DigestSent`` row before sending.
"""

from __future__ import annotations

import datetime
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from core.models import Provider, User

from . import digests
from .services.flags import flags_scan_provider

# Transient failures worth another try: the database or the mail server briefly away.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def _day(value: str | None) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**RETRY)
def scan_provider(provider_id: int, today: str | None = None) -> dict:
    """Scan one provider's flags. Returns counts per kind: raised, still open, resolved."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return {}
    result = flags_scan_provider(provider=provider, today=_day(today))
    return {
        "provider": provider_id,
        "raised": dict(result.raised),
        "still_open": dict(result.still_open),
        "resolved": dict(result.resolved),
    }


@shared_task(**RETRY)
def scan_all(today: str | None = None) -> int:
    """Queue one scan per provider (each runs, and retries, on its own)."""
    ids = list(Provider.objects.order_by("pk").values_list("pk", flat=True))
    for provider_id in ids:
        scan_provider.delay(provider_id, today)
    return len(ids)


@shared_task(**RETRY)
def send_digest(user_id: int, kind: str, today: str | None = None) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    return digests.digest_send(user=user, kind=kind, today=_day(today))


@shared_task(**RETRY)
def send_digests(kind: str, today: str | None = None) -> int:
    """Queue one digest per recipient of ``kind`` (weekly or monthly)."""
    day = _day(today).isoformat()
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
