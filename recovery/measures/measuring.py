"""Facts about an outcome measure computed from its points: value, state, SPC. Pure functions.

Kept apart from services (writes) and selectors (queries) because pages, jobs and the PDF
pack all need the same answers from points they have already loaded.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from core.choices import CADENCE_DAYS
from recovery.measures import charts
from recovery.measures.spc import (
    CONCERN,
    MIN_POINTS_FOR_LIMITS,
    NEUTRAL,
    RUN_LENGTH,
    TREND_LENGTH,
    SpcResult,
    compute_spc,
    segment_starts_for,
)
from recovery.models import DataPoint, OutcomeMeasure

State = OutcomeMeasure.State

# Days past a measure's cadence before it counts as without recent data.
STALE_GRACE_DAYS = 7


def is_stale(cadence: str, last: datetime.date, today: datetime.date, grace_days: int = STALE_GRACE_DAYS) -> bool:
    """No value for longer than the measure's cadence plus a grace period, counting from ``last``."""
    return (today - last).days > CADENCE_DAYS[cadence] + grace_days


def period_begun_by(cadence: str, period_date: datetime.date, day: datetime.date) -> bool:
    """Whether the period ending ``period_date`` had begun by ``day``.

    A point is dated by the last day of its period (an audit's week ends on its Sunday), so a
    report "up to" a day includes the period in progress that day, as the measure page does.
    """
    return (period_date - datetime.timedelta(days=CADENCE_DAYS[cadence])) < day


def point_value(kind: str, numerator: float | None, denominator: float | None, value: float | None) -> float:
    """The plotted value: a percentage for sampled measures, else the value given."""
    if kind == OutcomeMeasure.Kind.PERCENTAGE:
        return round(100.0 * float(numerator) / float(denominator), 2)
    return float(value)


class PointValue:
    """A data point reduced to what the measuring functions read (much cheaper than a model row)."""

    __slots__ = ("pk", "period_date", "value")

    def __init__(self, pk: int, period_date: datetime.date, value: float) -> None:
        self.pk = pk
        self.period_date = period_date
        self.value = value


def trailing_run(measure: OutcomeMeasure, points: Sequence[DataPoint]) -> int:
    """How many of the latest points, in a row, meet the target."""
    run = 0
    for point in reversed(points):
        if not measure.meets_target(point.value):
            break
        run += 1
    return run


def periods_at_target_since(measure: OutcomeMeasure, points: Sequence[DataPoint], since: datetime.date | None) -> int:
    """How many of the latest periods in a row meet the target, counting only periods that end
    after ``since`` (the day the action's work started; None counts every period).

    The closure condition "at target for N consecutive periods after the action started" asks
    this. ``points`` oldest first, one per period.
    """
    after = [p for p in points if since is None or p.period_date > since]
    return trailing_run(measure, after)


def measure_state(measure: OutcomeMeasure, points: Sequence[DataPoint]) -> str:
    """no data / off track / on track / target met / sustained. ``points`` oldest first.

    Sustained: the last ``sustain_periods`` points (at least two) all meet the target.
    Target met: the latest point meets it. On track: the latest point is at least as good as
    a straight line from baseline (at the baseline date) to target (at the target date).

    "Consecutive periods achieved" measures are different: their target *is* a run of
    ``sustain_periods`` periods meeting the standard, so a single good period is not the
    target met. Sustained once the run is long enough; on track while the latest period meets
    the standard and the run can still be completed by the target date; otherwise off track.
    """
    if not points:
        return State.NO_DATA
    if measure.direction == OutcomeMeasure.Direction.NEUTRAL:
        return State.MONITORED  # no better side, so no target to meet or to fall short of
    latest = points[-1]
    if measure.kind == OutcomeMeasure.Kind.CONSECUTIVE:
        needed = max(measure.sustain_periods, 1)
        run = trailing_run(measure, points)
        if run >= needed:
            return State.SUSTAINED
        if run == 0:
            return State.OFF_TRACK
        period = datetime.timedelta(days=CADENCE_DAYS[measure.cadence])
        completes_on = latest.period_date + period * (needed - run)
        return State.ON_TRACK if completes_on <= measure.target_date else State.OFF_TRACK
    n = max(measure.sustain_periods, 2)
    if len(points) >= n and all(measure.meets_target(p.value) for p in points[-n:]):
        return State.SUSTAINED
    if measure.meets_target(latest.value):
        return State.TARGET_MET
    span = (measure.target_date - measure.baseline_date).days
    elapsed = (latest.period_date - measure.baseline_date).days
    fraction = min(max(elapsed / span, 0.0), 1.0) if span > 0 else 1.0
    expected = measure.baseline_value + (measure.target_value - measure.baseline_value) * fraction
    better = (
        latest.value >= expected if measure.direction == OutcomeMeasure.Direction.HIGHER else (latest.value <= expected)
    )
    return State.ON_TRACK if better else State.OFF_TRACK


