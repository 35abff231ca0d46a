"""The evidence library's table rows, drawn in Python.

Twenty-five rows of seven cells through the template language (a lookup, a filter or a method
per cell) were the largest part of the library's render; the same HTML from one tag is a small
part of it. The markup is written here once, as the template wrote it.
"""

from __future__ import annotations

from django import template
from django.utils import dateformat
from django.utils.html import format_html, format_html_join

register = template.Library()

_ROW = (
    '<tr>\n  <td><a href="{}">{}</a>{}</td>\n'
    '  <td class="text-nowrap"><time datetime="{}">{}</time></td>\n'
    "  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n</tr>\n"
)
_FILE = format_html(' <span class="small text-body-secondary">{}</span>', "(file)")
_NOT_LINKED = format_html('<span class="text-body-secondary">{}</span>', "Not linked")


@register.simple_tag
def library_rows(items) -> str:
    """The <tr> of each listed item (``selectors.library_page`` rows with ``links_text``)."""
    return format_html_join(
        "",
        _ROW,
        (
            (
                item.get_absolute_url(),
                item.title,
                _FILE if item.file_name else "",
                item.refers_to.isoformat(),
                dateformat.format(item.refers_to, "j M Y"),
                item.service.name if item.service_id else "Provider-wide",
                item.category.name if item.category_id else "—",
                item.get_source_type_display(),
                item.get_nature_display(),
                item.links_text or _NOT_LINKED,
            )
            for item in items
        ),
    )
