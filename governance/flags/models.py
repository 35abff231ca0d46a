"""Flags: what a scan noticed that a person must look at."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from audits.models import AuditTemplate
from core import limits
from core.limits import length_checks, text_field
from core.models import Provider, Service
from recovery.models import OutcomeMeasure


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
        TRIGGER = "trigger", "Trigger"

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
    # Who must act on it, when a rule names someone (a trigger's person); otherwise whoever
    # handles the service's flags.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_flags"
    )

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


class FlagTrigger(models.Model):
    """A rule written as data: when it holds, a flag is raised for a named person to act on.

    Two kinds. A measure threshold: the measure's latest ``periods`` values are all below (or
    above) ``threshold``. Repeated findings: the audit criterion ``criterion_key`` of
    ``template`` was answered "no" in at least ``count`` submitted audits at the service whose
    period ended in the last ``weeks`` weeks. Evaluated by ``governance/flags/rules.py`` in the
    scan and in each event's re-evaluation, like every other flag rule.
    """

    class Kind(models.TextChoices):
        MEASURE_THRESHOLD = "measure_threshold", "Measure threshold"
        REPEATED_FINDING = "repeated_finding", "Repeated audit finding"

    class Comparison(models.TextChoices):
        BELOW = "below", "below"
        ABOVE = "above", "above"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="flag_triggers")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="flag_triggers", null=True, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices, editable=False)
    name = models.CharField(max_length=120, help_text="A short name, shown on the flag.")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flag_triggers")
    what_to_do = text_field("what they do", blank=True, max_length=limits.NOTE)
    # A measure threshold
    measure = models.ForeignKey(
        OutcomeMeasure, on_delete=models.CASCADE, related_name="flag_triggers", null=True, blank=True
    )
    comparison = models.CharField(max_length=10, choices=Comparison.choices, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    periods = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Consecutive periods.")
    # Repeated findings
    template = models.ForeignKey(
        AuditTemplate, on_delete=models.CASCADE, related_name="flag_triggers", null=True, blank=True
    )
    criterion_key = models.SlugField(max_length=60, blank=True)
    count = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Audits with the finding.")
    weeks = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Within this many weeks.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [*length_checks(what_to_do=limits.NOTE)]

    def __str__(self) -> str:
        return self.name

    def rule_text(self) -> str:
        """The rule in words, e.g. "Escalation within 4 hours below 90 for 2 consecutive periods"."""
        if self.kind == self.Kind.MEASURE_THRESHOLD:
            n = self.periods or 1
            return (
                f"{self.measure.name if self.measure_id else 'The measure'} {self.comparison} {self.threshold:g} "
                f"for {n} consecutive period{'s' if n != 1 else ''}"
            )
        return (
            f"“{self.criterion_key}” of {self.template if self.template_id else 'the audit'} failing in "
            f"{self.count} audits within {self.weeks} weeks"
        )
