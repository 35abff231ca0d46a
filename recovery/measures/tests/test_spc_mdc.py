"""SPC against the published Making Data Count (MDC) rules and the NHS-R reference implementation.

Sources encoded here (pure Python, no database):

* MDC's statement of the two-sigma rule, as MDC's analyst gave it to the reference
  implementation (NHSRplotthedots issue #194, Nov 2023): every point beyond two sigma counts,
  a point beyond three sigma included; all three points must be on the same side of the mean;
  the third point is not flagged when it lies between the mean and two sigma.
* The same thread on conflicts: when a point is special cause for improvement and for concern
  at once, MDC's single chart tool shows the improvement.
* NHSRplotthedots' unit-test vectors for ``ptd_two_in_three`` / ``ptd_part_of_two_in_three``
  (which points of a pattern "beyond two sigma / not" are flagged), its issue #143 (points
  beyond two sigma on opposite sides are common cause) and #153 (three sigma, three sigma,
  then two sigma: the last point is special cause under MDC's rule).
* NHSRplotthedots' rebasing (each rebase group has its own mean, limits and rules), its
  neutral direction (purple "#490092", no assurance) and its short-group warning (fewer than
  12 points in a group: the limits are not to be relied on, shown here as trial limits).

The values are built on one baseline whose limits are worked out by hand, so each point's
zone is known exactly.
"""

import pytest

from recovery.measures.spc import COLOURS, MIN_POINTS_FOR_LIMITS, compute_spc

# Baseline: mean 11, moving ranges all 2, so mR-bar 2; process limits 11 +/- 5.32 =
# 16.32 / 5.68; two-sigma ("near limit") lines 11 +/- 3.5467 = 14.5467 / 7.4533. It ends below
# the mean, so nothing after it joins a run with it.
BASE = [12, 10, 12, 10, 12, 10]
N = len(BASE)
# Values in each zone.
ABOVE_3S, ABOVE_2S, ABOVE_MEAN = 17.0, 15.0, 12.0
BELOW_3S, BELOW_2S, BELOW_MEAN = 5.0, 7.0, 8.0
ON_MEAN = 11.0


def spc(tail, direction="higher", **kwargs):
    kwargs.setdefault("baseline_size", N)
    return compute_spc(BASE + list(tail), direction=direction, **kwargs)


def rule4(result):
    """Indexes (after the baseline) of the points rule 4 flagged."""
    return [p.index - N for p in result.points if 4 in p.rules]


def test_the_baseline_zones_are_as_worked_out():
    r = spc([])
    assert (r.mean, r.mr_bar) == (pytest.approx(11), pytest.approx(2))
    assert (r.upper, r.lower) == (pytest.approx(16.32), pytest.approx(5.68))
    assert r.near_upper == pytest.approx(14.5467, abs=1e-4)
    assert r.near_lower == pytest.approx(7.4533, abs=1e-4)
    assert r.near_upper < ABOVE_2S < r.upper < ABOVE_3S
    assert r.lower < BELOW_2S < r.near_lower < BELOW_MEAN < r.mean


# --- Rule 4: two of three beyond two sigma, on both sides of the mean -------------------------


@pytest.mark.parametrize(
    ("side", "tail", "verdict"),
    [
        ("above", [ABOVE_MEAN, ABOVE_2S, ABOVE_2S], "improvement"),
        ("below", [BELOW_MEAN, BELOW_2S, BELOW_2S], "concern"),
    ],
)
def test_rule4_fires_on_either_side_and_flags_only_the_points_beyond_two_sigma(side, tail, verdict):
    r = spc(tail)
    assert rule4(r) == [1, 2], side
    assert r.points[N].signal is None  # the third point, between the mean and two sigma
    assert {r.points[N + 1].signal, r.points[N + 2].signal} == {verdict}
    # Mirrored direction, mirrored verdict.
    flipped = spc(tail, direction="lower")
    assert {flipped.points[N + 1].signal} == {"concern" if verdict == "improvement" else "improvement"}


@pytest.mark.parametrize(
    "tail",
    [
        [ABOVE_2S, ABOVE_MEAN, ABOVE_2S],  # the pattern in any order (reference: 1,0,1)
        [ABOVE_MEAN, ABOVE_2S, ABOVE_2S],  # 0,1,1
        [ABOVE_2S, ABOVE_2S, ABOVE_MEAN],  # 1,1,0
    ],
)
def test_rule4_any_two_of_the_three(tail):
    assert sorted(rule4(spc(tail))) == sorted(i for i, v in enumerate(tail) if v == ABOVE_2S)


