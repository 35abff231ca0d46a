"""``{% lazy_panel url label %}``: a part of the page loaded after it (core/lazy.py).

The markup is drawn here rather than by an ``{% include %}`` because a page may defer a part per
row (the recovery map defers each theme's actions), and an include per row cost about 500
function calls each. Arguments: ``url`` (the fragment's view), ``label`` (what it is, lower case:
"the actions of this theme"), ``trigger`` (htmx trigger, default ``revealed``; ``load`` for a
part near the top), ``lines`` (skeleton lines, default 3), ``id`` (optional).

Without JavaScript the ``<noscript>`` link opens the part as a page; when the request fails,
static/js/app.js shows the same link with a message in place of the skeleton.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

MAX_LINES = 9


@register.simple_tag
def lazy_panel(url, label, trigger="revealed", lines=3, id=""):  # noqa: A002 - the element's id
    url, label = escape(url), escape(label)
    lines = max(1, min(int(lines or 3), MAX_LINES))
    skeleton = '<span class="lazy-skeleton-line"></span>' * lines
    element_id = f' id="{escape(id)}"' if id else ""
    capitalised = label[:1].upper() + label[1:]
    return mark_safe(  # noqa: S308 - url, label and id are escaped above; the rest is fixed text
        f'<div class="lazy-panel"{element_id} hx-get="{url}" hx-trigger="{escape(trigger or "revealed")}" '
        f'hx-swap="outerHTML" aria-busy="true" data-lazy-label="{label}">\n'
        f'  <div class="lazy-skeleton" aria-hidden="true">{skeleton}</div>\n'
        f'  <p class="visually-hidden lazy-status">Loading {label}…</p>\n'
        f'  <p class="lazy-failed small mb-0" role="alert" hidden>{capitalised} could not be loaded. '
        f'<a href="{url}">Open {label} on a page of its own</a>.</p>\n'
        f'  <noscript><a href="{url}">Show {label}</a></noscript>\n'
        "</div>"
    )
