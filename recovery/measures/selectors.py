"""Reads for outcome measures and their data points."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from core import permissions as policy
from recovery.measures.measuring import MeasureSnapshot, MeasureSummary, summarise
from recovery.measures.models import PointCorrection
from recovery.models import DataPoint, OutcomeMeasure, RecoveryAction


def measure_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> OutcomeMeasure:
    """One measure the user may see (404 otherwise); 403 if seen but ``verb`` is not allowed."""
    qs = OutcomeMeasure.objects.select_related("action", "action__theme", "action__owner", "service", "provider")
    return policy.get_or_404(user, qs, verb, pk=pk)


def action_for_measures(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> RecoveryAction:
    qs = RecoveryAction.objects.select_related("theme", "service", "provider", "owner")
    return policy.get_or_404(user, qs, verb, pk=pk)


def point_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> DataPoint:
    """One data point, scoped through its measure (a point has no tenant columns of its own)."""
    qs = DataPoint.objects.select_related("measure__action")
    return policy.get_through_or_404(user, qs, "measure", verb, pk=pk)


def measure_summary(measure: OutcomeMeasure, *, today: datetime.date | None = None) -> MeasureSummary:
    """Load one measure's points (one query) and summarise them."""
    points = list(DataPoint.objects.filter(measure=measure).order_by("period_date", "pk"))
    return summarise(measure, points, today=today or timezone.localdate())


def summaries(measures: Iterable[OutcomeMeasure], *, today: datetime.date | None = None) -> list[MeasureSummary]:
    """Summaries of measures whose ``points`` are already prefetched (no queries)."""
    today = today or timezone.localdate()
    return [summarise(m, list(m.points.all()), today=today) for m in measures]


def snapshots(measures: Iterable[OutcomeMeasure], *, today: datetime.date | None = None) -> list[MeasureSnapshot]:
    """What lists show about each measure, from its stored summary (no points, no SPC, no queries)."""
    today = today or timezone.localdate()
    return [MeasureSnapshot(m, today=today) for m in measures]


def corrections_for(measure: OutcomeMeasure, *, point: DataPoint | None = None) -> list[PointCorrection]:
    """The measure's correction history (or one point's), newest first: one query."""
    qs = PointCorrection.objects.filter(measure=measure).select_related("corrected_by")
    if point is not None:
        qs = qs.filter(point=point)
    return list(qs.order_by("-corrected_at", "-pk"))
