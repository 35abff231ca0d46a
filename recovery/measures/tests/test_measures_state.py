"""Measure status (measuring.measure_state) and the facts a measure page shows. No database."""

import datetime

import pytest

from recovery.measures.measuring import State, explain, measure_state, summarise, trailing_run
from recovery.models import DataPoint, OutcomeMeasure

Kind, Direction = OutcomeMeasure.Kind, OutcomeMeasure.Direction
BASE = datetime.date(2026, 1, 5)
TARGET = BASE + datetime.timedelta(days=70)  # ten weeks


def week(n: int) -> datetime.date:
    return BASE + datetime.timedelta(days=7 * n)


def make(direction=Direction.HIGHER, *, kind=Kind.PERCENTAGE, baseline=60.0, target=95.0, sustain=4, **extra):
    return OutcomeMeasure(
        name="Escalated on time",
        kind=kind,
        direction=direction,
        baseline_value=baseline,
        baseline_date=BASE,
        target_value=target,
        target_date=TARGET,
        sustain_periods=sustain,
        **{"unit": "%", **extra},
    )


def pts(*pairs):
    return [DataPoint(pk=i + 1, period_date=week(w), value=v) for i, (w, v) in enumerate(pairs)]


HIGHER = make(Direction.HIGHER, baseline=60, target=95)
LOWER = make(Direction.LOWER, kind=Kind.COUNT, baseline=8, target=2)


@pytest.mark.parametrize("measure", [HIGHER, LOWER], ids=["higher", "lower"])
def test_no_data(measure):
    assert measure_state(measure, []) == State.NO_DATA


# Halfway (week 5 of 10) the straight line from baseline to target is at 77.5 (higher) or 5 (lower).
@pytest.mark.parametrize(
    ("measure", "value", "expected"),
    [
        (HIGHER, 80, State.ON_TRACK),
        (HIGHER, 77.5, State.ON_TRACK),  # exactly on the line counts as on track
        (HIGHER, 70, State.OFF_TRACK),
        (LOWER, 4, State.ON_TRACK),
        (LOWER, 5, State.ON_TRACK),
        (LOWER, 6, State.OFF_TRACK),
    ],
)
def test_on_and_off_track_against_the_line_from_baseline_to_target(measure, value, expected):
    assert measure_state(measure, pts((5, value))) == expected


@pytest.mark.parametrize(
    ("measure", "good", "bad"),
    [(HIGHER, 95, 90), (LOWER, 2, 3)],
    ids=["higher", "lower"],
)
def test_target_met_then_sustained(measure, good, bad):
    # The latest point meets the target, but not four in a row yet.
    assert measure_state(measure, pts((5, bad), (6, good))) == State.TARGET_MET
    assert measure_state(measure, pts((3, good), (4, bad), (5, good), (6, good), (7, good))) == State.TARGET_MET
    # Four in a row at or beyond the target.
    assert measure_state(measure, pts((4, good), (5, good), (6, good), (7, good))) == State.SUSTAINED


def test_past_the_target_date_anything_short_of_the_target_is_off_track():
    assert measure_state(HIGHER, pts((12, 94))) == State.OFF_TRACK
    assert measure_state(LOWER, pts((12, 3))) == State.OFF_TRACK


def test_sustained_needs_at_least_two_points_even_with_sustain_of_one():
    m = make(sustain=1)
    assert measure_state(m, pts((5, 96))) == State.TARGET_MET
    assert measure_state(m, pts((5, 96), (6, 97))) == State.SUSTAINED


# "Four consecutive weeks of planned staffing achieved": 100 = fully staffed week.
STAFFING = make(kind=Kind.CONSECUTIVE, baseline=80, target=100, sustain=4, cadence="weekly")


def test_consecutive_one_good_period_is_on_track_not_target_met():
    assert measure_state(STAFFING, pts((1, 100))) == State.ON_TRACK
    assert trailing_run(STAFFING, pts((1, 100), (2, 90), (3, 100), (4, 100))) == 2


