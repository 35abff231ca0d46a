"""Flag scans as background jobs. Thin: take ids, load, call a service.

The beat schedule that runs them lives in settings (``CELERY_BEAT_SCHEDULE``). Each task is
safe to run twice or concurrently: scans reconcile against the one-open-flag-per-cause
constraint.
"""

from __future__ import annotations

from celery import shared_task

from core.jobs import RETRY, day_or_today
from core.models import Provider
from governance.flags.services import Scope, flags_reevaluate, flags_scan_provider


@shared_task(**RETRY)
def scan_provider(provider_id: int, today: str | None = None) -> dict:
    """Scan one provider's flags. Returns counts per kind: raised, still open, resolved."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return {}
    result = flags_scan_provider(provider=provider, today=day_or_today(today))
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
def reevaluate_flags(provider_id: int, service_id: int | None, whole: bool = False, today: str | None = None) -> dict:
    """Re-evaluate one service's flags (or the provider-wide ones; ``whole``: every flag) after an event."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return {}
    scope = None if whole else Scope(service_id)
    result = flags_reevaluate(provider=provider, scope=scope, today=day_or_today(today))
    return {
        "provider": provider_id,
        "service": service_id,
        "raised": dict(result.raised),
        "still_open": dict(result.still_open),
        "resolved": dict(result.resolved),
    }
