"""Evidence packs: a requested PDF, its progress, and the stored file with its hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.models import Provider, Service
from recovery.models import RecoveryAction


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
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="packs/", blank=True, max_length=300)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("governance:pack_detail", kwargs={"pk": self.pk})