def test_rule4_a_point_beyond_three_sigma_counts_as_beyond_two():
    # MDC (2023): one point between two and three sigma and the next beyond three sigma fire
    # the rule together; the third point, inside two sigma, is not flagged.
    r = spc([ABOVE_MEAN, ABOVE_2S, ABOVE_3S])
    assert rule4(r) == [1, 2]
    assert r.points[N + 2].rules == frozenset({1, 4})
    r = spc([BELOW_MEAN, BELOW_3S, BELOW_2S])
    assert rule4(r) == [1, 2]
    assert r.points[N + 1].rules == frozenset({1, 4})
    assert r.points[N + 2].signal == "concern"


def test_rule4_three_sigma_three_sigma_then_two_sigma():
    # NHSRplotthedots #153: the last point (two to three sigma) is special cause too.
    r = spc([ABOVE_3S, ABOVE_3S, ABOVE_2S])
    assert rule4(r) == [0, 1, 2]
    assert r.points[N + 2].rules == frozenset({4})
    assert r.latest.signal == "improvement"


@pytest.mark.parametrize(
    "tail",
    [
        [ABOVE_2S, BELOW_MEAN, ABOVE_2S],  # the middle point on the other side of the mean
        [BELOW_2S, ABOVE_MEAN, BELOW_2S],  # the same below
        [ABOVE_2S, ON_MEAN, ABOVE_2S],  # a point on the mean is on neither side
        [ABOVE_2S, ABOVE_MEAN, BELOW_2S],  # NHSRplotthedots #143: opposite sides
    ],
)
def test_rule4_does_not_fire_unless_all_three_are_on_one_side(tail):
    r = spc(tail)
    assert rule4(r) == []
    assert r.variation == "common_cause"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # NHSRplotthedots' vectors (1 = beyond two sigma, 0 = same side, inside two sigma).
        ((0, 0, 1, 0, 1, 0, 0), [2, 4]),
        ((0, 0, 1, 1, 0, 0, 0), [2, 3]),
        ((1, 0, 0, 1), []),
        ((1, 0, 0, 1, 1), [3, 4]),
        ((1, 0, 1), [0, 2]),
    ],
)
def test_rule4_reference_vectors(pattern, expected):
    for beyond, inside in ((ABOVE_2S, ABOVE_MEAN), (BELOW_2S, BELOW_MEAN)):
        assert rule4(spc([beyond if p else inside for p in pattern])) == expected


# --- Conflicts ------------------------------------------------------------------------------


def test_trend_towards_improvement_below_the_mean_shows_improvement():
    # Mean 15, limits 41.6 / -11.6: seven points rising from 1 to 7 sit below the mean (a
    # shift: concern when higher is better) and rise (a trend: improvement). MDC shows the
    # improvement.
    wide = [10, 20, 10, 20, 10, 20]
    r = compute_spc(wide + list(range(1, 8)), direction="higher", baseline_size=6)
    latest = r.latest
    assert latest.rules == frozenset({2, 3})
    assert latest.signal == "improvement" and latest.conflict
    assert latest.verdict_rules == frozenset({3})
    assert r.variation == "improvement"


def test_a_point_below_the_lower_limit_at_the_start_of_an_improving_trend():
    # The documented priority applies to every disagreement, rule 1 included: the point is
    # beyond the lower limit (concern) and the first of seven rising points (improvement).
    r = spc([5.5, 6, 7, 8, 9, 10, 10.5], baseline_size=N)
    first = r.points[N]
    assert first.rules >= {1, 3}
    assert first.conflict and first.signal == "improvement"
    assert 1 not in first.verdict_rules


def test_no_conflict_no_flag():
    r = spc([ABOVE_3S])
    assert r.latest.conflict is False and r.latest.verdict_rules == frozenset({1})


# --- Rebasing: each segment with its own mean, limits and rules ----------------------------


AFTER = [20, 22, 20, 22, 20, 22]  # mean 21, mR-bar 2: limits 26.32 / 15.68


