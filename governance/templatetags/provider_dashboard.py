"""The provider dashboard's per-service cells (governance/dashboard/provider.html).

Tags rather than template loops: the dashboard has a row per service and a cell per flag kind,
signal and assurance in each, and a loop with an ``{% if %}`` and a link per cell cost more than
the rest of the page.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def flag_cells(row) -> SafeString:
    """A ``<td>`` per flag kind: the open count, linked to the service's flags of that kind."""
    name = row.service.name
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    '<td class="text-end"><a href="{}?kind={}"><strong>{}</strong>'
                    '<span class="visually-hidden"> {} at {}</span></a></td>',
                    row.flags_url,
                    kind,
                    n,
                    label,
                    name,
                )
                if n
                else SafeString('<td class="text-end">0</td>'),
            )
            for kind, label, n in row.flag_cells()
        ),
    )


@register.simple_tag
def measure_cells(row) -> SafeString:
    """A ``<td>`` per variation signal and per assurance; concerns and failures stand out."""
    cells = [(n, key == "concern") for key, _, n in row.signal_cells()]
    cells += [(n, key == "fail") for key, _, n in row.assurance_cells()]
    return format_html_join(
        "",
        '<td class="text-end">{}</td>',
        ((format_html("<strong>{}</strong>", n) if n and strong else n,) for n, strong in cells),
    )
