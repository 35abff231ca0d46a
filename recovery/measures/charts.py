"""Server-side SVG charts for SPC results (see :mod:`recovery.measures.spc`).

Pure string building, no JavaScript, CSS variables or foreignObject, so the
same markup renders in browsers and inline in WeasyPrint PDFs. Everything
user-provided (titles, units, labels) is escaped.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import itertools
import math
from collections.abc import Sequence
from html import escape

from recovery.measures.spc import (
    ASSURANCE_LABELS,
    COLOURS,
    COMMON_CAUSE,
    CONCERN,
    IMPROVEMENT,
    MIN_POINTS_FOR_LIMITS,
    NEUTRAL,
    NEUTRAL_DIRECTION,
    NONE,
    TEXT_COLOURS,
    VARIATION_LABELS,
    SpcResult,
    SpcSegment,
)

__all__ = [
    "assurance_badge",
    "assurance_badge_for",
    "sparkline_svg",
    "spc_chart_svg",
    "variation_badge",
    "variation_badge_for",
]

FONT = "DejaVu Sans, Arial, sans-serif"
TEXT_COLOUR = "#333333"
AXIS_COLOUR = "#7f7f7f"
GRID_COLOUR = "#e6e6e6"
DATA_LINE_COLOUR = "#a6a6a6"
MEAN_COLOUR = "#404040"
LIMIT_COLOUR = "#7f7f7f"
TARGET_COLOUR = "#c00000"
LIMIT_DASH = "6 4"
TARGET_DASH = "3 3"
REBASE_COLOUR = "#595959"  # 7:1 on white: the marker's label is text
REBASE_DASH = "2 3"
TRIAL_LABEL = f"Trial limits (fewer than {MIN_POINTS_FOR_LIMITS} points)"
NO_LIMITS_LABEL = "Too few points for process limits"
REBASE_LABEL = "New limits"


def trial_label(segment: SpcSegment) -> str:
    """How a segment's trial limits are labelled (chart, pages and packs say the same)."""
    if not segment.has_limits:
        return NO_LIMITS_LABEL
    if segment.short_fixed_baseline:
        return f"Trial limits (fixed on {segment.baseline_size} points, fewer than {MIN_POINTS_FOR_LIMITS})"
    return TRIAL_LABEL


_ids = itertools.count(1)


