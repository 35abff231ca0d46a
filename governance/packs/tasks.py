"""The pack jobs: thin, take an id, safe to run twice.

``render_pack`` claims the row before any work (``services.pack_claim``), so a second delivery
of the same pack does nothing unless it is the same job taking back its own claim after its
worker process died (acks_late + reject_on_worker_lost redeliver it). Its result is the pack
row, never a Celery result. ``reap_stuck_packs`` (beat, every few minutes) sends stuck packs
again or fails them; each change is a conditional UPDATE, so overlapping runs are harmless.

A long full pack is spread over the workers (``PACK_DISTRIBUTE``): ``render_pack`` prepares
its parts and sends them as one group of ``render_pack_part`` jobs, each with a time limit
sized for one part (``PACK_PART_SOFT_TIME_LIMIT``); the part that completes the set sends
``merge_pack``. Completion is counted on the pack row, not in a chord's result store, so a
redelivered part or a second merge does nothing and no result backend is needed.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from governance.packs import services, stuck


@shared_task(
    bind=True,
    name="governance.packs.render_pack",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=3,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def render_pack(self, pack_id: int) -> str:
    """Render one pack. Rendering errors fail the pack (with its reason), not the job."""
    result = services.pack_render(pack_id=pack_id, job_id=self.request.id, distribute=settings.PACK_DISTRIBUTE)
    return "skipped" if result is None else result.pack.status


@shared_task(
    name="governance.packs.render_pack_part",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.PACK_PART_SOFT_TIME_LIMIT,
    time_limit=settings.PACK_PART_SOFT_TIME_LIMIT + 60,
)
def render_pack_part(pack_id: int, attempt: int, index: int) -> str:
    """Lay out one part of a long pack (any worker); the last one in sends the merge."""
    return services.pack_render_part(pack_id=pack_id, attempt=attempt, index=index)


@shared_task(
    bind=True,
    name="governance.packs.merge_pack",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def merge_pack(self, pack_id: int, attempt: int) -> str:
    """Join a long pack's parts under its cover and contents, and store it."""
    pack = services.pack_merge(pack_id=pack_id, attempt=attempt, job_id=self.request.id)
    return "skipped" if pack is None else pack.status


@shared_task(name="governance.packs.reap_stuck_packs", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def reap_stuck_packs() -> dict:
    """Send again the packs stuck in the queue or lost while rendering; fail those out of attempts."""
    return stuck.packs_reap().as_dict()
