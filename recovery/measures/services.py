"""Writes for outcome measures and their data points."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from recovery.measures.measuring import SNAPSHOT_FIELDS, PointValue, point_value, snapshot_values, summarise
from recovery.measures.models import PointCorrection
from recovery.measures.spc import MIN_POINTS_FOR_LIMITS
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


# The largest numbers a measure holds. Anything bigger is a typo (or a test of the form): a
# 400-digit count cannot become a float, and 1e308 makes the chart's limits infinite.
MAX_SAMPLE = 1_000_000
MAX_VALUE = 1_000_000_000


def _too_large(value: float | None, limit: float) -> bool:
    return value is not None and abs(value) > limit


def validate_measure_fields(data: dict, *, measure: OutcomeMeasure | None = None) -> None:
    """Refuse nonsense with messages a person can act on (raised per field).

    ``measure`` is the measure being changed, if any (some changes are refused once it has data).
    """
    errors: dict[str, str] = {}
    direction = data.get("direction")
    baseline, target = data.get("baseline_value"), data.get("target_value")
    kind = data.get("kind")
    if kind == OutcomeMeasure.Kind.REDUCTION and direction in (
        OutcomeMeasure.Direction.HIGHER,
        OutcomeMeasure.Direction.NEUTRAL,
    ):
        errors["direction"] = 'A reduction improves as the value falls: choose "Lower is better".'
    if kind == OutcomeMeasure.Kind.CONSECUTIVE and direction == OutcomeMeasure.Direction.NEUTRAL:
        errors["direction"] = "Consecutive periods need a standard each period meets: choose higher or lower is better."
    if baseline is not None and target is not None and direction:
        if direction == OutcomeMeasure.Direction.HIGHER and target <= baseline:
            errors["target_value"] = "Higher is better, so the target must be above the baseline."
        if direction == OutcomeMeasure.Direction.LOWER and target >= baseline:
            errors["target_value"] = "Lower is better, so the target must be below the baseline."
    for name in ("baseline_value", "target_value"):
        value = data.get(name)
        if value is not None and value < 0:
            errors[name] = "This cannot be negative."
        if _too_large(value, MAX_VALUE):
            errors[name] = f"Enter a number no larger than {MAX_VALUE:,}."
        if value is not None and kind == OutcomeMeasure.Kind.PERCENTAGE and value > 100:
            errors[name] = "A percentage cannot be above 100."
    b_date, t_date = data.get("baseline_date"), data.get("target_date")
    if b_date and b_date > timezone.localdate():
        errors["baseline_date"] = "The baseline date cannot be in the future."
    if b_date and t_date and t_date <= b_date:
        errors["target_date"] = "The target date must be after the baseline date."
    first = data.get("limits_from_first")
    if first is not None and first < MIN_POINTS_FOR_LIMITS:
        # Fewer would be trial limits fixed for good (DOMAIN: limits need 12 points). Measures
        # saved before this rule keep their value and are labelled trial wherever they are drawn.
        errors["limits_from_first"] = (
            f"A fixed baseline needs at least {MIN_POINTS_FOR_LIMITS} values; leave it empty to use every value."
        )
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
    events.changed(measure, reason="measure")
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
    # Every write to a measure or its points ends here: a data point recorded or corrected, an
    # audit's point, an edited target. Its stale-measure and drift flags may have changed.
    events.changed(measure, reason="data")
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
    source: str = DataPoint.Source.MANUAL,
) -> float:
    """Check one data point and return the value it plots, or raise per-field errors.

    A point's date is the last day of its period. A hand entry cannot describe a period that
    ends in the future; an audit's point is dated by the audit's own period (the week ending on
    its last day), which may end after the day it is submitted.
    """
    errors: dict[str, str] = {}
    if period_date is None:
        errors["period_date"] = "Enter the date the value describes."
    elif period_date > timezone.localdate() and source != DataPoint.Source.AUDIT:
        errors["period_date"] = "A data point cannot describe a future date."
    if measure.kind == OutcomeMeasure.Kind.PERCENTAGE:
        for name, count in (("numerator", numerator), ("denominator", denominator)):
            if _too_large(count, MAX_SAMPLE):
                errors[name] = f"Enter a count no larger than {MAX_SAMPLE:,}."
        if errors:
            raise ValidationError(errors)
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
        elif _too_large(value, MAX_VALUE):
            errors["value"] = f"Enter a number no larger than {MAX_VALUE:,}."
    if errors:
        raise ValidationError(errors)
    return point_value(measure.kind, numerator, denominator, value)


PERIOD_NAMES = {"weekly": "week", "fortnightly": "fortnight", "monthly": "month", "quarterly": "quarter"}

# Rules an upper layer adds for hand-entered values (``register_hand_entry_rule``): each takes
# the measure and returns why a value may not be typed for it, or None. Audits register "this
# measure is fed by an audit".
_hand_entry_rules: list[Callable[[OutcomeMeasure], str | None]] = []


def register_hand_entry_rule(rule: Callable[[OutcomeMeasure], str | None]) -> None:
    if rule not in _hand_entry_rules:
        _hand_entry_rules.append(rule)


def period_name(measure: OutcomeMeasure, period_date: datetime.date) -> str:
    """ "the week ending 5 Dec 2026" (by the measure's cadence)."""
    return f"the {PERIOD_NAMES.get(measure.cadence, 'period')} ending {period_date.day} {period_date:%b %Y}"


def _lock_measure(measure: OutcomeMeasure) -> None:
    """Take the measure's row lock (as ``measure_refresh_summary`` does), so two writers of its
    points go one after the other and the second sees the first's point."""
    list(OutcomeMeasure.objects.select_for_update(no_key=True).filter(pk=measure.pk).values_list("pk"))


def _same(point: DataPoint, numerator, denominator, plotted: float, note: str) -> bool:
    return (point.numerator, point.denominator, point.value, point.note) == (
        None if numerator is None else float(numerator),
        None if denominator is None else float(denominator),
        plotted,
        note,
    )


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
    refresh_summary: bool = True,
    correction_reason: str = "",
) -> DataPoint:
    """The measure's value for the period ending ``period_date``: one point per period.

    A hand entry (``source=manual``) for a period that has a value is refused (correct that
    one instead), unless it repeats it exactly (a double click or a retry), which returns the
    existing point and adds nothing. Audits call this with ``source=audit`` (and their own
    permission check): the audit owns its period, so its value replaces whatever is there.

    ``refresh_summary=False`` is for a caller recording many points of one measure in one
    transaction (the API's bulk endpoint), which then calls ``measure_refresh_summary`` once.
    """
    if check_permission:
        policy.require(actor, policy.Verb.RECORD_DATA, measure)
    limits.check(DataPoint, note=note)
    plotted = validate_point(
        measure, period_date=period_date, numerator=numerator, denominator=denominator, value=value, source=source
    )
    _lock_measure(measure)
    existing = DataPoint.objects.filter(measure=measure, period_date=period_date).first()
    if source == DataPoint.Source.AUDIT:
        if existing is not None:
            replaced = (
                "" if existing.source == DataPoint.Source.AUDIT else f" (replaced a hand-entered {existing.value:g})"
            )
            correction = _correction(
                existing,
                actor=actor,
                reason=correction_reason
                or (
                    "An audit was submitted for this period: the audit's value replaces the one entered by hand."
                    if replaced
                    else "An audit was submitted for this period again: its value replaces the earlier one."
                ),
                via=PointCorrection.Via.AUDIT,
                period_date=period_date,
                numerator=numerator,
                denominator=denominator,
                plotted=plotted,
            )
            if correction is not None:
                correction.save()
            return _point_save(
                existing,
                period_date=period_date,
                numerator=numerator,
                denominator=denominator,
                plotted=plotted,
                note=(note + replaced)[:300],
                source=DataPoint.Source.AUDIT,
            )
    else:
        if existing is not None and existing.source == DataPoint.Source.AUDIT:
            raise ValidationError(
                {
                    "period_date": f"The value for {period_name(measure, period_date)} comes from an audit; "
                    "amend the audit to change it."
                }
            )
        if existing is not None:
            if _same(existing, numerator, denominator, plotted, note):
                return existing  # the same entry again: a double click or a retry
            raise ValidationError(
                {
                    "period_date": f"There is already a value for {period_name(measure, period_date)} "
                    f"({existing.value:g}); correct it instead."
                }
            )
        for rule in _hand_entry_rules:
            reason = rule(measure)
            if reason:
                raise ValidationError({"period_date": reason})
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
    if refresh_summary:
        measure_refresh_summary(measure)
    return point


