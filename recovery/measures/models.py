"""Outcome measures and their data points (one value per period)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from core import limits
from core.choices import Cadence
from core.limits import length_checks, text_field
from core.models.tenancy import TenantModel
from evidence.models import EvidenceItem
from recovery.plan.models import RecoveryAction


class OutcomeMeasure(TenantModel):
    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage of sampled items meeting a standard"
        COUNT = "count", "Count"
        REDUCTION = "reduction", "Reduction against baseline"
        CONSECUTIVE = "consecutive", "Consecutive periods achieved"

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"
        # Tracked for context (agency hours, admissions): special causes are shown in purple
        # with no improvement/concern verdict and no assurance against the target.
        NEUTRAL = "neutral", "Neither: watch for change, no better direction"

    class State(models.TextChoices):
        NO_DATA = "no_data", "No data"
        OFF_TRACK = "off_track", "Off track"
        ON_TRACK = "on_track", "On track"
        TARGET_MET = "target_met", "Target met"
        SUSTAINED = "sustained", "Sustained"
        MONITORED = "monitored", "Monitored (no better direction)"

    action = models.ForeignKey(RecoveryAction, on_delete=models.CASCADE, related_name="measures")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    unit = models.CharField(max_length=20, blank=True, help_text="e.g. % or complaints")
    baseline_value = models.FloatField()
    baseline_date = models.DateField()
    target_value = models.FloatField()
    target_date = models.DateField()
    sustain_periods = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1)],
        help_text="Consecutive periods at or beyond target that count as sustained.",
    )
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.WEEKLY)
    limits_from_first = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Fix SPC limits on the first N points (empty: all points)."
    )
    evidence = models.ManyToManyField(EvidenceItem, blank=True, related_name="measures")
    # The dates the SPC limits are recalculated from (ISO strings, oldest first): the live
    # ``MeasureRebase`` rows, copied here by ``recovery.measures.services.measure_rebase_*`` so
    # every page, job and pack that summarises a measure draws the same segments without another
    # query. The rows hold who and why; this holds what the chart needs.
    spc_rebase_dates = models.JSONField(default=list, blank=True, editable=False)

    # A snapshot of what lists show about the measure (state, SPC variation and assurance,
    # latest value, the values its sparkline plots), kept by
    # ``recovery.measures.services.measure_refresh_summary`` whenever the measure or its points
    # change, so the dashboard, the map and the provider dashboard read one row per measure
    # instead of summarising every point on every request. Staleness depends on today, so
    # readers work it out from ``summary_latest_date``. The measure page and the closure rules
    # still compute from the points themselves. Numbers only, no markup: lists draw the
    # sparkline from ``summary_values`` when they are shown (``charts.sparkline_svg``, the
    # function pages and packs drawing from the points use too).
    summary_state = models.CharField(max_length=20, choices=State.choices, default=State.NO_DATA, editable=False)
    summary_variation = models.CharField(max_length=20, default="none", editable=False)
    summary_assurance = models.CharField(max_length=20, blank=True, editable=False)
    summary_recent_concern = models.BooleanField(default=False, editable=False)
    summary_latest_value = models.FloatField(null=True, blank=True, editable=False)
    summary_latest_date = models.DateField(null=True, blank=True, editable=False)
    summary_point_count = models.PositiveIntegerField(default=0, editable=False)
    summary_values = models.JSONField(
        default=list, blank=True, editable=False, help_text="The plotted values, oldest first (for the sparkline)."
    )
    summary_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["action", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("recovery:measure_detail", kwargs={"pk": self.pk})

    def meets_target(self, value: float) -> bool:
        """At or beyond the target on the better side (a neutral measure has no better side)."""
        if self.direction == self.Direction.HIGHER:
            return value >= self.target_value
        if self.direction == self.Direction.NEUTRAL:
            return False
        return value <= self.target_value


class DataPoint(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        AUDIT = "audit", "From an audit"

    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.CASCADE, related_name="points")
    period_date = models.DateField(help_text="The end of the period the value describes.")
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    value = models.FloatField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_date", "pk"]
        # One value per period: a second entry is a correction of the first, never a new row
        # (a double click, a retry or two audits at once must not plot the period twice).
        constraints = [models.UniqueConstraint(fields=["measure", "period_date"], name="one_point_per_measure_period")]

    def __str__(self) -> str:
        return f"{self.measure}: {self.value} on {self.period_date}"

    @property
    def counts_text(self) -> str:
        """ "18 of 20" from the stored counts (empty without them): always the current value's counts."""
        if self.numerator is None or self.denominator is None:
            return ""
        return f"{self.numerator:g} of {self.denominator:g}"


class PointCorrection(models.Model):
    """One correction of a data point's value or counts: what it was, what it became, who, when, why.

    Append-only (no update, no delete: a PostgreSQL trigger refuses both). Written by
    ``recovery.measures.services.point_correct`` for every path that changes a recorded value:
    the measure page, the admin, an amended audit. The measure page's history lists them.
    """

    class Via(models.TextChoices):
        PAGE = "page", "Measure page"
        ADMIN = "admin", "Support (admin)"
        API = "api", "API"
        AUDIT = "audit", "Amended audit"

    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.PROTECT, related_name="corrections")
    # The point corrected. No database constraint and nothing done when the point goes (an audit
    # taking over its period deletes a hand-entered point): the history row stays as written.
    point = models.ForeignKey(
        DataPoint,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="corrections",
    )
    period_date = models.DateField(help_text="The end of the period the corrected value describes.")
    old_value = models.FloatField()
    new_value = models.FloatField()
    old_numerator = models.FloatField(null=True, blank=True)
    old_denominator = models.FloatField(null=True, blank=True)
    new_numerator = models.FloatField(null=True, blank=True)
    new_denominator = models.FloatField(null=True, blank=True)
    old_period_date = models.DateField(null=True, blank=True)
    reason = text_field(max_length=limits.NOTE)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.PAGE)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    corrected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-corrected_at", "-pk"]
        constraints = [*length_checks(reason=limits.NOTE)]

    def __str__(self) -> str:
        return f"{self.measure}: {self.old_value:g} → {self.new_value:g} ({self.period_date})"

    @staticmethod
    def _counts(value, numerator, denominator) -> str:
        if numerator is not None and denominator is not None:
            return f"{numerator:g} of {denominator:g} ({value:g}%)"
        return f"{value:g}"

    @property
    def old_text(self) -> str:
        return self._counts(self.old_value, self.old_numerator, self.old_denominator)

    @property
    def new_text(self) -> str:
        return self._counts(self.new_value, self.new_numerator, self.new_denominator)


class MeasureRebase(models.Model):
    """A point from which a measure's SPC limits are recalculated, with who asked and why.

    Rebasing says "the process changed here" (usually when the action started), so the chart
    shows the process before and after the change, each with its own mean and limits. A rebase
    is never deleted: removing it records who removed it and why, and both show on the measure
    page and in the audit trail.
    """

    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.CASCADE, related_name="rebases")
    from_date = models.DateField(help_text="The first period judged against the new limits.")
    reason = text_field(max_length=limits.NOTE, help_text="What changed in how the work is done.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    removed_reason = text_field(blank=True, editable=False, max_length=limits.NOTE)

    class Meta:
        ordering = ["from_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "from_date"],
                condition=models.Q(removed_at__isnull=True),
                name="one_live_rebase_per_measure_date",
            ),
            *length_checks(reason=limits.NOTE, removed_reason=limits.NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: limits recalculated from {self.from_date}"

    @property
    def live(self) -> bool:
        return self.removed_at is None
