"""Audit templates (versioned), audits of sampled records, and their links to measures.

Audits sit above recovery plans: findings become recovery actions or steps, submitted
audits add data points to linked outcome measures, and each submitted audit creates an
evidence item.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse

from core import limits, record_refs
from core.choices import Cadence
from core.limits import length_checks, text_field
from core.models import FrameworkItem, Provider, Service
from evidence.models import EvidenceItem
from recovery.models import ActionStep, DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction


class AuditTemplate(models.Model):
    """A provider's audit, e.g. "Deterioration and escalation record sample"."""

    class Area(models.TextChoices):
        MEDICINES = "medicines", "Medicines"
        CARE_PLANNING = "care_planning", "Care planning"
        SAFEGUARDING = "safeguarding", "Safeguarding"
        DETERIORATION = "deterioration", "Deterioration and escalation"
        COMPLAINTS = "complaints", "Complaints and communication"
        STAFFING = "staffing", "Staffing"
        INFECTION_CONTROL = "infection_control", "Infection control"
        RECORDS = "records", "Records"

    class Frequency(models.TextChoices):
        WEEKLY = Cadence.WEEKLY.value, "Weekly"
        MONTHLY = Cadence.MONTHLY.value, "Monthly"
        QUARTERLY = Cadence.QUARTERLY.value, "Quarterly"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="audit_templates")
    title = models.CharField(max_length=200)
    area = models.CharField(max_length=30, choices=Area.choices)
    framework_items = models.ManyToManyField(FrameworkItem, blank=True, related_name="audit_templates")
    default_sample_size = models.PositiveSmallIntegerField(default=10)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.WEEKLY)
    services = models.ManyToManyField(
        Service, blank=True, related_name="audit_templates", help_text="Where it is due (empty: every service)."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def service_id(self):  # provider-level for the permission policy
        return None

    def current_version(self) -> AuditTemplateVersion | None:
        return self.versions.order_by("-number").first()


class AuditTemplateVersion(models.Model):
    """A frozen set of criteria. Editing a used template creates a new version."""

    template = models.ForeignKey(AuditTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    change_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["template", "number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="template_version_unique")]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class Criterion(models.Model):
    """One question of a version. Its kind says how it is answered and counted (``rule``)."""

    class Kind(models.TextChoices):
        YES_NO = "yes_no", "Yes / No / N/A"
        NUMBER = "number", "A number"
        TIME = "time", "A time within a limit"

    class PassRule(models.TextChoices):
        NONE = "", "Recorded only (not counted)"
        AT_LEAST = "at_least", "at least the standard"
        AT_MOST = "at_most", "at most the standard"

    version = models.ForeignKey(AuditTemplateVersion, on_delete=models.CASCADE, related_name="criteria")
    # Stable across versions, so measures can follow "the same criterion" after an edit.
    key = models.SlugField(max_length=60)
    order = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    guidance = text_field(blank=True, max_length=limits.NOTE)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.YES_NO)
    # A number: what it is counted in, the range that may be typed, and when it meets the standard.
    unit = models.CharField(max_length=30, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    pass_rule = models.CharField(max_length=10, choices=PassRule.choices, blank=True, default="")
    pass_value = models.FloatField(null=True, blank=True)
    # A time: the limit within which it meets the standard ("escalated within 4 hours").
    limit_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="criterion_key_unique"),
            *length_checks(guidance=limits.NOTE),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def rule(self):
        from .compliance import Rule

        return Rule(
            kind=self.kind,
            unit=self.unit,
            min_value=self.min_value,
            max_value=self.max_value,
            pass_rule=self.pass_rule,
            pass_value=self.pass_value,
            limit_minutes=self.limit_minutes,
        )

    @property
    def is_yes_no(self) -> bool:
        return self.kind == self.Kind.YES_NO

    def standard(self) -> str:
        return self.rule.standard()


def rules_of(criteria) -> dict:
    """``{key: Rule}`` for ``audits.compliance.compute``."""
    return {c.key: c.rule for c in criteria}


class Audit(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SUPERSEDED = "superseded", "Superseded by an amendment"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="audits")
    # The template is also reachable through the version; it is kept on the row so that "one
    # audit per template, service and period" can be a database constraint (concurrent starts).
    template = models.ForeignKey(AuditTemplate, on_delete=models.PROTECT, related_name="audits", editable=False)
    template_version = models.ForeignKey(AuditTemplateVersion, on_delete=models.PROTECT, related_name="audits")
    period_start = models.DateField()
    period_end = models.DateField()
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audits")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    findings = text_field(blank=True, max_length=limits.NARRATIVE)
    impact_check_date = models.DateField(
        null=True, blank=True, help_text="When a re-check will show whether the actions changed practice."
    )
    compliance = models.FloatField(null=True, blank=True, editable=False, help_text="Overall %, set on submit.")
    # Set on submit (a submitted audit never changes): see audits.compliance.effectiveness_gaps.
    is_effective = models.BooleanField(null=True, editable=False)
    effectiveness_gaps = models.JSONField(default=list, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Amendments: the new audit points at the one it replaces; both stay.
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by", editable=False
    )
    amendment_reason = text_field(blank=True, editable=False, max_length=limits.NOTE)
    evidence_item = models.OneToOneField(
        EvidenceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="audit", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The device's id of the last draft save applied (static/js/audit_form.js), so a copy sent
    # again after its answer was lost is recognised instead of saved twice or called a conflict.
    last_save_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-period_end", "-pk"]
        indexes = [models.Index(fields=["provider", "service", "period_end"])]
        constraints = [
            *length_checks(findings=limits.NARRATIVE, amendment_reason=limits.NOTE),
            # One audit per template, service and period; an amendment points at the audit it replaces.
            models.UniqueConstraint(
                fields=["service", "template", "period_end"],
                condition=models.Q(amends__isnull=True),
                name="one_audit_per_template_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_version.template} – {self.service} – w/e {self.period_end:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("audits:detail", kwargs={"pk": self.pk})

    @property
    def draft_version(self) -> str:
        """The draft's version: microseconds since the epoch of its last save, as digits.

        A copy kept on a device remembers the version it was based on; saving it when the draft
        has moved on since is a conflict (``audit_save_draft``). Digits so that a device can
        also tell which of two versions is newer.
        """
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
        return str((self.updated_at - epoch) // datetime.timedelta(microseconds=1))

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT

    def effectiveness_gap_labels(self) -> list[str]:
        from .compliance import GAP_LABELS

        return [GAP_LABELS.get(code, code) for code in self.effectiveness_gaps]


class AuditRecord(models.Model):
    """One sampled record: a reference (never a person's name) and an answer per criterion."""

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NA = "na", "Not applicable"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="records")
    order = models.PositiveSmallIntegerField(default=0)
    record_ref = models.CharField(
        "record reference", max_length=40, blank=True, validators=[record_refs.validate_record_ref]
    )
    answers = models.JSONField(default=dict, help_text="criterion key -> yes / no / na, a number or minutes")
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.record_ref


class AuditActionArising(models.Model):
    """A finding turned into work: a new recovery action or a step on an existing one.

    While the audit is a draft this only says what will happen (``kind`` with ``theme`` for a
    new action, or ``action`` for a step). Submitting creates the recovery action or step and
    sets ``linked_at``; an amendment copies linked rows so nothing is created twice.
    """

    class Kind(models.TextChoices):
        NEW_ACTION = "new_action", "New recovery action"
        STEP = "step", "Step on an existing action"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="actions_arising")
    order = models.PositiveSmallIntegerField(default=0)
    description = text_field(max_length=limits.NOTE)
    # Optional while the audit is a draft (autosave keeps half-typed rows); required to submit.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    due_date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEW_ACTION)
    theme = models.ForeignKey(FailureTheme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.ForeignKey(
        RecoveryAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_origins"
    )
    step = models.ForeignKey(ActionStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    linked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [*length_checks(description=limits.NOTE)]
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.description[:80]


class MeasureFeed(models.Model):
    """Feeds an outcome measure from submitted audits.

    - ``compliance`` (default): each submitted audit of ``template`` at the measure's service
      adds one point: yes answers / (yes + no answers) in the linked criteria (all or some).
    - ``effectiveness``: one point per period of the measure's cadence: the share of submitted
      audits (any template) at the measure's service - or across the provider when the measure
      is provider-wide - that were effective. Re-computed whenever an audit in that period is
      submitted or amended. ``template`` records where the feed was set up.
    """

    class Kind(models.TextChoices):
        COMPLIANCE = "compliance", "Compliance with the template's criteria"
        EFFECTIVENESS = "effectiveness", "Share of effective audits"

    measure = models.OneToOneField(OutcomeMeasure, on_delete=models.CASCADE, related_name="feed")
    template = models.ForeignKey(AuditTemplate, on_delete=models.PROTECT, related_name="feeds")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMPLIANCE)
    criterion_keys = models.JSONField(default=list, blank=True, help_text="Empty: every criterion.")
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    def __str__(self) -> str:
        return f"{self.template} → {self.measure}"


class AuditDataPoint(models.Model):
    """Which data point an audit produced for which measure (so amendments update it)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="data_points")
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.CASCADE, related_name="+")
    data_point = models.OneToOneField(DataPoint, on_delete=models.CASCADE, related_name="audit_link")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["audit", "measure"], name="one_point_per_audit_measure")]

    def __str__(self) -> str:
        return f"{self.audit} → {self.measure}"
