"""One evaluation of a measure: its state never says "target met" beside "consistently fails target"."""

import datetime

from recovery.measures.measuring import State, evaluate, summarise
from recovery.measures.spc import compute_spc
from recovery.models import DataPoint, OutcomeMeasure
from recovery.templatetags.recovery_measures import measure_badges

BASE = datetime.date(2026, 1, 5)


def _measure(**extra) -> OutcomeMeasure:
    return OutcomeMeasure(
        name="Audits with clear findings, actions, owners and impact checks",
        kind=OutcomeMeasure.Kind.PERCENTAGE,
        direction=OutcomeMeasure.Direction.HIGHER,
        baseline_value=40.0,
        baseline_date=BASE,
        target_value=90.0,
        target_date=BASE + datetime.timedelta(weeks=13),
        sustain_periods=4,
        unit="%",
        **extra,
    )


def _points(values):
    return [
        DataPoint(pk=i + 1, period_date=BASE + datetime.timedelta(weeks=i + 1), value=v) for i, v in enumerate(values)
    ]


def test_a_value_at_target_on_a_process_that_consistently_fails_is_not_target_met():
    # Limits fixed on 12 steady weeks around 50%: the target (90%) lies far above them.
    measure = _measure(limits_from_first=12)
    points = _points([48, 52, 50, 49, 51, 50, 52, 48, 50, 51, 49, 50, 92])
    summary = summarise(measure, points)
    assert summary.spc.assurance == "fail"
    assert summary.state == State.ON_TRACK and not summary.met
    assert "does not count as met yet" in summary.state_reason
    html = measure_badges(summary)
    assert "Target met" not in html and "Sustained" not in html


def test_the_same_value_on_a_process_that_can_meet_the_target_is_met():
    measure = _measure()
    points = _points([86, 91, 88, 93, 90, 92])
    spc = compute_spc([p.value for p in points], direction=measure.direction, target=measure.target_value)
    assert spc.assurance != "fail"
    evaluation = evaluate(measure, points, spc)
    assert evaluation.met and not evaluation.reason
    assert summarise(measure, points).state == evaluation.state