def test_consecutive_missed_period_is_off_track():
    assert measure_state(STAFFING, pts((1, 100), (2, 100), (3, 92))) == State.OFF_TRACK


def test_consecutive_run_reached_is_sustained():
    assert measure_state(STAFFING, pts((1, 90), (2, 100), (3, 100), (4, 100), (5, 100))) == State.SUSTAINED


def test_consecutive_run_that_cannot_finish_by_the_target_date_is_off_track():
    # Week 9 good: three more weeks would end at week 12, after the target (week 10).
    assert measure_state(STAFFING, pts((9, 100))) == State.OFF_TRACK
    # Week 6 good: three more weeks end at week 9, in time.
    assert measure_state(STAFFING, pts((6, 100))) == State.ON_TRACK


def test_consecutive_lower_is_better():
    m = make(Direction.LOWER, kind=Kind.CONSECUTIVE, baseline=5, target=0, sustain=2)  # uncovered shifts
    assert measure_state(m, pts((1, 0))) == State.ON_TRACK
    assert measure_state(m, pts((1, 0), (2, 0))) == State.SUSTAINED
    assert measure_state(m, pts((1, 0), (2, 1))) == State.OFF_TRACK


def test_summarise_sorts_points_and_reports_staleness():
    m = make(cadence="weekly")
    points = [DataPoint(pk=2, period_date=week(3), value=90), DataPoint(pk=1, period_date=week(1), value=70)]
    s = summarise(m, points, today=week(3) + datetime.timedelta(days=14))
    assert [p.value for p in s.points] == [70, 90]
    assert s.stale is False  # 14 days <= 7-day cadence + 7 days' grace
    assert summarise(m, points, today=week(3) + datetime.timedelta(days=15)).stale is True
    assert summarise(m, points).stale is None


def test_no_points_since_the_baseline_is_stale():
    s = summarise(make(cadence="monthly"), [], today=BASE + datetime.timedelta(days=39))
    assert s.stale is True
    assert summarise(make(cadence="monthly"), [], today=BASE + datetime.timedelta(days=38)).stale is False


def test_limits_fixed_on_zero_points_means_all_points():
    s = summarise(make(limits_from_first=0), pts((1, 70), (2, 80), (3, 75)))
    assert s.spc.baseline_size == 3


def test_reduction_percentages():
    m = make(Direction.LOWER, kind=Kind.REDUCTION, baseline=8, target=2, unit="complaints")
    s = summarise(m, pts((1, 6)))
    assert s.target_reduction_pct == 75.0
    assert s.reduction_pct == 25.0
    assert s.latest_text == "6 complaints"
    assert summarise(HIGHER, pts((1, 80))).reduction_pct is None


def test_explain_names_a_concern_and_what_triggered_it():
    # Seven weeks steady around 80 then a drop far below the limits: rule 1, a concern (higher is better).
    values = [80, 82, 79, 81, 80, 82, 81, 40]
    s = summarise(make(), pts(*enumerate(values)))
    text = " ".join(explain(s))
    assert "Special cause – concern" in text
    assert "lower, when higher is better" in text
    assert "outside the process limits" in text
    assert "trial limits" in text


def test_explain_improvement_when_lower_is_better():
    values = [8, 9, 8, 7, 8, 9, 8, 1]
    s = summarise(make(Direction.LOWER, kind=Kind.COUNT, baseline=8, target=2), pts(*enumerate(values)))
    text = " ".join(explain(s))
    assert "Special cause – improvement" in text
    assert "lower is better" in text


def test_explain_common_cause_and_assurance():
    values = [70, 72, 71, 73, 70, 72]
    s = summarise(make(), pts(*enumerate(values)))
    text = " ".join(explain(s))
    assert "Common cause variation" in text
    assert "beyond the limits on the wrong side" in text  # target 95 is far above the upper limit
    assert explain(summarise(make(), []))[0].startswith("No values recorded yet")
