"""``{% work_items section.items %}``: the home page's list of work items (``core.work.WorkItem``).

One tag per section writes every row, each value escaped as the template engine escapes it
(``html.escape``, which Django's ``escape`` is), rather than the engine resolving a dozen
variables, conditions and a date filter per row: the home page lists up to five items in each of
several sections on every visit.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe

register = template.Library()


def _date(day) -> str:
    """As ``{{ day|date:"j M Y" }}``: "1 Dec 2026"."""
    return f"{day.day} {str(MONTHS_3[day.month]).title()} {day.year}"


_ROW_CLASS = "list-group-item d-flex flex-wrap gap-2 align-items-baseline work-item"


def _row(item) -> str:
    # The kind, coloured by urgency (core.work.BADGE_CLASSES); the words carry the meaning, not the colour.
    parts = [
        f'<span class="badge {item.badge_class}">{escape(item.kind)}</span>',
        f'<a class="fw-semibold" href="{escape(item.url)}">{escape(item.title)}</a>',
    ]
    if item.service:
        parts.append(f'<span class="text-body-secondary">{escape(item.service)}</span>')
    if item.due:
        parts.append(f'<span class="text-body-secondary">· {_date(item.due)}</span>')
    if item.detail:
        parts.append(f'<span class="w-100 small">{escape(item.detail)}</span>')
    return f'<li class="{_ROW_CLASS}">' + "\n".join(parts) + "</li>"


@register.simple_tag
def work_items(items) -> str:
    rows = "\n".join(_row(i) for i in items)
    return mark_safe(f'<ul class="list-group">\n{rows}\n</ul>')  # noqa: S308 - every value in a row is escaped