def _point_save(point: DataPoint, *, period_date, numerator, denominator, plotted, note, source=None) -> DataPoint:
    point.value = plotted
    point.period_date, point.numerator, point.denominator = period_date, numerator, denominator
    if note is not None:
        point.note = note
    if source is not None:
        point.source = source
    point.save()
    measure_refresh_summary(point.measure)
    return point


def _as_float(count) -> float | None:
    return None if count is None else float(count)


def _correction(
    point: DataPoint, *, actor, reason: str, via: str, period_date, numerator, denominator, plotted
) -> PointCorrection | None:
    """The history row for a change of ``point`` (None when neither value, counts nor date change)."""
    before = (point.value, point.numerator, point.denominator, point.period_date)
    after = (plotted, _as_float(numerator), _as_float(denominator), period_date)
    if before == after:
        return None
    return PointCorrection(
        measure_id=point.measure_id,
        point=point,
        period_date=period_date,
        old_value=point.value,
        new_value=plotted,
        old_numerator=point.numerator,
        old_denominator=point.denominator,
        new_numerator=_as_float(numerator),
        new_denominator=_as_float(denominator),
        old_period_date=point.period_date if point.period_date != period_date else None,
        reason=reason,
        via=via,
        corrected_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def point_correct(
    *,
    actor,
    point: DataPoint,
    reason: str,
    period_date: datetime.date | None = None,
    numerator: float | None = None,
    denominator: float | None = None,
    value: float | None = None,
    note: str | None = None,
    via: str = PointCorrection.Via.PAGE,
    check_permission: bool = True,
) -> DataPoint:
    """Correct a data point: its value (or counts) and date change only with a reason.

    Every path that changes a recorded value comes here: the measure page, the admin's
    "correct" form, an amended audit (``via="audit"``, its amendment reason). The old and new
    values go to the point's append-only history (``PointCorrection``), which the measure page
    shows; the counts are stored with the value, so "18 of 20" always matches it. A change of
    the note alone needs no reason (the audit trail keeps it). A value an audit produced is
    changed here only by the audit's amendment or by support staff (``via="admin"``).
    """
    measure = point.measure
    if check_permission:
        policy.require(actor, policy.Verb.RECORD_DATA, measure)
    reason = (reason or "").strip()
    period_date = period_date or point.period_date
    source = point.source
    if source == DataPoint.Source.AUDIT and via not in (PointCorrection.Via.AUDIT, PointCorrection.Via.ADMIN):
        raise ValidationError(
            {"__all__": "This value comes from an audit; amend the audit to change it (the measure follows)."}
        )
    plotted = validate_point(
        measure,
        period_date=period_date,
        numerator=numerator,
        denominator=denominator,
        value=value,
        source=source,
    )
    _lock_measure(measure)
    point.refresh_from_db()
    correction = _correction(
        point,
        actor=actor,
        reason=reason,
        via=via,
        period_date=period_date,
        numerator=numerator,
        denominator=denominator,
        plotted=plotted,
    )
    if correction is not None:
        if not reason:
            raise ValidationError(
                {"reason": "Say why the value is being corrected: the reason is kept with the old and new values."}
            )
        limits.check(PointCorrection, reason=reason)
    other = DataPoint.objects.filter(measure_id=point.measure_id, period_date=period_date).exclude(pk=point.pk).first()
    if other is not None and point.source == DataPoint.Source.AUDIT and other.source == DataPoint.Source.MANUAL:
        # An amended audit moves its point onto a day typed by hand: the audit owns the period.
        note = f"{note if note is not None else point.note} (replaced a hand-entered {other.value:g})"[:300]
        other.delete()
    elif other is not None:
        raise ValidationError(
            {
                "period_date": f"There is already a value for {period_name(measure, period_date)} "
                f"({other.value:g}); correct that one instead."
            }
        )
    if note is not None:
        limits.check(DataPoint, note=note)
    saved = _point_save(
        point, period_date=period_date, numerator=numerator, denominator=denominator, plotted=plotted, note=note
    )
    if correction is not None:
        correction.save()
        events.changed(measure, reason="point_corrected")  # a flag may be about this measure's values
    return saved
