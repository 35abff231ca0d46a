"""Statistical process control (SPC) for outcome measures.

Implements an XmR (individuals) chart in the style of NHS England's
"Making Data Count" (MDC) guidance. Pure Python, no Django imports, so it can
be used from models, views, PDF exports and tests alike.

Summary of the rules implemented by :func:`compute_spc`:

* mean  = mean of the baseline points;
* mR_i  = |y_i - y_(i-1)| (moving ranges);
* mR-bar = mean of the moving ranges *within* the baseline;
* process limits = mean +/- 2.66 x mR-bar;
* "near-limit" band = beyond mean +/- 1.7733 x mR-bar (two thirds of the way
  to the process limits);
* fewer than 12 baseline points -> the limits are *trial* limits.

Special-cause rules (evaluated over all points, not only the baseline):

1. a point strictly above the upper or strictly below the lower limit;
2. a run of 7+ consecutive points on the same side of the mean (a point
   exactly on the mean breaks the run);
3. a run of 7+ consecutive points each strictly higher (or each strictly
   lower) than the one before (equal neighbours break the run);
4. 2 out of 3 consecutive points on the same side of the mean in the
   near-limit band or beyond (the points in the band are flagged).

A flagged point is an "improvement" or a "concern" depending on the measure's
improvement direction; if a point is flagged both ways, "concern" wins.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ASSURANCE_LABELS",
    "COLOURS",
    "DIRECTIONS",
    "LIMIT_FACTOR",
    "MIN_POINTS_FOR_LIMITS",
    "NEAR_LIMIT_FACTOR",
    "RUN_LENGTH",
    "TREND_LENGTH",
    "VARIATION_LABELS",
    "Direction",
    "SpcPoint",
    "SpcResult",
    "compute_spc",
]

Direction = Literal["higher", "lower"]
DIRECTIONS: tuple[str, ...] = ("higher", "lower")

LIMIT_FACTOR = 2.66  # 3 sigma, estimated as 2.66 x mR-bar
NEAR_LIMIT_FACTOR = 2.66 * 2 / 3  # = 1.7733..., i.e. 2 sigma
MIN_POINTS_FOR_LIMITS = 12  # fewer baseline points than this -> trial limits
RUN_LENGTH = 7  # rule 2: points on one side of the mean
TREND_LENGTH = 7  # rule 3: consecutively rising/falling points

IMPROVEMENT = "improvement"
CONCERN = "concern"
COMMON_CAUSE = "common_cause"
NONE = "none"

VARIATION_LABELS: dict[str, str] = {
    IMPROVEMENT: "Special cause – improvement",
    CONCERN: "Special cause – concern",
    COMMON_CAUSE: "Common cause variation",
    NONE: "No data",
}

ASSURANCE_LABELS: dict[str, str] = {
    "pass": "Consistently passes target",
    "fail": "Consistently fails target",
    "hit_and_miss": "Hit and miss against target",
}

# Making Data Count colours. "pass"/"fail"/"hit_and_miss" reuse the same
# palette as the assurance icons (blue / orange / grey).
COLOURS: dict[str, str] = {
    IMPROVEMENT: "#00b0f0",
    CONCERN: "#e46c0a",
    COMMON_CAUSE: "#a6a6a6",
    NONE: "#a6a6a6",
    "pass": "#00b0f0",
    "fail": "#e46c0a",
    "hit_and_miss": "#a6a6a6",
}


@dataclass(frozen=True)
class SpcPoint:
    index: int
    value: float
    rules: frozenset[int]  # which of rules 1..4 fired for this point
    signal: str | None  # "improvement" | "concern" | None (common cause)

    @property
    def colour(self) -> str:
        return COLOURS[self.signal or COMMON_CAUSE]

    @property
    def label(self) -> str:
        return VARIATION_LABELS[self.signal or COMMON_CAUSE]


@dataclass(frozen=True)
class SpcResult:
    points: tuple[SpcPoint, ...]
    direction: str
    mean: float | None
    mr_bar: float | None
    upper: float | None
    lower: float | None
    near_upper: float | None
    near_lower: float | None
    trial: bool
    baseline_size: int  # number of points actually used for the limits
    variation: str  # improvement | concern | common_cause | none
    assurance: str | None  # pass | fail | hit_and_miss | None
    target: float | None

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(p.value for p in self.points)

    @property
    def latest(self) -> SpcPoint | None:
        return self.points[-1] if self.points else None

    @property
    def has_limits(self) -> bool:
        return self.upper is not None and self.lower is not None

    def recent_signals(self, n: int = 3) -> tuple[str | None, ...]:
        """Signals of the last ``n`` points (oldest first)."""
        return tuple(p.signal for p in self.points[-n:]) if n > 0 else ()

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
) -> SpcResult:
    """Compute XmR limits, special-cause signals and assurance for a series.

    ``values`` must be in time order (oldest first). ``baseline_size`` fixes
    the limits on the first N points (all points when ``None``; a value larger
    than the series is capped to its length).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")
    if baseline_size is not None and baseline_size < 1:
        raise ValueError("baseline_size must be at least 1")
    ys = [float(v) for v in values]
    if any(not math.isfinite(y) for y in ys):
        raise ValueError("values must be finite numbers")
    n = len(ys)
    base = ys if baseline_size is None else ys[:baseline_size]
    trial = len(base) < MIN_POINTS_FOR_LIMITS

    if n == 0:
        return SpcResult((), direction, None, None, None, None, None, None, True, 0, NONE, None, target)

    # --- Centre line and limits (from the baseline only) -------------------
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

    # --- Special-cause rules over all points ---------------------------------
    # For each point, which rules fired and on which side: +1 = above/rising,
    # -1 = below/falling.
    rules: list[set[int]] = [set() for _ in ys]
    sides: list[set[int]] = [set() for _ in ys]

    def flag(i: int, rule: int, side: int) -> None:
        rules[i].add(rule)
        sides[i].add(side)

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

    # Rule 4: 2 of 3 consecutive points in the near-limit band (or beyond)
    # on the same side of the mean.
    if near_upper is not None and near_lower is not None:
        band = [(y > near_upper) - (y < near_lower) for y in ys]
        for start in range(max(n - 2, 0)):
            window = range(start, start + 3)
            for side in (+1, -1):
                hits = [i for i in window if band[i] == side]
                if len(hits) >= 2:
                    for i in hits:
                        flag(i, 4, side)

    # --- Map sides to improvement / concern ----------------------------------
    good_side = +1 if direction == "higher" else -1
    points = []
    for i, y in enumerate(ys):
        signal = None
        if sides[i]:
            signal = CONCERN if -good_side in sides[i] else IMPROVEMENT
        points.append(SpcPoint(i, y, frozenset(rules[i]), signal))

    variation = points[-1].signal or COMMON_CAUSE

    # --- Assurance against the target ---------------------------------------
    assurance = None
    if target is not None and upper is not None and lower is not None:
        if direction == "higher":
            if target <= lower:
                assurance = "pass"
            elif target > upper:
                assurance = "fail"
            else:
                assurance = "hit_and_miss"
        else:
            if target >= upper:
                assurance = "pass"
            elif target < lower:
                assurance = "fail"
            else:
                assurance = "hit_and_miss"

    return SpcResult(
        points=tuple(points),
        direction=direction,
        mean=mean,
        mr_bar=mr_bar,
        upper=upper,
        lower=lower,
        near_upper=near_upper,
        near_lower=near_lower,
        trial=trial,
        baseline_size=len(base),
        variation=variation,
        assurance=assurance,
        target=target,
    )


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
