"""The recovery map's theme headers, built in Python.

A page of the map has ten themes; the header of each (title, risk, status, key questions,
owner, the learning gap and its actions' gap counts) cost more as template tags than the rest
of the page once each theme's action rows were loaded lazily, so it is built here as one
string (everything user-provided is escaped) and the map calls ``{% map_theme_header t service %}``.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _e(value) -> str:
    return escape(str(value), quote=True)


@register.simple_tag
def map_theme_header(t, service) -> SafeString:
    """``t``: a ``ThemeRow``; ``service``: the map's service (None on the provider's map)."""
    theme = t.theme
    url = getattr(t, "url", "")
    title = f'<a href="{_e(url)}">{_e(theme.title)}</a>' if url else _e(theme.title)
    if not service and theme.service:
        where = f" · {_e(theme.service.name)}"
    elif not theme.service:
        where = " · provider-wide"
    else:
        where = ""
    key_questions = "".join(f'<span class="badge text-bg-light border">{_e(kq)}</span>' for kq in t.key_questions)
    learning = "".join(
        f'<p class="mb-2"><span class="badge text-bg-warning">Gap</span> {_e(label)}: record what leaders learned '
        "about why this happened.</p>"
        for label in t.gap_labels
    )
    counts = ""
    if n := t.counts.actions:
        gaps = ",".join(
            f' <span class="badge text-bg-warning">{c}</span> {_e(label)}' for label, c in t.counts.gap_summary
        )
        counts = f'<p class="small mb-2">{n} action{"" if n == 1 else "s"}{" · gaps:" if gaps else ""}{gaps}</p>'
    return mark_safe(  # noqa: S308 - every value above is escaped
        '<div class="d-flex flex-wrap justify-content-between gap-2">'
        f'<h2 id="theme-{theme.pk}" class="h5 mb-1">{title}</h2>'
        '<div class="d-flex flex-wrap gap-1 align-items-start">'
        f'<span class="badge risk-{_e(theme.risk_level)}">{_e(theme.get_risk_level_display())} risk</span>'
        f'<span class="badge text-bg-light border">{_e(theme.get_status_display())}</span>{key_questions}'
        "</div></div>"
        f'<p class="small text-body-secondary mb-2">Theme owner {_e(theme.owner)}{where}</p>{learning}{counts}'
    )
