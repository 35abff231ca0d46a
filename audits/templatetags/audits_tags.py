from django import template

from ..compliance import NA, NO, YES

register = template.Library()


@register.filter
def get(mapping, key):
    """``{{ row.answers|get:criterion.key }}``"""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def pct(value):
    """A percentage for people: "87.5%", or an em dash when there is nothing to count."""
    if value is None or value == "":
        return "—"
    return f"{value:g}%"


ANSWER_LABELS = {YES: "Yes", NO: "No", NA: "N/A"}


@register.filter
def answer_label(value):
    return ANSWER_LABELS.get(value, "—")
