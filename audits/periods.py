"""Audit periods: a week (Monday to Sunday), a calendar month or a calendar quarter. Pure functions."""

from __future__ import annotations

import calendar
import datetime

from core.choices import Cadence

ONE_DAY = datetime.timedelta(days=1)


def period_bounds(frequency: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The (first, last) day of the period of ``frequency`` that contains ``day``.

    Weekly is the ISO week (Monday-Sunday); fortnightly is treated as weekly.
    """
    if frequency == Cadence.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if frequency == Cadence.QUARTERLY:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = datetime.date(day.year, first_month, 1)
        end_month = first_month + 2
        return start, datetime.date(day.year, end_month, calendar.monthrange(day.year, end_month)[1])
    start = day - datetime.timedelta(days=day.weekday())
    return start, start + datetime.timedelta(days=6)


def previous_period(frequency: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start, _ = period_bounds(frequency, day)
    return period_bounds(frequency, start - ONE_DAY)


def periods_back(frequency: str, today: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """The current period and the ``count - 1`` before it, newest first."""
    periods = [period_bounds(frequency, today)]
    while len(periods) < count:
        periods.append(period_bounds(frequency, periods[-1][0] - ONE_DAY))
    return periods


def period_label(frequency: str, start: datetime.date, end: datetime.date) -> str:
    if frequency == Cadence.MONTHLY:
        return start.strftime("%B %Y")
    if frequency == Cadence.QUARTERLY:
        return f"Q{(start.month - 1) // 3 + 1} {start.year} ({start:%b}–{end:%b})"
    if start.year != end.year:
        return f"Week of {start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"Week of {start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"Week of {start.day}–{end.day} {end:%b %Y}"
