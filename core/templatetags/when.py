"""``{{ moment|when:"j M Y, H:i" }}``: an aware datetime in local time, formatted like ``|date``.

Django's ``|date`` converts to local time first, and that overflows for a value stored at the
edge of the range (0001-01-01 00:00 UTC is before year 1 in London's 1 January local time), so
one such row made every page listing it answer 500. ``when`` shows such a value in UTC instead.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import dateformat, timezone

register = template.Library()


@register.filter
def when(value, fmt: str = "j M Y, H:i") -> str:
    if not isinstance(value, datetime.datetime):
        return ""
    if timezone.is_aware(value):
        try:
            value = timezone.localtime(value)
        except OverflowError:
            value = value.astimezone(datetime.UTC)
    return dateformat.format(value, fmt)
