"""The pack render job: thin, takes an id, safe to run twice (the service claims the row)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from governance.packs import services


@shared_task(
    name="governance.packs.render_pack",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=3,
)
def render_pack(pack_id: int) -> str:
    """Render one pack. Rendering errors fail the pack (with its reason), not the job."""
    result = services.pack_render(pack_id=pack_id)
    return "skipped" if result is None else result.pack.status
