"""Statistical process control (SPC) for outcome measures.

Implements an XmR (individuals) chart in the style of NHS England's
"Making Data Count" (MDC) guidance and of the NHS-R reference implementation
(NHSRplotthedots). Pure Python, no Django imports, so it can be used from
models, views, PDF exports and tests alike.

The series may be split into *segments* at chosen points ("rebasing": the
limits are recalculated from the point where the way of working changed).
Each segment is a chart of its own: its own mean, limits and rules; runs and
trends never cross a segment boundary. Within a segment:

* mean  = mean of the segment's baseline points (its first N points when a
  fixed baseline is asked for, otherwise all of them);
* mR_i  = |y_i - y_(i-1)| (moving ranges) within that baseline;
* mR-bar = mean of those moving ranges;
* process limits = mean +/- 2.66 x mR-bar (three sigma);
* "near limit" line = mean +/- 1.7733 x mR-bar (two sigma);
* a baseline of fewer than 12 points gives *trial* limits, labelled so
  wherever they are shown. That includes a fixed baseline chosen shorter than
  12 points (``SpcSegment.short_fixed_baseline``): the limits are fixed as
  asked but stay labelled trial.

Special-cause rules (evaluated over every point of the segment):

1. a point strictly above the upper or strictly below the lower limit;
2. a run of 7+ consecutive points on the same side of the mean (a point
   exactly on the mean breaks the run);
3. a run of 7+ consecutive points each strictly higher (or each strictly
   lower) than the one before (equal neighbours break the run);
4. two of three consecutive points beyond the near-limit (two-sigma) line
   on the same side, with all three points on that side of the mean. A point
   beyond the process limit is beyond two sigma too, so it counts. The points
   beyond two sigma are flagged; the third point is not (MDC's single chart
   tool and NHSRplotthedots do the same). A point on the mean, or on the
   other side of it, means the three do not fire.

Verdicts and conflicts
----------------------
A flagged point is an "improvement" or a "concern" depending on the side the
rule found it on and the measure's improvement direction. A point can be
flagged both ways (a rising trend of points below the mean, say). The
documented priority (``CONFLICT_PRIORITY``) is MDC's: **improvement wins**.
MDC's single chart tool shows the improvement when a trend towards
improvement and another rule disagree; we apply that to every disagreement,
so the verdict does not depend on which rule happened to fire first. The
point keeps every rule it broke (``rules``), the ones behind the verdict
(``verdict_rules``) and ``conflict=True`` so pages can say so.

With the *neutral* direction neither way is better: special causes are
shown (purple) without an improvement/concern verdict, and there is no
assurance against a target.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ASSURANCE_LABELS",
    "COLOURS",
    "CONFLICT_PRIORITY",
    "DIRECTIONS",
    "LIMIT_FACTOR",
    "MIN_POINTS_FOR_LIMITS",
    "NEAR_LIMIT_FACTOR",
    "RUN_LENGTH",
    "TEXT_COLOURS",
    "TREND_LENGTH",
    "VARIATION_LABELS",
    "Direction",
    "SpcPoint",
    "SpcResult",
    "SpcSegment",
    "compute_spc",
    "segment_starts_for",
]

Direction = Literal["higher", "lower", "neutral"]
HIGHER = "higher"
LOWER = "lower"
NEUTRAL_DIRECTION = "neutral"
DIRECTIONS: tuple[str, ...] = (HIGHER, LOWER, NEUTRAL_DIRECTION)

LIMIT_FACTOR = 2.66  # 3 sigma, estimated as 2.66 x mR-bar
NEAR_LIMIT_FACTOR = 2.66 * 2 / 3  # = 1.7733..., i.e. 2 sigma
MIN_POINTS_FOR_LIMITS = 12  # fewer baseline points than this -> trial limits
RUN_LENGTH = 7  # rule 2: points on one side of the mean
TREND_LENGTH = 7  # rule 3: consecutively rising/falling points

IMPROVEMENT = "improvement"
CONCERN = "concern"
NEUTRAL = "neutral"  # a special cause on a measure with no better direction
COMMON_CAUSE = "common_cause"
NONE = "none"

# When a point is flagged both ways, the first verdict in this tuple wins (see the module text).
CONFLICT_PRIORITY: tuple[str, ...] = (IMPROVEMENT, CONCERN)

VARIATION_LABELS: dict[str, str] = {
    IMPROVEMENT: "Special cause – improvement",
    CONCERN: "Special cause – concern",
    NEUTRAL: "Special cause – neither better nor worse",
    COMMON_CAUSE: "Common cause variation",
    NONE: "No data",
}

ASSURANCE_LABELS: dict[str, str] = {
    "pass": "Consistently passes target",
    "fail": "Consistently fails target",
    "hit_and_miss": "Hit and miss against target",
}

# Making Data Count colours; neutral is NHSRplotthedots' purple. "pass"/"fail"/"hit_and_miss"
# reuse the palette of the assurance icons (blue / orange / grey).
COLOURS: dict[str, str] = {
    IMPROVEMENT: "#00b0f0",
    CONCERN: "#e46c0a",
    NEUTRAL: "#490092",
    COMMON_CAUSE: "#a6a6a6",
    NONE: "#a6a6a6",
    "pass": "#00b0f0",
    "fail": "#e46c0a",
    "hit_and_miss": "#a6a6a6",
}

# Text drawn on each colour as a background, at WCAG AA contrast or better (black on the blue
# 8.5:1, on the orange 6.5:1, on the grey 8.6:1; white on the purple 12.4:1).
TEXT_COLOURS: dict[str, str] = dict.fromkeys(COLOURS, "#000000") | {NEUTRAL: "#ffffff"}


@dataclass(frozen=True)
class SpcPoint:
    index: int
    value: float
    rules: frozenset[int]  # which of rules 1..4 fired for this point (either way)
    signal: str | None  # "improvement" | "concern" | "neutral" | None (common cause)
    side: int = 0  # +1 above / rising, -1 below / falling, 0 none (or both, when neutral)
    segment: int = 0  # which segment (rebase) the point belongs to
    verdict_rules: frozenset[int] = frozenset()  # the rules behind ``signal``
    conflict: bool = False  # flagged both ways; ``signal`` follows CONFLICT_PRIORITY

    @property
    def colour(self) -> str:
        return COLOURS[self.signal or COMMON_CAUSE]

    @property
    def text_colour(self) -> str:
        return TEXT_COLOURS[self.signal or COMMON_CAUSE]

    @property
    def label(self) -> str:
        return VARIATION_LABELS[self.signal or COMMON_CAUSE]


@dataclass(frozen=True)
class SpcSegment:
    """One stretch of the chart with its own centre line, limits and rules."""

    index: int
    start: int  # first point (index into the whole series)
    end: int  # one past the last point
    mean: float | None
    mr_bar: float | None
    upper: float | None
    lower: float | None
    near_upper: float | None
    near_lower: float | None
    trial: bool
    baseline_size: int  # points the limits rest on
    fixed_baseline: int | None  # the fixed baseline asked for, if any

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def has_limits(self) -> bool:
        return self.upper is not None and self.lower is not None

    @property
    def short_fixed_baseline(self) -> bool:
        """A fixed baseline was asked for with fewer points than limits need (labelled trial)."""
        return self.fixed_baseline is not None and self.fixed_baseline < MIN_POINTS_FOR_LIMITS


@dataclass(frozen=True)
class SpcResult:
    points: tuple[SpcPoint, ...]
    direction: str
    mean: float | None  # mean, limits and trial: the last segment's (the current process)
    mr_bar: float | None
    upper: float | None
    lower: float | None
    near_upper: float | None
    near_lower: float | None
    trial: bool
    baseline_size: int  # number of points the last segment's limits rest on
    variation: str  # improvement | concern | neutral | common_cause | none
    assurance: str | None  # pass | fail | hit_and_miss | None
    target: float | None
    segments: tuple[SpcSegment, ...] = ()

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(p.value for p in self.points)

    @property
    def latest(self) -> SpcPoint | None:
        return self.points[-1] if self.points else None

    @property
    def has_limits(self) -> bool:
        return self.upper is not None and self.lower is not None

    @property
    def current(self) -> SpcSegment | None:
        """The last segment: the process as it is now."""
        return self.segments[-1] if self.segments else None

    @property
    def rebased(self) -> bool:
        return len(self.segments) > 1

    @property
    def short_fixed_baseline(self) -> bool:
        return bool(self.segments) and self.segments[-1].short_fixed_baseline

    def recent_signals(self, n: int = 3) -> tuple[str | None, ...]:
        """Signals of the last ``n`` points of the current segment (oldest first).

        Points before the latest rebase were judged against limits that no longer describe the
        process, so they do not count as recent.
        """
        if n <= 0 or not self.points:
            return ()
        start = self.segments[-1].start if self.segments else 0
        return tuple(p.signal for p in self.points[max(start, len(self.points) - n) :])

    def recent_concern(self, n: int = 3) -> bool:
        """True if any of the latest ``n`` points is a special-cause concern."""
        return CONCERN in self.recent_signals(n)

    def recent_improvement(self, n: int = 3) -> bool:
        return IMPROVEMENT in self.recent_signals(n)

    @property
    def variation_label(self) -> str:
        return VARIATION_LABELS[self.variation]

    @property
    def assurance_label(self) -> str | None:
        return ASSURANCE_LABELS[self.assurance] if self.assurance else None

    @property
    def colour(self) -> str:
        """Colour for the measure-level variation (MDC palette)."""
        return COLOURS[self.variation]

    @property
    def assurance_colour(self) -> str | None:
        return COLOURS[self.assurance] if self.assurance else None


def compute_spc(
    values: Sequence[float],
    *,
    direction: str,
    target: float | None = None,
    baseline_size: int | None = None,
    segment_starts: Sequence[int] = (),
) -> SpcResult:
    """Compute XmR limits, special-cause signals and assurance for a series.

    ``values`` must be in time order (oldest first). ``segment_starts`` are the indexes where
    a new segment begins (a rebase); indexes outside 1..len-1 are ignored. ``baseline_size``
    fixes each segment's limits on its first N points (all points when ``None``; a value
    larger than the segment is capped to its length).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if baseline_size is not None and baseline_size < 1:
        raise ValueError("baseline_size must be at least 1")
    ys = [float(v) for v in values]
    if any(not math.isfinite(y) for y in ys):
        raise ValueError("values must be finite numbers")
    n = len(ys)
    if n == 0:
        return SpcResult((), direction, None, None, None, None, None, None, True, 0, NONE, None, target, ())

    bounds = [0, *sorted({int(s) for s in segment_starts if 0 < int(s) < n}), n]
    segments: list[SpcSegment] = []
    points: list[SpcPoint] = []
    for k, (start, end) in enumerate(itertools.pairwise(bounds)):
        segment = _segment(k, start, ys[start:end], baseline_size)
        segments.append(segment)
        points.extend(_judge(segment, ys[start:end], direction))

    current = segments[-1]
    variation = points[-1].signal or COMMON_CAUSE
    return SpcResult(
        points=tuple(points),
        direction=direction,
        mean=current.mean,
        mr_bar=current.mr_bar,
        upper=current.upper,
        lower=current.lower,
        near_upper=current.near_upper,
        near_lower=current.near_lower,
        trial=current.trial,
        baseline_size=current.baseline_size,
        variation=variation,
        assurance=_assurance(direction, target, current),
        target=target,
        segments=tuple(segments),
    )