def test_two_segments_have_their_own_limits():
    values = BASE + AFTER
    whole = compute_spc(values, direction="higher")
    rebased = compute_spc(values, direction="higher", segment_starts=[N])
    first, second = rebased.segments
    assert (first.start, first.end, second.start, second.end) == (0, N, N, 2 * N)
    assert first.mean == pytest.approx(11) and first.upper == pytest.approx(16.32)
    assert second.mean == pytest.approx(21) and second.upper == pytest.approx(26.32)
    assert second.lower == pytest.approx(15.68)
    # The result's own figures describe the current process: the last segment.
    assert (rebased.mean, rebased.upper, rebased.lower) == (second.mean, second.upper, second.lower)
    assert rebased.rebased and not whole.rebased
    assert [p.segment for p in rebased.points] == [0] * N + [1] * N
    # Judged against its own limits the second segment is ordinary variation...
    assert all(p.signal is None for p in rebased.points[N:])
    assert rebased.variation == "common_cause"
    # ...while one set of limits over both calls the later points special causes.
    assert any(p.signal == "improvement" for p in whole.points[N:])


def test_runs_do_not_cross_a_rebase():
    # Four points above the mean before the rebase and four after would be a run of eight.
    before = [10, 12, 10, 12, 10, 12, 12, 12, 12]  # mean 11.33
    after = [12.5, 12.5, 12.5, 12.5]
    one = compute_spc(before + after, direction="higher")
    assert any(2 in p.rules for p in one.points)
    two = compute_spc(before + after, direction="higher", segment_starts=[len(before)])
    assert not any(2 in p.rules for p in two.points)


def test_assurance_and_recent_signals_use_the_last_segment():
    values = [12, 10, 12, 10, 12, 5] + AFTER  # a concern just before the rebase
    r = compute_spc(values, direction="higher", target=14, segment_starts=[6], baseline_size=5)
    assert r.points[5].signal == "concern"
    # Target 14 is below the second segment's lower limit (15.68): consistently passes.
    assert r.assurance == "pass"
    # The concern belongs to the old process, so it is not "recent" after the rebase.
    assert r.recent_signals(3) == (None, None, None)
    assert not r.recent_concern(10)


def test_out_of_range_and_repeated_rebase_points_are_ignored():
    r = compute_spc(BASE + AFTER, direction="higher", segment_starts=[0, N, N, 99, -3])
    assert len(r.segments) == 2


def test_a_short_segment_after_a_rebase_has_trial_limits():
    r = compute_spc(BASE * 2 + AFTER[:3], direction="higher", segment_starts=[2 * N])
    assert r.segments[0].trial is False
    assert r.segments[1].trial is True and r.trial is True
    one = compute_spc(BASE * 2 + AFTER[:1], direction="higher", segment_starts=[2 * N])
    assert one.segments[1].has_limits is False and one.has_limits is False


# --- Neutral direction ----------------------------------------------------------------------


def test_neutral_shows_special_causes_without_a_verdict_or_assurance():
    r = spc([ABOVE_3S], direction="neutral", target=5)
    latest = r.latest
    assert latest.signal == "neutral" and latest.side == +1
    assert latest.colour == COLOURS["neutral"] == "#490092"
    assert latest.text_colour == "#ffffff"  # 12.4:1 on the purple
    assert r.variation == "neutral" and r.variation_label == "Special cause – neither better nor worse"
    assert r.assurance is None  # no better side, so no assurance against a target
    assert not r.recent_concern() and not r.recent_improvement()
    low = spc([BELOW_MEAN, BELOW_2S, BELOW_2S], direction="neutral")
    assert low.latest.signal == "neutral" and low.latest.side == -1
    assert spc([ABOVE_MEAN], direction="neutral").variation == "common_cause"


# --- A fixed baseline needs at least 12 points ----------------------------------------------


def test_a_fixed_baseline_of_fewer_than_twelve_points_is_trial():
    values = [10, 12] * 10
    short = compute_spc(values, direction="higher", baseline_size=6)
    assert short.baseline_size == 6
    assert short.trial is True and short.short_fixed_baseline is True
    full = compute_spc(values, direction="higher", baseline_size=MIN_POINTS_FOR_LIMITS)
    assert full.trial is False and full.short_fixed_baseline is False
    # Twelve asked for but only eight recorded so far: trial until the twelfth arrives.
    early = compute_spc(values[:8], direction="higher", baseline_size=12)
    assert early.trial is True and early.short_fixed_baseline is False
    assert early.baseline_size == 8
