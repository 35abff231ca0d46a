"""Evidence packs: a requested PDF, its progress, and the stored file with its hash."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import limits
from core.limits import length_checks, text_field
from core.models import Provider, Service
from recovery.models import RecoveryAction

RENDERER_UNAVAILABLE = (
    "The renderer is unavailable just now; your pack is saved and will be sent to the renderer again shortly."
)

WAITING = "Waiting for the renderer"


def requeue_after() -> datetime.timedelta:
    """A queued pack not taken by a worker for this long is sent to the renderer again."""
    return datetime.timedelta(minutes=settings.PACK_REQUEUE_MINUTES)


def render_stale_after() -> datetime.timedelta:
    """A pack still "rendering" this long was lost with its worker: the hard time limit kills any
    render before then (CELERY_TASK_TIME_LIMIT), so nothing is still working on it."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def lost_q(now: datetime.datetime) -> Q:
    """Packs "rendering" with no sign of life for ``render_stale_after``: lost with their worker.

    A render spread over workers (``PackPart``) shows life each time a part finishes
    (``touched_at``), so a long pack whose parts are still coming in is not taken for lost.
    """
    cut = now - render_stale_after()
    Status = EvidencePack.Status
    return Q(status=Status.RENDERING, started_at__lt=cut) & (Q(touched_at__isnull=True) | Q(touched_at__lt=cut))


def stuck_q(now: datetime.datetime) -> Q:
    """Packs that may be tried again: failed, never handed over, or stuck past their limits.

    ``EvidencePack.is_stuck`` is the same rule for one row in Python; keep them together.
    """
    waited = now - requeue_after()
    Status = EvidencePack.Status
    return (
        Q(status=Status.FAILED)
        | Q(status=Status.QUEUED, progress_note=RENDERER_UNAVAILABLE)
        | Q(status=Status.QUEUED, queued_at__lt=waited)
        | Q(status=Status.QUEUED, queued_at__isnull=True, requested_at__lt=waited)
        | lost_q(now)
    )


class EvidencePack(models.Model):
    """A PDF rendered in the background for inspectors or commissioners."""

    class Kind(models.TextChoices):
        FULL = "full", "Re-inspection evidence pack"
        ACTION = "action", "Concern to outcome (one action)"
        COMMISSIONER = "commissioner", "Commissioner update"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="packs")
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="packs",
        null=True,
        blank=True,
        help_text="The service it was generated from; empty when generated for the provider.",
    )
    services = models.ManyToManyField(Service, related_name="+", blank=True)
    action = models.ForeignKey(RecoveryAction, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FULL)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, editable=False)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_note = models.CharField(max_length=200, blank=True)
    error = text_field(blank=True, max_length=limits.NOTE)
    file = models.FileField(upload_to="packs/", blank=True, max_length=300)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Recovery of stuck work (governance/packs/stuck.py): when the render job was last sent to the
    # broker (or tried), how many times a render has claimed the pack, and which job holds it.
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    claimed_by = models.CharField(max_length=255, blank=True, editable=False)
    # A long pack rendered across workers (services.pack_render with distribute): how many parts
    # its current attempt was cut into and how many are laid out, when the merge was claimed,
    # what the cover and contents need once every part is in, and the last sign of life.
    parts_total = models.PositiveIntegerField(default=0, editable=False)
    parts_done = models.PositiveIntegerField(default=0, editable=False)
    merge_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    front = models.JSONField(default=dict, blank=True, editable=False)
    touched_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [*length_checks(error=limits.NOTE)]
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("governance:pack_detail", kwargs={"pk": self.pk})

    @property
    def renderer_unavailable(self) -> bool:
        """Saved but not yet handed to the renderer: the broker was down when it was sent."""
        return self.status == self.Status.QUEUED and self.progress_note == RENDERER_UNAVAILABLE

    def is_stuck(self, now: datetime.datetime | None = None) -> bool:
        """May be tried again (``stuck_q`` for this row): failed, or waiting past its limit."""
        now = now or timezone.now()
        if self.status == self.Status.FAILED or self.renderer_unavailable:
            return True
        if self.status == self.Status.QUEUED:
            return (self.queued_at or self.requested_at) < now - requeue_after()
        if self.status == self.Status.RENDERING:
            cut = now - render_stale_after()
            alive = self.touched_at is not None and self.touched_at >= cut
            return self.started_at is not None and self.started_at < cut and not alive
        return False


class PackPart(models.Model):
    """One chunk of a long pack, laid out by whichever worker takes it (``tasks.render_pack_part``).

    The coordinating render writes each chunk's finished HTML to storage and a row per chunk;
    a part's job lays it out and stores the PDF and the facts the merge needs (pages, their
    orientation, anchors, bookmarks, links); the job that lays out the last part sends the merge.
    Rows belong to one attempt of the pack: a later attempt never reads an earlier one's parts.
    """

    pack = models.ForeignKey(EvidencePack, on_delete=models.CASCADE, related_name="parts")
    attempt = models.PositiveSmallIntegerField()
    index = models.PositiveIntegerField()
    html_name = models.CharField(max_length=300)
    pdf_name = models.CharField(max_length=300, blank=True)
    layout = models.JSONField(default=dict, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pack", "attempt", "index"], name="one_part_per_index")]
        ordering = ["pack", "attempt", "index"]

    def __str__(self) -> str:
        return f"Part {self.index + 1} of pack {self.pack_id} (attempt {self.attempt})"
