"""A person's own work, gathered from every layer for the home page and the digest.

The base app owns the home page but must not import the apps above it; each app registers
the sources of work it knows about (audits due, actions owned, closures to decide, requests
addressed to the person, reviews they chair or attend, flags on what they own or oversee,
packs they generated) in its ``AppConfig.ready`` with :func:`register_work_source`.

A source's ``items(user, today)`` must run a fixed number of queries whatever the data size
(it returns at most ``limit`` items and the total count), scoped through the permission
policy so nobody sees another provider's work.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum


class Urgency(IntEnum):
    """Lower comes first on the page."""

    OVERDUE = 0  # past its date
    DUE_NOW = 1  # due today or this week
    WAITING = 2  # waiting on this person, no date passed yet
    UPCOMING = 3  # coming up (next review, due soon)
    INFO = 4  # for information (packs ready, progress)


@dataclass(frozen=True)
class WorkItem:
    kind: str  # short label shown as a badge: "Audit due", "Closure to decide"
    title: str
    url: str  # where the work is done, one click away (a path; digests prefix SITE_URL)
    urgency: Urgency
    due: datetime.date | None = None
    service: str = ""  # the service's name, for context
    detail: str = ""  # one line: "3 of 5 steps done", "asked by Sam Patel"


@dataclass(frozen=True)
class WorkList:
    items: list[WorkItem] = field(default_factory=list)
    total: int = 0  # how many there are in all (items holds at most the source's limit)
    more_url: str = ""  # where the rest are listed, when total > len(items)


@dataclass(frozen=True)
class WorkSource:
    order: int
    key: str  # "audits", "actions", "closures", "requests", "reviews", "flags", "packs"
    heading: str
    items: Callable[..., WorkList]  # (user, today, *, limit) -> WorkList
    visible: Callable[..., bool] | None = None  # (user) -> bool; None: everyone signed in


_SOURCES: list[WorkSource] = []


def register_work_source(*, order: int, key: str, heading: str, items: Callable[..., WorkList], visible=None) -> None:
    """Add a source of work; a second registration of the same key replaces the first."""
    _SOURCES[:] = [s for s in _SOURCES if s.key != key]
    _SOURCES.append(WorkSource(order, key, heading, items, visible))
    _SOURCES.sort(key=lambda s: s.order)


def work_sources() -> list[WorkSource]:
    return list(_SOURCES)
