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


# The badge of an item's kind, coloured by urgency (the words carry the meaning, not the colour).
BADGE_CLASSES = {
    Urgency.OVERDUE: "text-bg-danger",
    Urgency.DUE_NOW: "text-bg-warning",
    Urgency.WAITING: "text-bg-primary",
}


@dataclass(frozen=True)
class WorkItem:
    kind: str  # short label shown as a badge: "Audit due", "Closure to decide"
    title: str
    url: str  # where the work is done, one click away (a path; digests prefix SITE_URL)
    urgency: Urgency
    due: datetime.date | None = None
    service: str = ""  # the service's name, for context
    detail: str = ""  # one line: "3 of 5 steps done", "asked by Sam Patel"

    @property
    def badge_class(self) -> str:
        return BADGE_CLASSES.get(self.urgency, "text-bg-light border")


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
    empty: str = ""  # what an emphasised section says when it holds nothing ("No audits due this week.")


_SOURCES: list[WorkSource] = []


def first_and_total(queryset, limit: int) -> tuple[list, int]:
    """The first ``limit`` rows of ``queryset`` (in its order) and how many it holds in all, in
    one query: a window count (``COUNT(*) OVER ()``) is worked out before the ``LIMIT``, so a
    source needs no second ``count()`` query for its total. For work a person's role usually
    has some of (their actions, the closures they decide)."""
    from django.db.models import Count, Window

    rows = list(queryset.annotate(work_total=Window(Count("*")))[:limit])
    if not rows:
        return rows, 0
    first = rows[0]
    return rows, first["work_total"] if isinstance(first, dict) else first.work_total


def count_then_first(queryset, limit: int, shown: Callable | None = None) -> tuple[list, int]:
    """How many rows ``queryset`` holds and, only when there are some, the first ``limit`` of
    them (``shown(queryset)``: the related rows and columns an item shows). For work that is
    usually absent (a request addressed to the person, a flag, learning shared with them): a
    bare ``COUNT`` plans and compiles more cheaply than the rows with their joins, and is then
    all an empty source costs."""
    total = queryset.count()
    if not total:
        return [], 0
    return list((shown(queryset) if shown else queryset)[:limit]), total


def register_work_source(
    *, order: int, key: str, heading: str, items: Callable[..., WorkList], visible=None, empty: str = ""
) -> None:
    """Add a source of work; a second registration of the same key replaces the first."""
    _SOURCES[:] = [s for s in _SOURCES if s.key != key]
    _SOURCES.append(WorkSource(order, key, heading, items, visible, empty))
    _SOURCES.sort(key=lambda s: s.order)


def work_sources() -> list[WorkSource]:
    return list(_SOURCES)


# --- Gathering one person's work -------------------------------------------------------------

# The sources' keys and the order they are registered in (``order=``), so helpers building
# one do not collide: audits 10, actions 20, closures 30, requests 40 (evidence requests and
# challenges addressed to the person), reviews 50, flags 60, packs 70, audit effectiveness 80,
# progress 90.

# What each role's home page leads with (the "per-role emphasis"): these sections come
# first, in this order, and are shown even when empty ("No audits due"), so a registered
# manager always sees where her audits stand.
ROLE_EMPHASIS: dict[str, tuple[str, ...]] = {
    "registered_manager": ("audits", "actions"),
    "deputy_manager": ("audits", "actions"),
    "lead": ("actions", "audits"),
    "action_owner": ("actions", "requests"),
    "nominated_individual": ("closures", "reviews"),
    "quality_lead": ("effectiveness", "packs"),
    "board_member": ("reviews", "progress"),
    "viewer": ("progress",),
}

DEFAULT_LIMIT = 5  # items per section on the home page


@dataclass(frozen=True)
class WorkSection:
    """One source's work for one person, as the home page and the digest show it."""

    key: str
    heading: str
    work: WorkList
    emphasised: bool = False
    empty: str = ""

    @property
    def items(self) -> list[WorkItem]:
        return self.work.items

    @property
    def total(self) -> int:
        return self.work.total

    @property
    def more(self) -> int:
        return max(self.work.total - len(self.work.items), 0)

    @property
    def most_urgent(self) -> Urgency:
        return min((i.urgency for i in self.work.items), default=Urgency.INFO)


def emphasis_for(roles) -> list[str]:
    """The source keys a person with ``roles`` sees first, without repeats."""
    keys: list[str] = []
    for role in sorted(set(roles), key=lambda r: list(ROLE_EMPHASIS).index(r) if r in ROLE_EMPHASIS else 99):
        keys.extend(k for k in ROLE_EMPHASIS.get(role, ()) if k not in keys)
    return keys


def _urgency_order(item: WorkItem) -> tuple:
    return (item.urgency, item.due or datetime.date.max)


def my_work(user, today: datetime.date, *, limit: int = DEFAULT_LIMIT) -> list[WorkSection]:
    """``user``'s work from every source they may see: the emphasised sections of their roles
    first (shown even when empty), then the others that hold something, most urgent first.

    Each source runs a fixed number of queries, so the whole runs a fixed number too.
    """
    from . import permissions as policy

    roles = {role for _p, _s, role in policy.access_for(user).memberships}
    emphasis = emphasis_for(roles)
    sections: list[WorkSection] = []
    for source in work_sources():
        if source.visible is not None and not source.visible(user):
            continue
        work = source.items(user, today, limit=limit)
        items = sorted(work.items, key=_urgency_order)
        work = WorkList(items=items, total=max(work.total, len(items)), more_url=work.more_url)
        emphasised = source.key in emphasis
        if work.total or emphasised:
            sections.append(WorkSection(source.key, source.heading, work, emphasised, source.empty))
    orders = {s.key: s.order for s in work_sources()}
    sections.sort(
        key=lambda s: (0, emphasis.index(s.key), 0) if s.emphasised else (1, s.most_urgent, orders.get(s.key, 999))
    )
    return sections


def waiting(sections: list[WorkSection]) -> int:
    """How many items wait for the person (everything but what is shown for information)."""
    return sum(1 for s in sections for i in s.items if i.urgency < Urgency.INFO) + sum(
        s.more for s in sections if s.most_urgent < Urgency.INFO
    )
