"""What every pack kind loads: the themes, actions, measures and evidence in scope, and the
cited-evidence register that numbers them for the manifest."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.safestring import mark_safe

from evidence.models import EvidenceItem
from governance.packs.parameters import (
    PackParameters,
)
from recovery.measures import measuring
from recovery.models import (
    ActionStep,
    ActionTransition,
    DataPoint,
    FailureTheme,
    LeadershipLearning,
    OutcomeMeasure,
    RecoveryAction,
)
from recovery.reviewing.selectors import layers_prefetch


@dataclass
class Cited:
    """Collects every evidence item a pack cites and numbers them E1, E2, ... for the manifest."""

    instances: list[EvidenceItem] = field(default_factory=list)

    def add(self, items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
        items = [e for e in items if e is not None and e.removed_at is None]
        self.instances.extend(items)
        return items

    def manifest(self) -> list[EvidenceItem]:
        unique: dict[int, EvidenceItem] = {}
        for item in self.instances:
            unique.setdefault(item.pk, item)
        ordered = sorted(unique.values(), key=lambda e: (e.refers_to, e.pk))
        refs = {e.pk: f"E{i}" for i, e in enumerate(ordered, start=1)}
        for item in self.instances:
            item.ref = refs[item.pk]
        return ordered


def svg_markup(markup: str):
    """Chart markup built by our own SVG code (recovery.measures.charts, packs.svg), which escapes every label."""
    return mark_safe(markup)  # noqa: S308 - generated markup, user text inside is escaped


def evidence_qs():
    return EvidenceItem.objects.current().select_related("category", "service").order_by("refers_to", "pk")


def in_scope(provider_id: int, service_ids: list[int], field_prefix: str = "") -> Q:
    """Rows at one of the services, or provider-wide rows of the provider."""
    return Q(**{f"{field_prefix}service_id__in": service_ids}) | Q(
        **{f"{field_prefix}service__isnull": True, f"{field_prefix}provider_id": provider_id}
    )


def themes_in_scope(provider_id: int, service_ids: list[int]) -> list[FailureTheme]:
    return list(
        FailureTheme.objects.filter(in_scope(provider_id, service_ids))
        .select_related("owner", "service")
        .prefetch_related(
            Prefetch("framework_items", queryset=framework_items()),
            Prefetch("evidence", queryset=evidence_qs()),
            Prefetch(
                "learning",
                queryset=LeadershipLearning.objects.select_related("recorded_by", "reviewed_by").prefetch_related(
                    Prefetch("evidence", queryset=evidence_qs())
                ),
            ),
        )
        .order_by("title", "pk")
    )


def framework_items():
    from core.models import FrameworkItem

    return FrameworkItem.objects.select_related("key_question")


def actions_qs():
    return RecoveryAction.objects.select_related(
        "theme", "owner", "service", "provider", "closed_by", "proposed_by"
    ).prefetch_related(
        Prefetch("steps", queryset=ActionStep.objects.select_related("done_by").order_by("order", "pk")),
        Prefetch("evidence", queryset=evidence_qs()),
        Prefetch("transitions", queryset=ActionTransition.objects.select_related("actor").order_by("at", "pk")),
        Prefetch(
            "measures",
            queryset=OutcomeMeasure.objects.order_by("pk").prefetch_related(
                Prefetch("points", queryset=DataPoint.objects.order_by("period_date", "pk")),
                Prefetch("evidence", queryset=evidence_qs()),
            ),
        ),
        layers_prefetch(),
    )


def theme_key_questions(theme: FailureTheme) -> set[str]:
    return {item.key_question.code for item in theme.framework_items.all()}


def summaries_at(measures: Iterable[OutcomeMeasure], date_to: datetime.date) -> list[measuring.MeasureSummary]:
    out = []
    for m in measures:
        points = [p for p in m.points.all() if measuring.period_begun_by(m.cadence, p.period_date, date_to)]
        summary = measuring.summarise(m, points, today=date_to)
        summary.badge_info = summary.badge()
        summary.assurance_info = summary.assurance()
        out.append(summary)
    return out


def closing_transition(action: RecoveryAction, to_status: str) -> ActionTransition | None:
    rows = [t for t in action.transitions.all() if t.to_status == to_status]
    return rows[-1] if rows else None


def in_period(when, params: PackParameters) -> bool:
    if when is None:
        return False
    if isinstance(when, datetime.datetime):
        when = timezone.localtime(when).date()
    return params.date_from <= when <= params.date_to