@dataclass(frozen=True)
class Evaluation:
    """The one verdict on a measure: its state and why, from its points and its SPC result.

    Badges, the recovery map's gaps, closure readiness and flags all read this (through
    ``MeasureSummary`` or the stored ``summary_state`` a ``MeasureSnapshot`` reads), so no two
    screens can disagree about whether a measure is met.
    """

    state: str
    reason: str = ""  # set when the SPC result held the state back

    @property
    def met(self) -> bool:
        return self.state in (State.TARGET_MET, State.SUSTAINED)

    @property
    def off_track(self) -> bool:
        return self.state == State.OFF_TRACK


HELD_BACK = (
    "The latest value meets the target, but the chart's limits say the process as it runs would "
    "usually miss it, so the target does not count as met yet. If practice has changed, the limits "
    "need recalculating from that point."
)


def evaluate(measure: OutcomeMeasure, points: Sequence[DataPoint], spc: SpcResult) -> Evaluation:
    """The measure's state (see ``measure_state``), reconciled with its SPC assurance.

    Rule: a measure is never "target met" or "sustained" while its chart says the process
    consistently fails the target (the target lies beyond the limits on the wrong side): such
    a value is an exception, not assurance, and the measure is shown on track instead, with
    the reason. ``points`` oldest first; ``spc`` computed from them.
    """
    state = measure_state(measure, points)
    if state in (State.TARGET_MET, State.SUSTAINED) and spc.assurance == "fail":
        return Evaluation(State.ON_TRACK, HELD_BACK)
    return Evaluation(state)


STATE_STYLE = {
    State.NO_DATA: "secondary",
    State.OFF_TRACK: "danger",
    State.ON_TRACK: "info",
    State.TARGET_MET: "success",
    State.SUSTAINED: "success",
    State.MONITORED: "secondary",
}


class _StateWords:
    """The words and style of a measure's ``state``, the same wherever the state was read from."""

    __slots__ = ()

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def state_style(self) -> str:
        return STATE_STYLE[self.state]

    @property
    def met(self) -> bool:
        return self.state in (State.TARGET_MET, State.SUSTAINED)

    @property
    def off_track(self) -> bool:
        return self.state == State.OFF_TRACK


