"""``{{ delta|duration }}``: a timedelta in words ("15 minutes", "1 hour 30 minutes")."""

from __future__ import annotations

import datetime

from django import template

register = template.Library()


def _part(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


@register.filter
def duration(value) -> str:
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = max(round(value.total_seconds() / 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [_part(n, u) for n, u in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts)
