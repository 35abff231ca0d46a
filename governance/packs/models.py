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
        | Q(status=Status.RENDERING, started_at__lt=now - render_stale_after())
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
            return self.started_at is not None and self.started_at < now - render_stale_after()
        return False
