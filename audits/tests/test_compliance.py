"""Compliance = yes / (yes + no), N/A left out; per criterion and overall; effectiveness rules."""

import datetime

from audits import compliance as comp
from audits.periods import period_bounds, period_label, previous_period


def test_na_is_left_out_per_criterion_and_overall():
    answers = [
        {"a": "yes", "b": "na"},
        {"a": "no", "b": "yes"},
        {"a": "yes", "b": "na"},
        {"a": "na", "b": "no"},
    ]
    result = comp.compute(answers, ["a", "b"])
    a, b = result.per_criterion["a"], result.per_criterion["b"]
    assert (a.yes, a.no, a.na, a.percent) == (2, 1, 1, 66.7)
    assert (b.yes, b.no, b.na, b.percent) == (1, 1, 2, 50.0)
    # Overall pools every answer: 3 yes of 5 yes/no answers (not the mean of 66.7 and 50).
    assert (result.overall.yes, result.overall.answered, result.percent) == (3, 5, 60.0)


def test_all_not_applicable_gives_no_figure_rather_than_zero():
    result = comp.compute([{"a": "na"}, {"a": "na"}], ["a"])
    assert result.per_criterion["a"].percent is None
    assert result.percent is None


def test_blank_answers_are_counted_as_still_to_give():
    result = comp.compute([{"a": "yes"}, {}], ["a", "b"])
    assert result.overall.blank == 3
    assert result.percent == 100.0


def test_subset_tally_for_a_measure():
    result = comp.compute([{"a": "yes", "b": "no", "c": "no"}, {"a": "no", "b": "yes", "c": "no"}], ["a", "b", "c"])
    sub = result.for_keys(["a", "b"])
    assert (sub.yes, sub.answered) == (2, 4)


def test_effectiveness_gaps():
    assert comp.effectiveness_gaps(findings="Two late", no_answers=2, actions_with_owner=1, has_impact_check=True) == []
    assert comp.effectiveness_gaps(findings="", no_answers=3, actions_with_owner=0, has_impact_check=False) == [
        comp.GAP_NO_FINDINGS,
        comp.GAP_NO_ACTIONS,
        comp.GAP_NO_IMPACT_CHECK,
    ]
    # A clean sample needs findings, not actions.
    assert comp.effectiveness_gaps(findings="All met", no_answers=0, actions_with_owner=0, has_impact_check=False) == []


def test_periods():
    wed = datetime.date(2026, 3, 4)
    assert period_bounds("weekly", wed) == (datetime.date(2026, 3, 2), datetime.date(2026, 3, 8))
    assert period_bounds("monthly", wed) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert period_bounds("quarterly", wed) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert previous_period("weekly", wed) == (datetime.date(2026, 2, 23), datetime.date(2026, 3, 1))
    assert period_label("weekly", datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)) == "Week of 2–8 Mar 2026"
