"""Hand-computed tests for recovery.measures.spc (pure Python, no database)."""

import pytest

from recovery.measures.spc import COLOURS, VARIATION_LABELS, compute_spc

# A reusable baseline: mean = 66 / 6 = 11; moving ranges are all 2, so
# mR-bar = 2; limits = 11 +/- 2.66 * 2 = 16.32 / 5.68;
# near-limit band = 11 +/- 1.7733 * 2 = 14.5467 / 7.4533.
# It ends *below* the mean so that following runs above the mean start fresh.
BASE = [12, 10, 12, 10, 12, 10]
# A wide baseline: mean 15, mR-bar 10, limits 41.6 / -11.6, near band
# 32.73 / -2.73, so small trends stay clear of rules 1 and 4.
WIDE = [10, 20, 10, 20, 10, 20]


def flagged(result, rule=None):
    return [p.index for p in result.points if (p.rules if rule is None else rule in p.rules)]


def test_mean_mr_bar_and_limits():
    # values 10, 12, 11, 13, 14: mean = 60 / 5 = 12
    # moving ranges = 2, 1, 2, 1 -> mR-bar = 6 / 4 = 1.5
    # limits = 12 +/- 2.66 * 1.5 = 12 +/- 3.99 -> 15.99 / 8.01
    # near band = 12 +/- 1.7733 * 1.5 = 12 +/- 2.66 -> 14.66 / 9.34
    r = compute_spc([10, 12, 11, 13, 14], direction="higher")
    assert r.mean == pytest.approx(12)
    assert r.mr_bar == pytest.approx(1.5)
    assert r.upper == pytest.approx(15.99)
    assert r.lower == pytest.approx(8.01)
    assert r.near_upper == pytest.approx(14.66, abs=1e-3)
    assert r.near_lower == pytest.approx(9.34, abs=1e-3)
    assert r.trial is True
    assert r.baseline_size == 5
    assert flagged(r) == []
    assert r.variation == "common_cause"
    assert r.variation_label == "Common cause variation"
    assert r.colour == COLOURS["common_cause"] == "#a6a6a6"


def test_rule1_above_and_below():
    # Limits from BASE: 16.32 / 5.68.
    above = compute_spc(BASE + [17], direction="higher", baseline_size=6)
    assert above.upper == pytest.approx(16.32)
    assert flagged(above) == [6]
    assert above.points[6].rules == frozenset({1})
    assert above.points[6].signal == "improvement"
    assert above.variation == "improvement"

    below = compute_spc(BASE + [5], direction="higher", baseline_size=6)
    assert flagged(below) == [6]
    assert below.points[6].rules == frozenset({1})
    assert below.points[6].signal == "concern"
    assert below.variation == "concern"
    assert below.recent_concern()


def test_rule1_needs_strictly_outside():
    # 16.32 is not exactly representable, so check just inside instead.
    r = compute_spc(BASE + [16.3], direction="higher", baseline_size=6)
    assert 1 not in r.points[6].rules


def test_rule2_seven_on_one_side_flagged():
    # Mean 11; seven points at 11.5 (above mean, inside the near band, flat
    # so no trend) -> all seven flagged, nothing else.
    r = compute_spc(BASE + [11.5] * 7, direction="higher", baseline_size=6)
    assert flagged(r) == list(range(6, 13))
    assert all(r.points[i].rules == frozenset({2}) for i in range(6, 13))
    assert r.variation == "improvement"


def test_rule2_six_on_one_side_not_flagged():
    r = compute_spc(BASE + [11.5] * 6, direction="higher", baseline_size=6)
    assert flagged(r) == []
    assert r.variation == "common_cause"


def test_rule2_below_mean_is_concern_for_higher():
    r = compute_spc(BASE + [10.5] * 7, direction="higher", baseline_size=6)
    # BASE ends with 10 (below mean), so the run below is 8 points long.
    assert flagged(r, 2) == list(range(5, 13))
    assert r.variation == "concern"


def test_point_on_mean_breaks_run():
    # 3 above, one exactly on the mean (11), 4 above: no run of 7.
    r = compute_spc(BASE + [11.5] * 3 + [11] + [11.5] * 4, direction="higher", baseline_size=6)
    assert flagged(r) == []


