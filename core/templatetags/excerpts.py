"""``{{ text|excerpt:1500 }}``: long text cut for a narrow place (a table cell in a pack), saying so.

Text up to the limit is shown whole. Longer text is cut at the last space before the limit and
ends "… [continued in the product]", so a reader never takes an excerpt for the whole record.
Narratives shown full width (a card, a list of facts) are not cut: they flow across pages.
"""

from __future__ import annotations

from django import template

register = template.Library()

CONTINUED = "… [continued in the product]"


@register.filter
def excerpt(value, limit: int = 1500) -> str:
    text = "" if value is None else str(value)
    limit = int(limit)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return f"{cut.rstrip()} {CONTINUED}"
