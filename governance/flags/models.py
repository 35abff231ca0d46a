"""Flags: what a scan noticed that a person must look at."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core import limits
from core.limits import length_checks, text_field
from core.models import Provider, Service


class Flag(models.Model):
    """Something a scan noticed that a person must look at.

    At most one open flag per (kind, subject, cause): a database constraint makes re-runs
    harmless. A flag resolves itself when its cause clears; resolved flags stay as history.
    """

    class Kind(models.TextChoices):
        UNSUPPORTED_CLOSURE = "unsupported_closure", "Unsupported closure"
        OVERDUE_REVIEW = "overdue_review", "Overdue review"
        OVERDUE_ACTION = "overdue_action", "Overdue action"
        OVERDUE_AUDIT = "overdue_audit", "Overdue audit"
        STALE_MEASURE = "stale_measure", "Stale measure"
        DRIFT = "drift", "Drift after closure"
        OVERDUE_REQUEST = "overdue_request", "Unanswered request past its date"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="flags")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="flags", null=True, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What the flag is about, e.g. ("action", 12) or ("measure", 7); label and URL are kept
    # so a flag still reads well if its subject changes.
    subject_type = models.CharField(max_length=30)
    subject_id = models.PositiveBigIntegerField()
    subject_label = models.CharField(max_length=250)
    subject_url = models.CharField(max_length=250, blank=True)
    # A stable key for the reason, e.g. "no_impact_evidence" or "audit:12:2026-W46".
    cause = models.CharField(max_length=120)
    detail = text_field(max_length=limits.NOTE)
    raised_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = text_field(blank=True, max_length=limits.NOTE)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            *length_checks(detail=limits.NOTE, acknowledgement_note=limits.NOTE),
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "cause"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_flag_per_cause",
            ),
        ]
        indexes = [models.Index(fields=["provider", "service", "kind", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_label}"

    def get_absolute_url(self) -> str:
        return reverse("governance:flag_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