def segment_starts_for(dates: Sequence, rebase_dates: Sequence) -> list[int]:
    """Where each rebase starts a segment: the first point dated on or after it.

    ``dates`` are the points' dates, oldest first; ``rebase_dates`` are dates or ISO strings
    (as ``OutcomeMeasure.spc_rebase_dates`` stores them). A rebase on or before the first point,
    or after the last one, starts nothing (yet).
    """
    starts = set()
    for when in rebase_dates:
        day = datetime.date.fromisoformat(when) if isinstance(when, str) else when
        i = bisect.bisect_left(dates, day)
        if 0 < i < len(dates):
            starts.add(i)
    return sorted(starts)


def _segment(index: int, start: int, ys: list[float], baseline_size: int | None) -> SpcSegment:
    base = ys if baseline_size is None else ys[:baseline_size]
    mean = math.fsum(base) / len(base)
    mr_bar = upper = lower = near_upper = near_lower = None
    if len(base) >= 2:
        moving_ranges = [abs(b - a) for a, b in itertools.pairwise(base)]
        mr_bar = math.fsum(moving_ranges) / len(moving_ranges)
        # With mR-bar == 0 (all baseline values equal) the limits collapse
        # onto the mean, which is what these formulas give anyway.
        upper = mean + LIMIT_FACTOR * mr_bar
        lower = mean - LIMIT_FACTOR * mr_bar
        near_upper = mean + NEAR_LIMIT_FACTOR * mr_bar
        near_lower = mean - NEAR_LIMIT_FACTOR * mr_bar
    return SpcSegment(
        index=index,
        start=start,
        end=start + len(ys),
        mean=mean,
        mr_bar=mr_bar,
        upper=upper,
        lower=lower,
        near_upper=near_upper,
        near_lower=near_lower,
        trial=len(base) < MIN_POINTS_FOR_LIMITS,
        baseline_size=len(base),
        fixed_baseline=baseline_size,
    )


