"""``{{ text|excerpt:1500 }}``: long text cut for a narrow place (a table cell in a pack), saying so.

Text up to the limit is shown whole. Longer text is cut at the last space before the limit and
ends "… [continued in the product]", so a reader never takes an excerpt for the whole record.
The limit is a number or the name of a size in ``core.limits`` (``excerpt:"NARRATIVE"``):
narratives shown full width (a card, a list of facts) are cut only past their field's own
bound, which only a row written before the bounds existed can be (issue 12).
"""

from __future__ import annotations

from django import template

from core import limits as sizes

register = template.Library()

CONTINUED = "… [continued in the product]"


@register.filter
def excerpt(value, limit: int | str = 1500) -> str:
    text = "" if value is None else str(value)
    limit = getattr(sizes, limit) if isinstance(limit, str) and not limit.isdigit() else int(limit)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return f"{cut.rstrip()} {CONTINUED}"
