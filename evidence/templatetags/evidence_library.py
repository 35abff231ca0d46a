"""The evidence library's table rows, drawn in Python.

Twenty-five rows of seven cells through the template language (a lookup, a filter or a method
per cell) were the largest part of the library's render; the same HTML from one tag is a small
part of it. The markup is written here once, as the template wrote it.
"""

from __future__ import annotations

from django import template
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import mark_safe

from core.links import url_for_each
from evidence.models import Nature, SourceType

register = template.Library()


@register.simple_tag
def library_rows(items) -> str:
    """The <tr> of each listed item (``selectors.library_page`` rows with ``links_text``)."""
    # Choice labels are lazy translations: resolve and escape each once, not once a row.
    labels = {value: escape(label) for value, label in (*SourceType.choices, *Nature.choices)}
    detail_url = url_for_each("evidence:detail")  # one reverse() for the page, not one a row
    months: dict[int, str] = {}  # the date filter's "M" (MONTHS_3, title-cased), once a month
    rows = []
    for item in items:
        day = item.refers_to
        if day.month not in months:
            months[day.month] = str(MONTHS_3[day.month]).title()
        file = ' <span class="small text-body-secondary">(file)</span>' if item.file_name else ""
        where = escape(item.service.name) if item.service_id else "Provider-wide"
        category = escape(item.category.name) if item.category_id else "—"
        links = escape(item.links_text) if item.links_text else '<span class="text-body-secondary">Not linked</span>'
        rows.append(
            f'<tr>\n  <td><a href="{detail_url(item.pk)}">{escape(item.title)}</a>{file}</td>\n'
            f'  <td class="text-nowrap"><time datetime="{day.isoformat()}">{day.day} {months[day.month]} {day.year}'
            "</time></td>\n"
            f"  <td>{where}</td>\n  <td>{category}</td>\n  <td>{labels[item.source_type]}</td>\n"
            f"  <td>{labels[item.nature]}</td>\n  <td>{links}</td>\n</tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


@register.simple_tag
def coverage_rows(coverage) -> str:
    """The coverage grid's body (``selectors.coverage``): a row a key question, a cell a category,
    a zero marked "Gap" in words for screen readers too."""
    rows = []
    for row in coverage.rows:
        question = escape(row.key_question.name)
        cells = "\n  ".join(
            f"<td>{n}</td>"
            if n
            else '<td class="gap"><span aria-hidden="true">0</span> <span class="small fw-semibold">Gap</span>'
            f'<span class="visually-hidden">: no {escape(category.name)} evidence for {question}</span></td>'
            for category, n in row.cells
        )
        rows.append(
            f'<tr>\n  <th scope="row" class="text-start">{question}</th>\n  {cells}\n'
            f'  <td class="text-body-secondary">{row.uncategorised}</td>\n</tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 - the names above are escaped, the rest are numbers


@register.simple_tag
def filter_fields(form) -> str:
    """Each filter with its label, errors and help around Django's own widget (the form's
    widgets are drawn in Python too: evidence/forms.py), in the page's grid of columns."""
    out = []
    for field in form:
        auto_id = escape(field.auto_id)
        errors = "".join(
            f'<p id="error_{n}_{auto_id}"><strong>{escape(error)}</strong></p>'
            for n, error in enumerate(field.errors, 1)
        )
        if errors:
            errors = f'  <div id="{auto_id}_error" class="invalid-feedback d-block">{errors}</div>\n'
        help_text = ""
        if field.help_text:
            help_text = f'  <div id="{auto_id}_helptext" class="form-text">{escape(field.help_text)}</div>\n'
        out.append(
            f'<div class="col-sm-6 col-lg-4 col-xl-3"><div id="div_{auto_id}" class="mb-3">\n'
            f'  <label for="{escape(field.id_for_label)}" class="form-label">{escape(field.label)}</label>\n'
            f"  {field}\n{errors}{help_text}</div></div>"
        )
    return mark_safe("".join(out))  # noqa: S308 - labels, errors and help are escaped; widgets render themselves