@dataclass
class MeasureSummary(_StateWords):
    """Everything a page or a PDF shows about one measure, from already-loaded points."""

    measure: OutcomeMeasure
    points: list[DataPoint]
    state: str
    spc: SpcResult
    stale: bool | None = None  # filled in by ``summarise(..., today=...)``
    state_reason: str = ""  # why the evaluation held the state back, if it did (``evaluate``)

    @property
    def latest(self) -> DataPoint | None:
        return self.points[-1] if self.points else None

    @property
    def latest_text(self) -> str:
        """The latest value with its unit ("83.3%", "4 complaints"), or a dash."""
        return charts.fmt_value(self.latest.value if self.latest else None, self.measure.unit)

    def value_text(self, value: float | None) -> str:
        return charts.fmt_value(value, self.measure.unit)

    @property
    def baseline_text(self) -> str:
        return charts.fmt_value(self.measure.baseline_value, self.measure.unit)

    @property
    def target_text(self) -> str:
        return charts.fmt_value(self.measure.target_value, self.measure.unit)

    @property
    def run(self) -> int:
        """Latest values in a row meeting the target."""
        return trailing_run(self.measure, self.points)

    @property
    def reduction_pct(self) -> float | None:
        """For reduction measures: how far the latest value is below the baseline, in %."""
        if self.measure.kind != OutcomeMeasure.Kind.REDUCTION or not self.points or self.measure.baseline_value <= 0:
            return None
        return round(100.0 * (self.measure.baseline_value - self.points[-1].value) / self.measure.baseline_value, 1)

    @property
    def target_reduction_pct(self) -> float | None:
        if self.measure.kind != OutcomeMeasure.Kind.REDUCTION or self.measure.baseline_value <= 0:
            return None
        m = self.measure
        return round(100.0 * (m.baseline_value - m.target_value) / m.baseline_value, 1)

    def is_stale(self, today: datetime.date, grace_days: int = STALE_GRACE_DAYS) -> bool:
        """No data point within one cadence period (plus a week's grace) of ``today``."""
        limit = CADENCE_DAYS[self.measure.cadence] + grace_days
        last = self.latest.period_date if self.latest else self.measure.baseline_date
        return (today - last).days > limit

    @property
    def variation(self) -> str:
        return self.spc.variation

    @property
    def assurance_key(self) -> str:
        return self.spc.assurance or ""

    @property
    def recent_concern(self) -> bool:
        """A special-cause concern among the latest three points."""
        return self.spc.recent_concern()

    def badge(self) -> dict:
        return charts.variation_badge(self.spc)

    def assurance(self) -> dict | None:
        return charts.assurance_badge(self.spc)

    def chart_svg(self, *, width: int = 640, height: int = 260) -> str:
        return charts.spc_chart_svg(
            dates=[p.period_date for p in self.points],
            values=[p.value for p in self.points],
            result=self.spc,
            title=self.measure.name,
            unit=self.measure.unit,
            width=width,
            height=height,
            y_min=0 if self.measure.kind == OutcomeMeasure.Kind.PERCENTAGE else None,
            y_max=100 if self.measure.kind == OutcomeMeasure.Kind.PERCENTAGE else None,
        )

    def sparkline_svg(self) -> str:
        return charts.sparkline_svg(
            values=[p.value for p in self.points],
            variation=self.spc.variation,
            target=self.measure.target_value,
            label=self.measure.name,
        )


def summarise(
    measure: OutcomeMeasure, points: Sequence[DataPoint], *, today: datetime.date | None = None
) -> MeasureSummary:
    """State and SPC from points already loaded; with ``today`` also whether data is overdue."""
    points = sorted(points, key=lambda p: (p.period_date, p.pk or 0))
    # ``getattr``: the data migrations summarise rows of fields they read themselves (0005),
    # from before rebasing existed.
    rebase_dates = getattr(measure, "spc_rebase_dates", None) or ()
    spc = compute_spc(
        [p.value for p in points],
        direction=measure.direction,
        target=measure.target_value,
        baseline_size=measure.limits_from_first or None,  # 0 would mean "no baseline": use all points
        segment_starts=segment_starts_for([p.period_date for p in points], rebase_dates),
    )
    evaluation = evaluate(measure, points, spc)
    summary = MeasureSummary(
        measure=measure, points=list(points), state=evaluation.state, spc=spc, state_reason=evaluation.reason
    )
    if today is not None:
        summary.stale = summary.is_stale(today)
    return summary


def snapshot_values(summary: MeasureSummary, *, now: datetime.datetime) -> dict:
    """The ``summary_*`` columns of ``OutcomeMeasure`` for this summary (see ``MeasureSnapshot``)."""
    latest = summary.latest
    return {
        "summary_state": summary.state,
        "summary_variation": summary.spc.variation,
        "summary_assurance": summary.spc.assurance or "",
        "summary_recent_concern": summary.spc.recent_concern(),
        "summary_latest_value": latest.value if latest else None,
        "summary_latest_date": latest.period_date if latest else None,
        "summary_point_count": len(summary.points),
        "summary_values": [p.value for p in summary.points],
        "summary_updated_at": now,
    }