def test_rule3_rising_seven_flagged():
    # After the last 20, 11..17 rises 6 times = 7 points; they straddle the
    # mean (15), so no rule 2, and stay inside the near band.
    r = compute_spc(WIDE + [11, 12, 13, 14, 15, 16, 17], direction="higher", baseline_size=6)
    assert r.mean == pytest.approx(15) and r.mr_bar == pytest.approx(10)
    assert flagged(r) == list(range(6, 13))
    assert all(r.points[i].rules == frozenset({3}) for i in range(6, 13))
    assert r.variation == "improvement"
    # The same trend is a concern when lower is better.
    assert compute_spc(WIDE + list(range(11, 18)), direction="lower", baseline_size=6).variation == "concern"


def test_rule3_falling_seven_flagged():
    base = [20, 10, 20, 10, 20, 10]  # mean 15, ends low so 19 is a rise
    r = compute_spc(base + [19, 18, 17, 16, 15, 14, 13], direction="higher", baseline_size=6)
    assert flagged(r) == list(range(6, 13))
    assert all(r.points[i].rules == frozenset({3}) for i in range(6, 13))
    assert r.variation == "concern"


def test_rule3_six_not_flagged():
    r = compute_spc(WIDE + [11, 12, 13, 14, 15, 16], direction="higher", baseline_size=6)
    assert flagged(r) == []


def test_rule3_equal_values_break_trend():
    r = compute_spc(WIDE + [11, 12, 13, 13, 14, 15, 16], direction="higher", baseline_size=6)
    assert flagged(r) == []


def test_rule4_needs_all_three_points_on_one_side_of_the_mean():
    # Near upper = 14.5467. Two points beyond it with a point *on* the mean between them: the
    # three are not all above the mean, so rule 4 does not fire (this used to be flagged).
    r = compute_spc(BASE + [15, 11, 15], direction="higher", baseline_size=6)
    assert flagged(r) == []
    # With the middle point above the mean (inside two sigma) it fires, and only the two
    # points beyond two sigma are flagged.
    r = compute_spc(BASE + [15, 12, 15], direction="higher", baseline_size=6)
    assert flagged(r) == [6, 8]
    assert r.points[6].rules == r.points[8].rules == frozenset({4})
    assert r.points[7].signal is None
    assert r.variation == "improvement"


def test_rule4_not_when_on_opposite_sides():
    # 15 is in the upper band, 7 in the lower band (7 < 7.4533 but > 5.68).
    r = compute_spc(BASE + [15, 11, 7], direction="higher", baseline_size=6)
    assert flagged(r) == []


def test_improvement_wins_when_flagged_both_ways():
    # 1..7 after WIDE: 7 points below the mean (rule 2, "down") that are also rising (rule 3,
    # "up"). One way is improvement and the other concern whichever direction is better; the
    # documented priority (MDC's) shows the improvement, and the point says it was a conflict.
    for direction, verdict_rule in (("higher", 3), ("lower", 2)):
        r = compute_spc(WIDE + list(range(1, 8)), direction=direction, baseline_size=6)
        assert all(r.points[i].rules == frozenset({2, 3}) for i in range(6, 13))
        assert {r.points[i].signal for i in range(6, 13)} == {"improvement"}
        assert all(r.points[i].conflict for i in range(6, 13))
        assert {r.points[i].verdict_rules for i in range(6, 13)} == {frozenset({verdict_rule})}


def test_trial_limits_threshold():
    values = [10, 12] * 6
    assert compute_spc(values[:11], direction="higher").trial is True
    assert compute_spc(values, direction="higher").trial is False
    assert compute_spc(values + [11] * 8, direction="higher", baseline_size=12).trial is False
    assert compute_spc(values + [11] * 8, direction="higher", baseline_size=5).trial is True


