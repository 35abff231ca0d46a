"""Evidence items: anything that shows what happened, with the date it refers to.

Evidence is a layer below recovery plans: themes, actions, measures and audits link to it
(the many-to-many fields live on those models), so the evidence app never imports them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from core import limits
from core.limits import length_checks, text_field
from core.models import EvidenceCategory, FrameworkItem, Provider, Service


class SourceType(models.TextChoices):
    CARE_RECORD = "care_record", "Care record"
    AUDIT = "audit", "Audit"
    PEOPLES_FEEDBACK = "peoples_feedback", "People's feedback"
    FAMILY_FEEDBACK = "family_feedback", "Family feedback"
    STAFF_FEEDBACK = "staff_feedback", "Staff feedback"
    PARTNER_FEEDBACK = "partner_feedback", "Partner feedback"
    OBSERVATION = "observation", "Observation of practice"
    COMPETENCY_CHECK = "competency_check", "Competency check"
    SUPERVISION_RECORD = "supervision_record", "Supervision record"
    COMPLAINT_RECORD = "complaint_record", "Complaint record"
    INCIDENT_RECORD = "incident_record", "Incident record"
    ROTA_RECORD = "rota_record", "Rota or staffing record"
    TRAINING_RECORD = "training_record", "Training record"
    GOVERNANCE_MINUTES = "governance_minutes", "Governance minutes"
    DOCUMENT = "document", "Updated policy, plan or document"
    OTHER = "other", "Other"


class Nature(models.TextChoices):
    IMPACT = "impact", "Impact"
    ACTIVITY = "activity", "Activity"


# What a source type shows by default: impact (outcomes, observed practice, people's
# experience, re-audit) or only activity (training attended, document updated, meeting held).
# A person may override it for one item, with a reason.
DEFAULT_NATURE: dict[str, str] = {
    SourceType.CARE_RECORD: Nature.IMPACT,
    SourceType.AUDIT: Nature.IMPACT,
    SourceType.PEOPLES_FEEDBACK: Nature.IMPACT,
    SourceType.FAMILY_FEEDBACK: Nature.IMPACT,
    SourceType.STAFF_FEEDBACK: Nature.IMPACT,
    SourceType.PARTNER_FEEDBACK: Nature.IMPACT,
    SourceType.OBSERVATION: Nature.IMPACT,
    SourceType.COMPETENCY_CHECK: Nature.IMPACT,
    SourceType.COMPLAINT_RECORD: Nature.IMPACT,
    SourceType.INCIDENT_RECORD: Nature.IMPACT,
    SourceType.ROTA_RECORD: Nature.IMPACT,
    SourceType.SUPERVISION_RECORD: Nature.ACTIVITY,
    SourceType.TRAINING_RECORD: Nature.ACTIVITY,
    SourceType.GOVERNANCE_MINUTES: Nature.ACTIVITY,
    SourceType.DOCUMENT: Nature.ACTIVITY,
    SourceType.OTHER: Nature.ACTIVITY,
}


def evidence_upload_to(instance: EvidenceItem, filename: str) -> str:
    # A random name on disk: the original (sanitised) name is kept in ``file_name``.
    return f"evidence/{instance.provider_id}/{uuid.uuid4().hex}"


class EvidenceQuerySet(models.QuerySet):
    def current(self):
        """Not removed. Removed items keep their record and history but leave every list."""
        return self.filter(removed_at__isnull=True)

    def impact(self):
        return self.filter(nature=Nature.IMPACT)


class EvidenceItem(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="evidence_items")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="evidence_items", null=True, blank=True)
    title = models.CharField(max_length=200)
    description = text_field(blank=True, max_length=limits.NARRATIVE)
    refers_to = models.DateField("date it refers to", help_text="When the thing it shows happened.")
    category = models.ForeignKey(
        EvidenceCategory, on_delete=models.PROTECT, null=True, blank=True, verbose_name="CQC evidence category"
    )
    source_type = models.CharField(max_length=30, choices=SourceType.choices)
    nature = models.CharField(max_length=10, choices=Nature.choices)
    nature_override_reason = models.CharField(max_length=300, blank=True)
    recorded_in = models.CharField("where it is recorded", max_length=200, blank=True)
    framework_items = models.ManyToManyField(FrameworkItem, blank=True, related_name="evidence_items")

    file = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=300)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_content_type = models.CharField(max_length=120, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removal_reason = models.CharField(max_length=300, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        constraints = [*length_checks(description=limits.NARRATIVE)]
        ordering = ["-refers_to", "-pk"]
        indexes = [
            # The library: current items of a service and the provider-wide ones, newest first.
            # Partial (current items only) and in the list's order, so "this service or
            # provider-wide" is two index ranges and the count never reads the table.
            models.Index(
                fields=["provider", "service", "-refers_to", "-id"],
                condition=models.Q(removed_at__isnull=True),
                name="evidence_current_by_date",
            ),
            # The provider-wide library (every service): the first page read straight from the
            # index in the list's order, not sorted out of all the provider's items.
            models.Index(
                fields=["provider", "-refers_to", "-id"],
                condition=models.Q(removed_at__isnull=True),
                name="evidence_current_provider_date",
            ),
            models.Index(fields=["provider", "source_type"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("evidence:detail", kwargs={"pk": self.pk})

    @property
    def is_impact(self) -> bool:
        return self.nature == Nature.IMPACT

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def nature_overridden(self) -> bool:
        return self.nature != DEFAULT_NATURE.get(self.source_type, Nature.ACTIVITY)
