"""Extra entries for an action's "concern to outcome" timeline, from layers above recovery.

Governance (reviews, challenges) sits above recovery and may not be imported here, so it
registers a source in its AppConfig.ready: a function ``(action) -> list[TimelineEntry]``.
"""

from __future__ import annotations

from collections.abc import Callable

_SOURCES: list[Callable] = []


def register_timeline_source(source: Callable) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def extra_entries(action) -> list:
    entries: list = []
    for source in _SOURCES:
        entries.extend(source(action))
    return entries