def _judge(segment: SpcSegment, ys: list[float], direction: str) -> list[SpcPoint]:
    """The four rules over one segment's points, and each point's verdict."""
    n = len(ys)
    mean, upper, lower = segment.mean, segment.upper, segment.lower
    near_upper, near_lower = segment.near_upper, segment.near_lower
    # For each point, the rules that fired on each side: +1 = above/rising, -1 = below/falling.
    fired: list[dict[int, set[int]]] = [{+1: set(), -1: set()} for _ in ys]

    def flag(i: int, rule: int, side: int) -> None:
        fired[i][side].add(rule)

    # Rule 1: outside the process limits.
    if upper is not None and lower is not None:
        for i, y in enumerate(ys):
            if y > upper:
                flag(i, 1, +1)
            elif y < lower:
                flag(i, 1, -1)

    # Rule 2: runs of RUN_LENGTH+ points on one side of the mean.
    position = [(y > mean) - (y < mean) for y in ys]  # +1, -1 or 0 (on mean)
    for start, end, side in _runs(position):
        if side != 0 and end - start >= RUN_LENGTH:
            for i in range(start, end):
                flag(i, 2, side)

    # Rule 3: TREND_LENGTH+ points, each strictly above/below the previous one.
    # steps[k] describes the move from point k to point k+1.
    steps = [(b > a) - (b < a) for a, b in itertools.pairwise(ys)]
    for start, end, side in _runs(steps):
        # end - start steps span end - start + 1 points.
        if side != 0 and end - start + 1 >= TREND_LENGTH:
            for i in range(start, end + 1):
                flag(i, 3, side)

    # Rule 4: two of three consecutive points beyond two sigma on one side, all three on that
    # side of the mean. Beyond two sigma includes beyond three (the process limit).
    if near_upper is not None and near_lower is not None:
        beyond = [(y > near_upper) - (y < near_lower) for y in ys]
        for start in range(max(n - 2, 0)):
            window = range(start, start + 3)
            for side in (+1, -1):
                if not all(position[i] == side for i in window):
                    continue
                hits = [i for i in window if beyond[i] == side]
                if len(hits) >= 2:
                    for i in hits:
                        flag(i, 4, side)

    good_side = {HIGHER: +1, LOWER: -1}.get(direction)
    out = []
    for i, y in enumerate(ys):
        up, down = fired[i][+1], fired[i][-1]
        rules = frozenset(up | down)
        conflict = bool(up) and bool(down)
        if not rules:
            signal, side, verdict = None, 0, frozenset()
        elif good_side is None:
            side = 0 if conflict else (+1 if up else -1)
            signal, verdict = NEUTRAL, rules
        else:
            verdicts = {}
            if up:
                verdicts[IMPROVEMENT if good_side == +1 else CONCERN] = (+1, up)
            if down:
                verdicts[IMPROVEMENT if good_side == -1 else CONCERN] = (-1, down)
            signal = next(v for v in CONFLICT_PRIORITY if v in verdicts)
            side, chosen = verdicts[signal]
            verdict = frozenset(chosen)
        out.append(SpcPoint(segment.start + i, y, rules, signal, side, segment.index, verdict, conflict))
    return out


def _assurance(direction: str, target: float | None, segment: SpcSegment) -> str | None:
    """Assurance of the current process against the target (none for a neutral measure)."""
    if target is None or not segment.has_limits or direction == NEUTRAL_DIRECTION:
        return None
    upper, lower = segment.upper, segment.lower
    if direction == HIGHER:
        if target <= lower:
            return "pass"
        if target > upper:
            return "fail"
        return "hit_and_miss"
    if target >= upper:
        return "pass"
    if target < lower:
        return "fail"
    return "hit_and_miss"


def _runs(items: Sequence[int]) -> list[tuple[int, int, int]]:
    """Split ``items`` into maximal runs of equal values: (start, end, value),
    with ``end`` exclusive."""
    runs = []
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i] != items[start]:
            runs.append((start, i, items[start]))
            start = i
    return runs
