"""Conventions shared by every app's Celery tasks (tasks stay thin: take ids, load, call a service)."""

from __future__ import annotations

import datetime
import smtplib

from django.db import InterfaceError, OperationalError
from django.utils import timezone

# Transient failures worth another try: the database or the mail server briefly away.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def day_or_today(value: str | None) -> datetime.date:
    """A task's ISO date argument (JSON carries dates as strings), or today when absent."""
    return datetime.date.fromisoformat(value) if value else timezone.localdate()
