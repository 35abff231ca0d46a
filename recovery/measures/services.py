"""Writes for outcome measures and their data points."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core import limits
from core import permissions as policy
from recovery.measures.measuring import SNAPSHOT_FIELDS, PointValue, point_value, snapshot_values, summarise
from recovery.models import DataPoint, OutcomeMeasure, RecoveryAction
from recovery.plan.services import check_not_awaiting_decision

MEASURE_FIELDS = (
    "name",
    "kind",
    "direction",
    "unit",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "sustain_periods",
    "cadence",
    "limits_from_first",
)


def validate_measure_fields(data: dict, *, measure: OutcomeMeasure | None = None) -> None:
    """Refuse nonsense with messages a person can act on (raised per field).

    ``measure`` is the measure being changed, if any (some changes are refused once it has data).
    """
    errors: dict[str, str] = {}
    direction = data.get("direction")
    baseline, target = data.get("baseline_value"), data.get("target_value")
    kind = data.get("kind")
    if kind == OutcomeMeasure.Kind.REDUCTION and direction == OutcomeMeasure.Direction.HIGHER:
        errors["direction"] = 'A reduction improves as the value falls: choose "Lower is better".'
    if baseline is not None and target is not None and direction:
        if direction == OutcomeMeasure.Direction.HIGHER and target <= baseline:
            errors["target_value"] = "Higher is better, so the target must be above the baseline."
        if direction == OutcomeMeasure.Direction.LOWER and target >= baseline:
            errors["target_value"] = "Lower is better, so the target must be below the baseline."
    for name in ("baseline_value", "target_value"):
        value = data.get(name)
        if value is not None and value < 0:
            errors[name] = "This cannot be negative."
        if value is not None and kind == OutcomeMeasure.Kind.PERCENTAGE and value > 100:
            errors[name] = "A percentage cannot be above 100."
    b_date, t_date = data.get("baseline_date"), data.get("target_date")
    if b_date and b_date > timezone.localdate():
        errors["baseline_date"] = "The baseline date cannot be in the future."
    if b_date and t_date and t_date <= b_date:
        errors["target_date"] = "The target date must be after the baseline date."
    first = data.get("limits_from_first")
    if first is not None and first < 2:
        errors["limits_from_first"] = "Limits need at least 2 values; leave it empty to use every value."
    sustain = data.get("sustain_periods")
    if sustain is not None and sustain < 1:
        errors["sustain_periods"] = "Enter at least 1 period."
    if measure is not None and measure.pk and kind and kind != measure.kind and measure.points.exists():
        errors["kind"] = "This measure already has data points, so its kind cannot change. Add a new measure instead."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def measure_create(*, actor, action: RecoveryAction, check_permission: bool = True, **fields) -> OutcomeMeasure:
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, action)
    check_not_awaiting_decision(action)
    validate_measure_fields(fields)
    measure = OutcomeMeasure(action=action, provider_id=action.provider_id, service_id=action.service_id)
    for name in MEASURE_FIELDS:
        if name in fields:
            setattr(measure, name, fields[name])
    measure.full_clean()
    measure.save()
    _store_snapshot(measure, [])  # no points yet
    return measure


@transaction.atomic
def measure_update(*, actor, measure: OutcomeMeasure, **fields) -> OutcomeMeasure:
    policy.require(actor, policy.Verb.EDIT_PLAN, measure)
    check_not_awaiting_decision(measure.action)
    merged = {name: fields.get(name, getattr(measure, name)) for name in MEASURE_FIELDS}
    validate_measure_fields(merged, measure=measure)
    for name, value in merged.items():
        setattr(measure, name, value)
    measure.full_clean()
    measure.save()
    measure_refresh_summary(measure)  # the target, direction or name may have changed
    return measure


# --- The stored summary (``OutcomeMeasure.summary_*``) ------------------------------------


def _store_snapshot(measure: OutcomeMeasure, points) -> None:
    values = snapshot_values(summarise(measure, points), now=timezone.now())
    # A plain UPDATE: the snapshot is derived data, so no audit-trail entry and no change to
    # ``updated_at`` (which still means "someone edited the measure").
    OutcomeMeasure.objects.filter(pk=measure.pk).update(**values)
    for name, value in values.items():
        setattr(measure, name, value)


@transaction.atomic
def measure_refresh_summary(measure: OutcomeMeasure) -> OutcomeMeasure:
    """Recompute the measure's stored summary from its points (call after any change to them).

    Locks the measure row first (FOR NO KEY UPDATE, which does not wait on the key-share lock
    a new point takes on it), so two people recording points at once cannot leave a summary
    that misses one of them: the second waits, then reads both points.
    """
    list(OutcomeMeasure.objects.select_for_update(no_key=True).filter(pk=measure.pk).values_list("pk"))
    points = [
        PointValue(pk, period_date, value)
        for pk, period_date, value in DataPoint.objects.filter(measure=measure)
        .order_by("period_date", "pk")
        .values_list("pk", "period_date", "value")
    ]
    _store_snapshot(measure, points)
    return measure


def measure_refresh_summaries(measures: QuerySet[OutcomeMeasure] | None = None, *, chunk: int = 500) -> int:
    """Recompute the stored summary of many measures (all by default) in bulk; returns how many.

    For bulk loads that write points directly (the large-provider builder), data migrations
    and ``manage.py refresh_measure_summaries``. Reads points a chunk of measures at a time.
    """
    measures = OutcomeMeasure.objects.all() if measures is None else measures
    ids = list(measures.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    done = 0
    for start in range(0, len(ids), chunk):
        batch = ids[start : start + chunk]
        by_measure: dict[int, list[PointValue]] = defaultdict(list)
        rows = (
            DataPoint.objects.filter(measure_id__in=batch)
            .order_by("measure_id", "period_date", "pk")
            .values_list("measure_id", "pk", "period_date", "value")
        )
        for measure_id, pk, period_date, value in rows:
            by_measure[measure_id].append(PointValue(pk, period_date, value))
        changed = []
        for measure in OutcomeMeasure.objects.filter(pk__in=batch):
            for name, value in snapshot_values(summarise(measure, by_measure.get(measure.pk, [])), now=now).items():
                setattr(measure, name, value)
            changed.append(measure)
        with transaction.atomic():
            OutcomeMeasure.objects.bulk_update(changed, [*SNAPSHOT_FIELDS, "summary_updated_at"], batch_size=100)
        done += len(changed)
    return done


def validate_point(
    measure: OutcomeMeasure,
    *,
    period_date: datetime.date,
    numerator: float | None = None,
    denominator: float | None = None,
    value: float | None = None,
) -> float:
    """Check one data point and return the value it plots, or raise per-field errors."""
    errors: dict[str, str] = {}
    if period_date is None:
        errors["period_date"] = "Enter the date the value describes."
    elif period_date > timezone.localdate():
        errors["period_date"] = "A data point cannot describe a future date."
    if measure.kind == OutcomeMeasure.Kind.PERCENTAGE:
        if numerator is None:
            errors["numerator"] = "Enter how many sampled items met the standard."
        if denominator is None:
            errors["denominator"] = "Enter how many items were sampled."
        if numerator is not None and numerator < 0:
            errors["numerator"] = "Counts cannot be negative."
        if denominator is not None and denominator <= 0:
            errors["denominator"] = "At least one item must be sampled."
        if numerator is not None and denominator is not None and denominator > 0 and numerator > denominator:
            errors["numerator"] = f"{numerator:g} met the standard but only {denominator:g} were sampled."
    else:
        if value is None:
            errors["value"] = "Enter the value for this period."
        elif value < 0:
            errors["value"] = "Counts cannot be negative."
    if errors:
        raise ValidationError(errors)
    return point_value(measure.kind, numerator, denominator, value)


@transaction.atomic
def point_record(
    *,
    actor,
    measure: OutcomeMeasure,
    period_date: datetime.date,
    numerator: float | None = None,
    denominator: float | None = None,
    value: float | None = None,
    source: str = DataPoint.Source.MANUAL,
    note: str = "",
    check_permission: bool = True,
) -> DataPoint:
    """Add a data point. Audits call this with ``source=audit`` (and their own permission check)."""
    if check_permission:
        policy.require(actor, policy.Verb.RECORD_DATA, measure)
    limits.check(DataPoint, note=note)
    plotted = validate_point(
        measure, period_date=period_date, numerator=numerator, denominator=denominator, value=value
    )
    point = DataPoint.objects.create(
        measure=measure,
        period_date=period_date,
        numerator=numerator,
        denominator=denominator,
        value=plotted,
        source=source,
        note=note,
        recorded_by=actor,
    )
    measure_refresh_summary(measure)
    return point


@transaction.atomic
def point_update(
    *,
    actor,
    point: DataPoint,
    period_date: datetime.date,
    numerator: float | None = None,
    denominator: float | None = None,
    value: float | None = None,
    note: str | None = None,
    check_permission: bool = True,
) -> DataPoint:
    """Correct a data point (the audit trail keeps the old value)."""
    if check_permission:
        policy.require(actor, policy.Verb.RECORD_DATA, point.measure)
    point.value = validate_point(
        point.measure, period_date=period_date, numerator=numerator, denominator=denominator, value=value
    )
    point.period_date, point.numerator, point.denominator = period_date, numerator, denominator
    if note is not None:
        limits.check(DataPoint, note=note)
        point.note = note
    point.save()
    measure_refresh_summary(point.measure)
    return point