@dataclass(frozen=True)
class LatestValue:
    period_date: datetime.date
    value: float


class MeasureSnapshot(_StateWords):
    """What lists show about a measure, read from its stored ``summary_*`` columns.

    Answers the same questions as :class:`MeasureSummary` that the dashboard, the recovery map
    and the provider dashboard ask (state, badges, latest value, sparkline, staleness), without
    loading a point or running SPC. The columns are refreshed by
    ``recovery.measures.services.measure_refresh_summary`` whenever the measure or its points
    change; staleness depends on today, so it is worked out here from the latest date.
    """

    __slots__ = ("measure", "stale", "url")

    def __init__(self, measure: OutcomeMeasure, *, today: datetime.date | None = None) -> None:
        self.measure = measure
        self.url = ""  # the measure page, filled in by views that link many measures at once
        self.stale: bool | None = self.is_stale(today) if today is not None else None

    @property
    def state(self) -> str:
        return self.measure.summary_state

    @property
    def variation(self) -> str:
        return self.measure.summary_variation

    @property
    def assurance_key(self) -> str:
        return self.measure.summary_assurance

    @property
    def recent_concern(self) -> bool:
        return self.measure.summary_recent_concern

    @property
    def point_count(self) -> int:
        return self.measure.summary_point_count

    @property
    def latest(self) -> LatestValue | None:
        m = self.measure
        if m.summary_latest_date is None or m.summary_latest_value is None:
            return None
        return LatestValue(m.summary_latest_date, m.summary_latest_value)

    @property
    def latest_text(self) -> str:
        return charts.fmt_value(self.measure.summary_latest_value, self.measure.unit)

    def is_stale(self, today: datetime.date, grace_days: int = STALE_GRACE_DAYS) -> bool:
        """As :meth:`MeasureSummary.is_stale`, from the stored latest date."""
        m = self.measure
        return is_stale(m.cadence, m.summary_latest_date or m.baseline_date, today, grace_days)

    def badge(self) -> dict:
        return charts.variation_badge_for(self.variation, self.measure.direction)

    def assurance(self) -> dict | None:
        return charts.assurance_badge_for(self.assurance_key)

    def sparkline_svg(self) -> str:
        """Drawn from the stored values by the same function as :meth:`MeasureSummary.sparkline_svg`.

        Drawing when shown, instead of storing the markup, costs the large provider's recovery
        map (100 sparklines of 50 points) 45.4-46.7 -> 51.1-52.2 ms (+12-14 %) and the service
        dashboard +2-3 % (SQLite, 2026-12-01, benchmarks/README.md): under the 15 % at which
        the markup would be worth storing again.
        """
        m = self.measure
        return charts.sparkline_svg(
            values=m.summary_values, variation=m.summary_variation, target=m.target_value, label=m.name
        )


# The stored summary columns (written together by the refresh; read with ``.only()`` on list
# pages, beside the measure's own name, unit, direction, cadence, baseline date and target).
SNAPSHOT_FIELDS = (
    "summary_state",
    "summary_variation",
    "summary_assurance",
    "summary_recent_concern",
    "summary_latest_value",
    "summary_latest_date",
    "summary_point_count",
    "summary_values",
)


RULE_WORDS = {
    1: "a value outside the process limits",
    2: f"{RUN_LENGTH} or more values in a row on the same side of the average",
    3: f"{TREND_LENGTH} or more values in a row each rising, or each falling",
    4: "2 of 3 values in a row beyond two sigma (close to a limit or beyond it), all 3 on one side of the average",
}


def _day(d: datetime.date) -> str:
    return f"{d.day} {d:%b %Y}"