def test_baseline_size_fixes_limits():
    r = compute_spc(BASE + [30, 40, 50], direction="higher", baseline_size=6)
    assert r.baseline_size == 6
    assert r.mean == pytest.approx(11)
    assert r.mr_bar == pytest.approx(2)
    assert r.upper == pytest.approx(16.32)
    # Later points are still judged against the baseline limits.
    assert flagged(r, 1) == [6, 7, 8]
    # Without a baseline the later points move the limits.
    # (66 + 30 + 40 + 50) / 9 = 186 / 9
    assert compute_spc(BASE + [30, 40, 50], direction="higher").mean == pytest.approx(186 / 9)
    # A baseline longer than the series is capped.
    assert compute_spc(BASE, direction="higher", baseline_size=50).baseline_size == 6


def test_same_series_both_directions():
    higher = compute_spc(BASE + [17], direction="higher", baseline_size=6)
    lower = compute_spc(BASE + [17], direction="lower", baseline_size=6)
    assert higher.variation == "improvement"
    assert lower.variation == "concern"
    assert lower.variation_label == VARIATION_LABELS["concern"] == "Special cause – concern"
    assert lower.colour == "#e46c0a" and higher.colour == "#00b0f0"
    assert lower.recent_concern() and not higher.recent_concern()


@pytest.mark.parametrize(
    ("direction", "target", "expected"),
    [
        # Limits for BASE: lower 5.68, upper 16.32.
        ("higher", 5, "pass"),
        ("higher", 17, "fail"),
        ("higher", 11, "hit_and_miss"),
        ("lower", 17, "pass"),
        ("lower", 5, "fail"),
        ("lower", 11, "hit_and_miss"),
        ("higher", None, None),
    ],
)
def test_assurance(direction, target, expected):
    r = compute_spc(BASE, direction=direction, target=target)
    assert r.assurance == expected
    assert r.target == target
    labels = {
        "pass": "Consistently passes target",
        "fail": "Consistently fails target",
        "hit_and_miss": "Hit and miss against target",
        None: None,
    }
    assert r.assurance_label == labels[expected]


def test_empty_input():
    r = compute_spc([], direction="higher", target=5)
    assert r.points == ()
    assert r.mean is None and r.mr_bar is None
    assert r.upper is None and r.lower is None
    assert r.variation == "none"
    assert r.variation_label == "No data"
    assert r.assurance is None
    assert r.recent_concern() is False
    assert r.latest is None


def test_single_point():
    r = compute_spc([42.5], direction="lower", target=40)
    assert r.mean == 42.5
    assert r.mr_bar is None
    assert r.upper is None and r.lower is None and r.near_upper is None
    assert r.trial is True
    assert r.points[0].signal is None and r.points[0].rules == frozenset()
    assert r.variation == "common_cause"
    assert r.assurance is None  # no limits, no assurance


def test_mr_bar_zero_all_equal():
    r = compute_spc([5, 5, 5, 5], direction="higher", target=5)
    assert r.mr_bar == 0
    assert r.upper == r.lower == r.mean == 5
    assert flagged(r) == []
    assert r.variation == "common_cause"
    assert r.assurance == "pass"  # target <= lower (5 <= 5)
    assert compute_spc([5, 5, 5, 5], direction="higher", target=6).assurance == "fail"
    assert compute_spc([5, 5, 5, 5], direction="lower", target=5).assurance == "pass"
    # Any later change is outside the collapsed limits.
    moved = compute_spc([5, 5, 5, 5, 6], direction="higher", baseline_size=4)
    assert 1 in moved.points[4].rules and moved.variation == "improvement"


def test_recent_concern_window():
    r = compute_spc(BASE + [5, 11, 11], direction="higher", baseline_size=6)
    assert r.points[6].signal == "concern"
    assert r.variation == "common_cause"
    assert r.recent_concern(3) is True
    assert r.recent_concern(2) is False
    assert r.recent_signals(3) == ("concern", None, None)


def test_validation():
    with pytest.raises(ValueError):
        compute_spc([1, 2], direction="up")
    compute_spc([1, 2], direction="neutral")  # the third direction is allowed
    with pytest.raises(ValueError):
        compute_spc([1, 2], direction="higher", baseline_size=0)
    with pytest.raises(ValueError):
        compute_spc([1, float("nan")], direction="higher")