def _uid(prefix: str, seed: str) -> str:
    """An id unique within the process (and stable-looking per title)."""
    digest = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:6]
    return f"{prefix}-{digest}-{next(_ids)}"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(v: float) -> str:
    """Coordinates: short, locale-free."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def fmt_value(v: float | None, unit: str = "") -> str:
    """Human number: integers without decimals, otherwise up to 1-2 d.p."""
    if v is None:
        return "–"
    if abs(v - round(v)) < 1e-9:
        text = f"{round(v):,}"
    else:
        text = f"{v:,.{1 if abs(v) >= 10 else 2}f}".rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit.startswith("%") else f"{text} {unit}"


def _fmt_date(d: datetime.date, with_year: bool = False) -> str:
    return f"{d.day} {d:%b %y}" if with_year else f"{d.day} {d:%b}"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 10,
    anchor: str = "start",
    fill: str = TEXT_COLOUR,
    weight: str | None = None,
) -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-family="{FONT}" font-size="{size}" '
        f'fill="{fill}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float = 1, dash: str | None = None) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
        f'stroke="{stroke}" stroke-width="{width}"{extra}/>'
    )


def _nice_step(span: float, ticks: int = 5) -> float:
    """A 1/2/2.5/5 x 10^k step giving roughly ``ticks`` ticks over ``span``."""
    raw = span / max(ticks - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude  # pragma: no cover


def _y_scale(values: Sequence[float], y_min: float | None, y_max: float | None) -> tuple[float, float, list[float]]:
    """Return (lo, hi, ticks). Explicit bounds are kept as given; otherwise the
    data range is padded and rounded out to nice ticks."""
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:  # all equal: pad so we never divide by zero
        pad = abs(hi) * 0.1 or 1.0
        lo = lo - pad if y_min is None else lo
        hi = hi + pad if y_max is None else hi
        if hi == lo:
            hi = lo + pad
    else:
        pad = (hi - lo) * 0.05
        lo = lo - pad if y_min is None else lo
        hi = hi + pad if y_max is None else hi
    step = _nice_step(hi - lo)
    if y_min is None:
        lo = math.floor(lo / step) * step
    if y_max is None:
        hi = math.ceil(hi / step) * step
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return lo, hi, [round(k * step, 10) for k in range(first, last + 1)]


def _tick_label(v: float, step: float) -> str:
    decimals = 0
    while decimals < 4 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1  # e.g. 2.5 -> 1 d.p., 0.25 -> 2 d.p.
    return f"{v:,.{decimals}f}"


def _placeholder_svg(title: str, width: int, height: int, message: str) -> str:
    uid = _uid("spc", title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" class="spc-chart spc-chart--empty">'
        f'<title id="{uid}-title">{escape(title)}</title>'
        f'<desc id="{uid}-desc">{escape(message)}</desc>'
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f7f7f7" '
        f'stroke="{GRID_COLOUR}"/>'
        + _text(width / 2, height / 2 + 4, message, size=13, anchor="middle", fill="#595959")
        + "</svg>"
    )


def _trial_words(segment: SpcSegment) -> str:
    if segment.short_fixed_baseline:
        return f"trial limits: fixed on {segment.baseline_size} points, fewer than {MIN_POINTS_FOR_LIMITS}"
    return f"trial limits: fewer than {MIN_POINTS_FOR_LIMITS} points"


def describe(
    result: SpcResult,
    *,
    unit: str = "",
    latest_date: datetime.date | None = None,
    dates: Sequence[datetime.date] | None = None,
) -> str:
    """A one-paragraph plain-English summary of an SPC result.

    With ``dates`` (one per point) a rebased chart also says when the limits were recalculated
    and what they were before.
    """
    n = len(result.points)
    if n == 0:
        return "No data yet."
    latest = result.points[-1]
    if latest_date is None and dates:
        latest_date = dates[-1]
    parts = [f"{n} data point{'s' if n != 1 else ''}."]
    when = f" ({_fmt_date(latest_date, with_year=True)})" if latest_date else ""
    parts.append(f"Latest value {fmt_value(latest.value, unit)}{when}.")
    if result.rebased:
        starts = [seg.start for seg in result.segments[1:]]
        if dates and len(dates) == n:
            listed = ", ".join(_fmt_date(dates[i], with_year=True) for i in starts)
            parts.append(f"Limits recalculated from {listed}.")
        else:
            parts.append(f"Limits recalculated {len(starts)} time{'s' if len(starts) != 1 else ''}.")
        before = result.segments[-2]
        if before.has_limits:
            parts.append(
                f"Before the latest change: mean {fmt_value(before.mean, unit)}, limits "
                f"{fmt_value(before.lower, unit)} to {fmt_value(before.upper, unit)}."
            )
        parts.append("Since then:")
    parts.append(f"Mean {fmt_value(result.mean, unit)}.")
    current = result.current
    if result.has_limits:
        trial = f" ({_trial_words(current)})." if result.trial else "."
        parts.append(f"Process limits {fmt_value(result.lower, unit)} to {fmt_value(result.upper, unit)}{trial}")
    else:
        parts.append("Not enough data for process limits.")
    parts.append(f"{result.variation_label}.")
    if result.target is not None:
        parts.append(f"Target {fmt_value(result.target, unit)}.")
    if result.assurance_label:
        parts.append(f"{result.assurance_label}.")
    if result.direction == NEUTRAL_DIRECTION:
        parts.append("Neither higher nor lower is better.")
    else:
        better = "Higher" if result.direction == "higher" else "Lower"
        parts.append(f"{better} is better.")
    return " ".join(parts)


def spc_chart_svg(
    *,
    dates: Sequence[datetime.date],
    values: Sequence[float],
    result: SpcResult,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    y_min: float | None = None,
    y_max: float | None = None,
    show_title: bool = False,
) -> str:
    """Render an XmR chart as a standalone ``<svg>`` string.

    ``y_min``/``y_max`` fix the axis (e.g. 0-100 for percentages); lines
    outside a fixed axis are not drawn and points are clamped to the edge.
    """
    if not (len(dates) == len(values) == len(result.points)):
        raise ValueError("dates, values and result.points must have the same length")
    n = len(values)
    if n == 0:
        return _placeholder_svg(title, width, height, "No data yet")

    uid = _uid("spc", title)
    target = result.target
    # Layout: right margin holds the line labels; bottom holds dates + legend.
    left, right = 48.0, 74.0
    top = 34.0 if show_title else 20.0
    bottom = 44.0
    plot_w, plot_h = width - left - right, height - top - bottom
    x0, y0 = left, top + plot_h  # plot origin (bottom-left)

    scale_values = [float(v) for v in values]
    scale_values += [v for v in (target,) if v is not None]
    for seg in result.segments:
        scale_values += [v for v in (seg.mean, seg.upper, seg.lower) if v is not None]
    lo, hi, ticks = _y_scale(scale_values, y_min, y_max)

    def sy(v: float) -> float:
        v = min(max(v, lo), hi)
        return y0 - (v - lo) / (hi - lo) * plot_h

    def sx(i: int) -> float:
        return x0 + plot_w / 2 if n == 1 else x0 + i * plot_w / (n - 1)

    def in_range(v: float | None) -> bool:
        return v is not None and lo - 1e-9 <= v <= hi + 1e-9

    out: list[str] = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
            f'aria-labelledby="{uid}-title {uid}-desc" class="spc-chart">'
        ),
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(describe(result, unit=unit, dates=dates))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if show_title:
        out.append(_text(4, 14, title, size=12, weight="bold"))

    # Y axis: gridlines + tick labels.
    step = ticks[1] - ticks[0] if len(ticks) > 1 else (hi - lo)
    for t in ticks:
        y = sy(t)
        out.append(_line(x0, y, x0 + plot_w, y, stroke=GRID_COLOUR))
        out.append(_text(x0 - 6, y + 3.5, _tick_label(t, step), size=10, anchor="end"))
    out.append(_line(x0, top, x0, y0, stroke=AXIS_COLOUR))
    out.append(_line(x0, y0, x0 + plot_w, y0, stroke=AXIS_COLOUR))
    if unit:
        out.append(_text(4, top - 6, unit, size=9, fill="#595959"))

    # X axis: thinned date labels, always including the latest point.
    with_year = dates[0].year != dates[-1].year
    label_w = 6.2 * len(_fmt_date(dates[-1], with_year)) + 10
    every = max(1, math.ceil(n / max(1, int(plot_w // label_w))))
    for i in range(n - 1, -1, -every):
        x = sx(i)
        out.append(_line(x, y0, x, y0 + 4, stroke=AXIS_COLOUR))
        out.append(_text(x, y0 + 15, _fmt_date(dates[i], with_year), size=10, anchor="middle"))

    # Reference lines, per segment: mean (solid), process limits (dashed); then the target.
    # Each segment's lines run from halfway after the previous segment's last point to halfway
    # before the next segment's first, where the rebase marker stands.
    labels: list[tuple[float, int, str, str]] = []  # (y, tie order, text, colour)
    x_end = x0 + plot_w
    segments = result.segments
    rebased = len(segments) > 1

    def boundary(i: int) -> float:  # between point i - 1 and point i
        return (sx(i - 1) + sx(i)) / 2

    for seg in segments:
        first, last = seg.index == 0, seg.index == len(segments) - 1
        xa = x0 if first else boundary(seg.start)
        xb = x_end if last else boundary(seg.end)
        if seg.has_limits:
            for v, name, order in ((seg.upper, "Upper", 0), (seg.lower, "Lower", 3)):
                if in_range(v):
                    out.append(_line(xa, sy(v), xb, sy(v), stroke=LIMIT_COLOUR, dash=LIMIT_DASH))
                    if last:
                        labels.append((sy(v), order, f"{name} {fmt_value(v, unit)}", LIMIT_COLOUR))
        if in_range(seg.mean):
            out.append(_line(xa, sy(seg.mean), xb, sy(seg.mean), stroke=MEAN_COLOUR))
            if last:
                labels.append((sy(seg.mean), 2, f"Mean {fmt_value(seg.mean, unit)}", MEAN_COLOUR))
        if not first:
            # The rebase marker: where the limits were recalculated from.
            note = f"{REBASE_LABEL} from {_fmt_date(dates[seg.start], with_year)}"
            anchor = "start" if xa < x0 + plot_w * 0.7 else "end"
            out.append(
                f'<g class="spc-rebase"><title>{escape(note)}</title>'
                + _line(xa, top, xa, y0, stroke=REBASE_COLOUR, width=1.5, dash=REBASE_DASH)
                + _text(xa + (3 if anchor == "start" else -3), top - 6, note, size=9, anchor=anchor, fill=REBASE_COLOUR)
                + "</g>"
            )
        if rebased and seg.trial:
            label = "Trial limits" if seg.has_limits else "No limits yet"
            if seg.short_fixed_baseline and seg.has_limits:
                label = f"Trial limits ({seg.baseline_size} points)"
            out.append(_text(xa + 3, top + 10, label, size=9, fill="#595959"))
    if target is not None and in_range(target):
        out.append(_line(x0, sy(target), x_end, sy(target), stroke=TARGET_COLOUR, width=1.5, dash=TARGET_DASH))
        labels.append((sy(target), 1, f"Target {fmt_value(target, unit)}", TARGET_COLOUR))
    # Nudge right-hand labels apart so they don't overlap.
    labels.sort()
    placed: list[float] = []
    for y, _, text, colour in labels:
        y = max(y + 3.5, placed[-1] + 11) if placed else y + 3.5
        placed.append(y)
        out.append(_text(x_end + 4, y, text, size=9, fill=colour))

    if result.trial and not rebased:
        out.append(_text(x_end, top - 6, trial_label(segments[-1]), size=9, anchor="end", fill="#595959"))

    # Data line and points.
    coords = " ".join(f"{_num(sx(i))},{_num(sy(v))}" for i, v in enumerate(values))
    if n > 1:
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{DATA_LINE_COLOUR}" '
            f'stroke-width="1.5" stroke-linejoin="round"/>'
        )
    for i, point in enumerate(result.points):
        tip = f"{_fmt_date(dates[i], True)}: {fmt_value(point.value, unit)} – {point.label}"
        if point.signal == NEUTRAL and point.side:
            tip += " (higher than usual)" if point.side > 0 else " (lower than usual)"
        if point.conflict and point.signal != NEUTRAL:
            tip += " (another rule points the other way)"
        out.append(
            f'<circle cx="{_num(sx(i))}" cy="{_num(sy(point.value))}" r="3.5" '
            f'fill="{point.colour}" stroke="#ffffff" stroke-width="1">'
            f"<title>{escape(tip)}</title></circle>"
        )

    # Legend along the bottom.
    out.append(
        _legend(
            x0,
            height - 8,
            include_target=target is not None,
            neutral=result.direction == NEUTRAL_DIRECTION,
            rebased=rebased,
        )
    )
    out.append("</svg>")
    return "".join(out)


def _legend(x: float, y: float, *, include_target: bool, neutral: bool = False, rebased: bool = False) -> str:
    items: list[tuple[str, str, str | None, str]] = (  # (kind, colour, dash, text)
        [("dot", COLOURS[NEUTRAL], None, "Special cause")]
        if neutral
        else [("dot", COLOURS[IMPROVEMENT], None, "Improvement"), ("dot", COLOURS[CONCERN], None, "Concern")]
    )
    items += [
        ("dot", COLOURS[COMMON_CAUSE], None, "Common cause"),
        ("line", MEAN_COLOUR, None, "Mean"),
        ("line", LIMIT_COLOUR, LIMIT_DASH, "Process limits"),
    ]
    if include_target:
        items.append(("line", TARGET_COLOUR, TARGET_DASH, "Target"))
    if rebased:
        items.append(("line", REBASE_COLOUR, REBASE_DASH, REBASE_LABEL))
    out = []
    for kind, colour, dash, text in items:
        if kind == "dot":
            out.append(f'<circle cx="{_num(x + 4)}" cy="{_num(y - 3)}" r="3.5" fill="{colour}"/>')
            swatch = 12
        else:
            out.append(_line(x, y - 3, x + 16, y - 3, stroke=colour, width=1.5, dash=dash))
            swatch = 20
        out.append(_text(x + swatch, y, text, size=9))
        x += swatch + 5.4 * len(text) + 12
    return "".join(out)


def sparkline_svg(
    *,
    values: Sequence[float],
    variation: str,
    width: int = 120,
    height: int = 28,
    target: float | None = None,
    label: str = "",
) -> str:
    """A tiny trend line; the latest point is coloured by the measure's SPC variation.

    Takes numbers only (``variation`` is the latest point's signal, as ``SpcResult.variation``
    and ``OutcomeMeasure.summary_variation`` hold it), so pages drawing from a measure's stored
    summary and pages and PDFs drawing from its points share this one code path.

    The markup depends on nothing but these arguments, so it is kept per process for the last
    few thousand argument sets (``_sparkline``): lists redraw the same measures on every view
    until a value changes, and a changed value, target, name or signal is a new entry.
    """
    return _sparkline(tuple(values), variation, width, height, target, label)


@functools.lru_cache(maxsize=2048)
def _sparkline(
    values: tuple[float, ...], variation: str, width: int, height: int, target: float | None, label: str
) -> str:
    n = len(values)
    variation_label = VARIATION_LABELS.get(variation, VARIATION_LABELS[COMMON_CAUSE])
    summary = f"{n} points, latest {fmt_value(values[-1])}, {variation_label}" if n else "No data"
    aria = f"{label}: {summary}" if label else summary
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_attr(aria)}" '
        f'class="spc-sparkline"><title>{escape(aria)}</title>'
    )
    if n == 0:
        return head + _line(2, height / 2, width - 2, height / 2, stroke=GRID_COLOUR) + "</svg>"

    pad = 4.0
    extent = [float(v) for v in values] + ([target] if target is not None else [])
    lo, hi = min(extent), max(extent)
    if hi == lo:
        lo, hi = lo - 1, hi + 1

    # Lists draw this for every measure they show (100 on a service's recovery map), so the
    # scales are worked out once and the points formatted in one comprehension.
    dx = (width - 2 * pad) / (n - 1) if n > 1 else 0.0
    k, top = (height - 2 * pad) / (hi - lo), height - pad

    def sx(i: int) -> float:
        return width / 2 if n == 1 else pad + i * dx

    def sy(v: float) -> float:
        return top - (v - lo) * k

    out = [head]
    if target is not None:
        out.append(_line(pad, sy(target), width - pad, sy(target), stroke=TARGET_COLOUR, dash="2 2"))
    if n > 1:
        coords = " ".join([f"{_num(pad + i * dx)},{_num(top - (v - lo) * k)}" for i, v in enumerate(values)])
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{DATA_LINE_COLOUR}" '
            f'stroke-width="1.5" stroke-linejoin="round"/>'
        )
    colour = COLOURS.get(variation, COLOURS[COMMON_CAUSE])
    out.append(f'<circle cx="{_num(sx(n - 1))}" cy="{_num(sy(values[-1]))}" r="3" fill="{colour}"/>')
    out.append("</svg>")
    return "".join(out)


def variation_badge(result: SpcResult) -> dict[str, str]:
    """Icon/label summary of the measure's variation for templates.

    ``symbol`` points the way the values moved (▲ up / ▼ down) for special
    causes, ◆ for a special cause on a neutral measure, ● for common cause,
    – for no data. Always show ``label`` too, since
    colour and symbol alone are not accessible. ``text_colour`` is the
    readable text colour on a ``colour`` background.
    """
    return variation_badge_for(result.variation, result.direction)


def variation_badge_for(key: str, direction: str) -> dict[str, str]:
    """:func:`variation_badge` from a stored variation key and the measure's direction."""
    if key not in VARIATION_LABELS:
        key = NONE
    if key in (IMPROVEMENT, CONCERN):
        went_up = (key == IMPROVEMENT) == (direction == "higher")
        symbol = "▲" if went_up else "▼"
    elif key == NEUTRAL:
        symbol = "◆"
    else:
        symbol = "●" if key == COMMON_CAUSE else "–"
    return {
        "key": key,
        "label": VARIATION_LABELS[key],
        "colour": COLOURS[key],
        "text_colour": TEXT_COLOURS[key],
        "symbol": symbol,
    }


def assurance_badge(result: SpcResult) -> dict[str, str] | None:
    """Like :func:`variation_badge` for target assurance (None without one)."""
    return assurance_badge_for(result.assurance)


def assurance_badge_for(key: str | None) -> dict[str, str] | None:
    """:func:`assurance_badge` from a stored assurance key ("" or None: no badge)."""
    if not key or key not in ASSURANCE_LABELS:
        return None
    symbol = {"pass": "P", "fail": "F", "hit_and_miss": "?"}[key]
    return {
        "key": key,
        "label": ASSURANCE_LABELS[key],
        "colour": COLOURS[key],
        "text_colour": TEXT_COLOURS[key],
        "symbol": symbol,
    }
