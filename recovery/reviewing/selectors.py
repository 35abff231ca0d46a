"""Reads for review routes: the layers of a subject, their state today, and the review history.

Lists that show a route (the map, exports, packs) prefetch the layers with ``LAYERS_PREFETCH``
(one query for every row) and read them with ``current_layers(obj)``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from recovery.plan.models import FailureTheme, RecoveryAction
from recovery.reviewing.models import ReviewLayer, ReviewRecord

# How many past reviews a subject's page lists (the newest first).
HISTORY_LIMIT = 50


def layers_prefetch() -> Prefetch:
    """The active layers of each row, in route order, on ``row.current_layers``."""
    return Prefetch(
        "review_layers",
        queryset=ReviewLayer.objects.filter(retired_at__isnull=True).select_related("reviewer").order_by("order", "pk"),
        to_attr="current_layers",
    )


def current_layers(obj: RecoveryAction | FailureTheme) -> list[ReviewLayer]:
    """The active layers of a subject: prefetched if the list did (``layers_prefetch``), else one query."""
    cached = getattr(obj, "current_layers", None)
    if cached is not None:
        return cached
    return list(obj.review_layers.filter(retired_at__isnull=True).select_related("reviewer").order_by("order", "pk"))


def route_label(layers) -> str:
    """ "Weekly RM review; Monthly NI review" (empty route: "No review route")."""
    return "; ".join(layer.name for layer in layers) or "No review route"


def next_due(layers) -> datetime.date | None:
    """The earliest next review due among the layers (None: none is due yet)."""
    days = [layer.next_due for layer in layers if layer.next_due is not None]
    return min(days) if days else None


def last_reviewed(layers) -> datetime.date | None:
    """The latest review among the layers."""
    days = [layer.last_reviewed_on for layer in layers if layer.last_reviewed_on is not None]
    return max(days) if days else None


@dataclass
class LayerState:
    layer: ReviewLayer
    overdue: bool
    days_overdue: int


@dataclass
class RoutePage:
    """What a subject's page shows of its review route: each layer and the past reviews."""

    layers: list[LayerState]
    history: list[ReviewRecord]
    more_history: bool

    @property
    def overdue_count(self) -> int:
        return sum(1 for s in self.layers if s.overdue)


def route_page(subject: RecoveryAction | FailureTheme, *, today: datetime.date | None = None) -> RoutePage:
    """Two queries whatever the number of layers and reviews: the layers, and the latest reviews."""
    today = today or timezone.localdate()
    live = subject.is_open if isinstance(subject, RecoveryAction) else subject.status != FailureTheme.Status.CLOSED
    states = []
    for layer in current_layers(subject):
        overdue = live and layer.is_overdue(today)
        states.append(LayerState(layer, overdue, (today - layer.next_due).days if overdue else 0))
    field = "action" if isinstance(subject, RecoveryAction) else "theme"
    rows = list(
        ReviewRecord.objects.filter(**{field: subject})
        .select_related("layer", "layer__reviewer", "reviewed_by", "recorded_by")
        .order_by("-reviewed_on", "-pk")[: HISTORY_LIMIT + 1]
    )
    return RoutePage(states, rows[:HISTORY_LIMIT], len(rows) > HISTORY_LIMIT)
