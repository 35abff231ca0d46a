"""A measure's line in a list (name, sparkline, latest value, badges), built in Python.

The dashboard and the recovery map show up to a hundred measures each; rendering two nested
template includes per measure cost more than the rest of the page, so the markup is built
here with ``format_html`` (everything user-provided is escaped) and the templates call
``{% measure_inline s %}`` and ``{% measure_badges s %}``. ``s`` is a ``MeasureSummary``
(points loaded) or a ``MeasureSnapshot`` (the stored summary); both answer the same questions.
"""

from django import template
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _signal_badge(badge: dict | None) -> str:
    if not badge:
        return ""
    return format_html(
        '<span class="badge signal-badge" style="background-color: {}; color: {}">'
        '<span aria-hidden="true">{} </span>{}</span>',
        badge["colour"],
        badge["text_colour"],
        badge["symbol"],
        badge["label"],
    )


@register.simple_tag
def measure_badges(s) -> SafeString:
    """State, variation and assurance of one measure, as text (colour and symbol only add to it)."""
    parts = [
        format_html('<span class="badge text-bg-{}">{}</span>', s.state_style, s.state_label),
        _signal_badge(s.badge()),
        _signal_badge(s.assurance()),
    ]
    if s.stale:
        parts.append('<span class="badge text-bg-warning">No recent data</span>')
    return mark_safe("\n".join(p for p in parts if p))  # noqa: S308 - every part is built by format_html


@register.simple_tag
def measure_inline(s) -> SafeString:
    """One measure in a list: name (linked), sparkline, latest value and badges."""
    url = getattr(s, "url", None) or s.measure.get_absolute_url()
    latest = s.latest
    latest_html = (
        format_html(
            '<span class="small text-body-secondary">latest {} ({})</span>',
            s.latest_text,
            dateformat.format(latest.period_date, "j M Y"),
        )
        if latest
        else ""
    )
    return format_html(
        '<div class="measure-inline d-flex flex-wrap align-items-center gap-2">'
        '<a href="{}">{}</a>'
        '<span class="sparkline">{}</span>'
        "{}"
        '<span class="d-inline-flex flex-wrap gap-1">{}</span>'
        "</div>",
        url,
        s.measure.name,
        mark_safe(s.sparkline_svg()),  # noqa: S308 - built by recovery.measures.charts, which escapes every label
        latest_html,
        measure_badges(s),
    )
