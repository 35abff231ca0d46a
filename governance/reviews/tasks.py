"""Recurring review series as a background job: the daily beat task keeps each series planned
up to its rolling horizon (``services.SERIES_HORIZON_DAYS``). Safe to run twice: a day a
series already planned is never planned again (a unique constraint holds it)."""

from __future__ import annotations

from celery import shared_task

from core.jobs import RETRY, day_or_today
from governance.reviews.services import series_fill_all


@shared_task(**RETRY)
def fill_review_series(today: str | None = None) -> int:
    """Plan every active series' meetings up to the horizon; returns how many were added."""
    return series_fill_all(today=day_or_today(today))
