"""A small audit-compliance line for packs (0-100 %), plain SVG that WeasyPrint draws."""

from __future__ import annotations

import datetime
from html import escape

FONT = "DejaVu Sans, sans-serif"


def compliance_line(
    points: list[tuple[datetime.date, float]], *, label: str, width: int = 300, height: int = 80
) -> str:
    """Compliance per audit, oldest first; labels are escaped."""
    left, right, top, bottom = 28, 8, 8, 16
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(100.0, v)) / 100)

    latest = f"latest {points[-1][1]:.0f}%" if points else "no audits"
    title = f"{label}: {n} audit{'s' if n != 1 else ''}, {latest}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" class="audit-trend"><title>{escape(title)}</title>'
    ]
    for v in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e6e6e6"/>'
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-family="{FONT}" font-size="8" '
            f'text-anchor="end" fill="#555">{v}%</text>'
        )
    coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
    if n > 1:
        parts.append(f'<polyline points="{coords}" fill="none" stroke="#005eb8" stroke-width="1.5"/>')
    for i, (_, v) in enumerate(points):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="#005eb8"/>')
    if points:
        first, last = points[0][0], points[-1][0]
        parts.append(
            f'<text x="{left}" y="{height - 3}" font-family="{FONT}" font-size="8" fill="#555">'
            f"{first.day} {first:%b %Y}</text>"
        )
        if n > 1:
            parts.append(
                f'<text x="{width - right}" y="{height - 3}" font-family="{FONT}" font-size="8" '
                f'text-anchor="end" fill="#555">{last.day} {last:%b %Y}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
