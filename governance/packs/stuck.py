"""Stuck packs: the periodic reaper and the "Try again" button.

Work is lost in three ways: the broker was down when the job was sent (the pack stays queued
with a note), a message waits behind a worker that died whole (Redis redelivers it only after
its visibility timeout), or a render's process was killed and nothing redelivered it. The pack
row is the truth, so the reaper looks at rows, not at the broker:

- queued and not taken for ``PACK_REQUEUE_MINUTES``: sent again;
- "rendering" past the hard time limit (``render_stale_after``): no render can still be running,
  so it goes back to the queue and is sent again, until it has been claimed
  ``PACK_RENDER_ATTEMPTS`` times; then it is failed, and "Try again" starts it afresh.

Every change is a conditional UPDATE on the state the reaper saw, so two reapers, or a reaper
and a worker, never both act on one pack; a second job sent for a pack is harmless because
rendering claims the row first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import permissions as policy
from core.audit import log_update
from governance.models import EvidencePack
from governance.packs import services
from governance.packs.models import WAITING, lost_q, requeue_after, stuck_q

Status = EvidencePack.Status
SENT_AGAIN = "Sent to the renderer again: the last render stopped before it finished"


@dataclass
class ReapResult:
    requeued: list[int] = field(default_factory=list)  # queued too long: sent again
    restarted: list[int] = field(default_factory=list)  # lost while rendering: queued and sent again
    failed: list[int] = field(default_factory=list)  # lost while rendering, out of attempts

    def as_dict(self) -> dict:
        return {"requeued": self.requeued, "restarted": self.restarted, "failed": self.failed}


def packs_reap(*, now=None) -> ReapResult:
    """Send again or fail every stuck pack; safe to run at any time, and concurrently."""
    now = now or timezone.now()
    result = ReapResult()
    waited = now - requeue_after()
    not_taken = Q(status=Status.QUEUED) & (Q(queued_at__lt=waited) | Q(queued_at__isnull=True, requested_at__lt=waited))
    for pk in EvidencePack.objects.filter(not_taken).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Moving queued_at claims this re-send: a concurrent reaper finds nothing to do.
            if EvidencePack.objects.filter(not_taken, pk=pk).update(queued_at=now) == 1:
                services.pack_queue(pack_id=pk)
                result.requeued.append(pk)

    lost = lost_q(now)
    limit = settings.PACK_RENDER_ATTEMPTS
    for pk in EvidencePack.objects.filter(lost).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            restarted = EvidencePack.objects.filter(lost, pk=pk, attempts__lt=limit).update(
                status=Status.QUEUED, queued_at=now, progress=0, progress_note=SENT_AGAIN, claimed_by=""
            )
            if restarted == 1:
                services.pack_queue(pack_id=pk)
                result.restarted.append(pk)
                continue
            failed = EvidencePack.objects.filter(lost, pk=pk, attempts__gte=limit).update(
                status=Status.FAILED,
                error=services.exhausted_message(limit),
                progress_note="Failed",
                finished_at=now,
                claimed_by="",
            )
            if failed == 1:
                result.failed.append(pk)
    return result


def pack_may_generate(user, pack: EvidencePack) -> bool:
    """The pack-creation rule for this pack: its action, or every service it covers."""
    if pack.action_id:
        return policy.can(user, policy.Verb.GENERATE_PACK, pack.action)
    covered = list(pack.services.all())
    return bool(covered) and all(policy.can(user, policy.Verb.GENERATE_PACK, s) for s in covered)


@transaction.atomic
def pack_retry(*, user, pack: EvidencePack) -> EvidencePack:
    """Start a failed or stuck pack afresh (same row, attempts reset) and send it to the renderer."""
    if not pack_may_generate(user, pack):
        raise PermissionDenied("Your role does not allow generating this pack.")
    now = timezone.now()
    before, tries = pack.status, pack.attempts
    changed = EvidencePack.objects.filter(stuck_q(now), pk=pack.pk).update(
        status=Status.QUEUED,
        attempts=0,
        claimed_by="",
        error="",
        progress=0,
        progress_note=WAITING,
        queued_at=now,
        started_at=None,
        finished_at=None,
    )
    if changed != 1:
        raise ValidationError("This pack is not stuck: it is ready, or still being prepared.")
    pack.refresh_from_db()
    log_update(pack, {"status": (before, pack.status), "attempts": (tries, 0)}, actor=user)
    services.pack_queue(pack_id=pack.pk)
    return pack
