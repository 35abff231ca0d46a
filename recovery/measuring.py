"""Facts about an outcome measure computed from its points: value, state, SPC. Pure functions.

Kept apart from services (writes) and selectors (queries) because pages, jobs and the PDF
pack all need the same answers from points they have already loaded.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from . import charts
from .models import DataPoint, OutcomeMeasure
from .spc import SpcResult, compute_spc

State = OutcomeMeasure.State


def point_value(kind: str, numerator: float | None, denominator: float | None, value: float | None) -> float:
    """The plotted value: a percentage for sampled measures, else the value given."""
    if kind == OutcomeMeasure.Kind.PERCENTAGE:
        return round(100.0 * float(numerator) / float(denominator), 2)
    return float(value)


def measure_state(measure: OutcomeMeasure, points: Sequence[DataPoint]) -> str:
    """no data / off track / on track / target met / sustained.

    Sustained: the last ``sustain_periods`` points (at least two) all meet the target.
    Target met: the latest point meets it. On track: the latest point is at least as good as
    a straight line from baseline (at the baseline date) to target (at the target date).
    """
    if not points:
        return State.NO_DATA
    latest = points[-1]
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


STATE_STYLE = {
    State.NO_DATA: "secondary",
    State.OFF_TRACK: "danger",
    State.ON_TRACK: "info",
    State.TARGET_MET: "success",
    State.SUSTAINED: "success",
}


@dataclass
class MeasureSummary:
    """Everything a page or a PDF shows about one measure, from already-loaded points."""

    measure: OutcomeMeasure
    points: list[DataPoint]
    state: str
    spc: SpcResult

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def state_style(self) -> str:
        return STATE_STYLE[self.state]

    @property
    def latest(self) -> DataPoint | None:
        return self.points[-1] if self.points else None

    @property
    def met(self) -> bool:
        return self.state in (State.TARGET_MET, State.SUSTAINED)

    def is_stale(self, today: datetime.date, grace_days: int = 7) -> bool:
        from core.choices import CADENCE_DAYS

        limit = CADENCE_DAYS[self.measure.cadence] + grace_days
        last = self.latest.period_date if self.latest else self.measure.baseline_date
        return (today - last).days > limit

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
            result=self.spc,
            target=self.measure.target_value,
            label=self.measure.name,
        )


def summarise(measure: OutcomeMeasure, points: Sequence[DataPoint]) -> MeasureSummary:
    points = sorted(points, key=lambda p: (p.period_date, p.pk or 0))
    spc = compute_spc(
        [p.value for p in points],
        direction=measure.direction,
        target=measure.target_value,
        baseline_size=measure.limits_from_first,
    )
    return MeasureSummary(measure=measure, points=list(points), state=measure_state(measure, points), spc=spc)