def explain(summary: MeasureSummary) -> list[str]:
    """Plain-words sentences on what the chart says about this measure, for the measure page."""
    measure, spc = summary.measure, summary.spc
    unit = measure.unit
    better = "higher" if measure.direction == OutcomeMeasure.Direction.HIGHER else "lower"
    worse = "lower" if better == "higher" else "higher"
    if not summary.points:
        return [
            "No values recorded yet. Once there are a few, the chart shows how this measure usually "
            "varies from period to period, and points out anything unusual."
        ]
    out: list[str] = []
    if spc.rebased:
        starts = ", ".join(_day(summary.points[seg.start].period_date) for seg in spc.segments[1:])
        out.append(
            f"The limits are recalculated from {starts}, when the way of working changed: each part of "
            f"the chart is judged against its own average and limits, and what follows describes the "
            f"latest part."
        )
    if not spc.has_limits:
        out.append("Only one value so far: the limits need at least two.")
    elif spc.short_fixed_baseline:
        out.append(
            f"The limits are fixed on the first {spc.baseline_size} values, fewer than the "
            f"{MIN_POINTS_FOR_LIMITS} limits need, so they are trial limits. Treat signals as early "
            f"hints, and fix the limits on at least {MIN_POINTS_FOR_LIMITS} values (or on every value) "
            f"when editing the measure."
        )
    elif spc.trial:
        out.append(
            f"The limits are provisional (trial limits): they rest on {spc.baseline_size} values and "
            f"settle once there are {MIN_POINTS_FOR_LIMITS}. Treat signals as early hints."
        )
    latest, latest_spc = summary.points[-1], spc.points[-1]
    when = f"{charts.fmt_value(latest.value, unit)} for {_day(latest.period_date)}"
    if latest_spc.signal:
        reasons = "; ".join(RULE_WORDS[r] for r in sorted(latest_spc.verdict_rules or latest_spc.rules))
        if latest_spc.signal == NEUTRAL:
            moved = {1: "higher than usual", -1: "lower than usual"}.get(latest_spc.side, "out of the ordinary")
            out.append(
                f"Special cause – neither better nor worse. The latest value ({when}) is unlikely to be "
                f"ordinary variation: it is {moved}. Neither direction is better for this measure, so find "
                f"out what changed and whether it matters."
            )
        elif latest_spc.signal == CONCERN:
            out.append(
                f"Special cause – concern. The latest value ({when}) is unlikely to be ordinary "
                f"variation, and it has moved the wrong way for this measure ({worse}, when {better} "
                f"is better). Find out what changed, and record what is being done about it."
            )
        else:
            out.append(
                f"Special cause – improvement. The latest value ({when}) is unlikely to be ordinary "
                f"variation, and it has moved the way this measure should ({better} is better). "
                f"Check the evidence explains the change before relying on it."
            )
        out.append(f"What triggered the signal: {reasons}.")
        if latest_spc.conflict and latest_spc.signal != NEUTRAL:
            other = "; ".join(RULE_WORDS[r] for r in sorted(latest_spc.rules - latest_spc.verdict_rules))
            out.append(
                f"Another rule points the other way ({other or 'the same rule, the other way'}). As in "
                f"Making Data Count, the chart shows the improvement when rules disagree: look at both "
                f"before relying on it."
            )
    else:
        out.append(
            f"Common cause variation. The latest value ({when}) is within the usual range, and no "
            f"pattern stands out. A real change needs a change in how the work is done, not more of the same."
        )
        if spc.recent_concern():
            out.append("One of the previous values was a special cause – concern: keep watching the next few.")
    if measure.direction == OutcomeMeasure.Direction.NEUTRAL:
        out.append(
            f"Neither direction is better for this measure, so the chart gives no assurance against the "
            f"target ({charts.fmt_value(measure.target_value, unit)}): it is drawn for reference only."
        )
    if spc.assurance == "pass":
        out.append(
            f"The target ({charts.fmt_value(spc.target, unit)}) lies beyond the limits on the good side: "
            f"if nothing changes, the measure should meet it almost every period."
        )
    elif spc.assurance == "fail":
        out.append(
            f"The target ({charts.fmt_value(spc.target, unit)}) lies beyond the limits on the wrong side: "
            f"as things are, the measure will miss it almost every period."
        )
    elif spc.assurance == "hit_and_miss":
        out.append(
            f"The target ({charts.fmt_value(spc.target, unit)}) sits inside the limits: some periods will "
            f"meet it and some will not, by chance alone. One good period is not proof of improvement."
        )
    return out
