"""Domain events: "this subject changed in a way that may raise or resolve a flag".

Lower layers cannot import the flags (governance is above them), so a service that changes a
flag's subject calls :func:`changed` inside its transaction, and the upper layers that care
register a listener in their ``AppConfig.ready`` with :func:`listen`. A listener that does
work outside the request (a Celery task) schedules it with ``transaction.on_commit`` so it sees
the committed rows and nothing is sent for a rolled-back change.

Subjects are model instances that carry a provider: actions, themes, measures, data points,
audits, evidence items, reviews and agenda items, services. Listeners must be idempotent: the
same subject may be announced several times in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[..., None]  # (subject, *, reason: str) -> None

_LISTENERS: list[Listener] = []


def listen(listener: Listener) -> Listener:
    """Register ``listener(subject, *, reason)``; registering the same function twice is a no-op."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def changed(subject: Any, *, reason: str) -> None:
    """Announce that ``subject`` changed (``reason`` is a short machine word: "closure", "review", ...)."""
    for listener in list(_LISTENERS):
        listener(subject, reason=reason)
