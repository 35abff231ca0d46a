"""Reads for the service dashboard panel: counts by status and risk, capped lists, "needs me".

This module owns the dashboard on the service page (``Dashboard``, ``NeedsMe``, ``Capped``,
``DASHBOARD_CAP``) and the page's shared read of it (``service_dashboard_for_page``). It
loads what it shows in a fixed number of queries (five): a narrow read of ids, status, risk
and dates for the counts and list membership, then only the rows shown. Measures come from
their stored summary, read with the recovery map's measure columns
(:mod:`recovery.overview.selectors`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from core import permissions as policy
from core.choices import RiskLevel
from core.models import Service
from recovery.measures.measuring import MeasureSnapshot, State, is_stale
from recovery.models import ActionStep, OutcomeMeasure, RecoveryAction
from recovery.overview.selectors import _MAP_MEASURE_FIELDS
from recovery.plan.models import OPEN_STATUSES


@dataclass
class StatusCounts:
    status: str
    label: str
    by_risk: list[int]  # in RiskLevel order: high, medium, low
    total: int


# Each list on the dashboard shows at most this many rows, with "and N more" pointing at the
# recovery map: a service with 100 actions would otherwise list most of them several times over.
DASHBOARD_CAP = 8


class Capped(list):
    """The first rows of a longer list, with ``total`` (how many there are in all)."""

    def __init__(self, items=(), *, total: int | None = None) -> None:
        super().__init__(items)
        self.total = len(self) if total is None else total

    @property
    def more(self) -> int:
        return max(self.total - len(self), 0)


@dataclass
class OpenAction:
    """One of the signed-in person's open actions, with the steps still to do."""

    action: RecoveryAction
    open_steps: list
    overdue: bool


@dataclass
class NeedsMe:
    can_decide: bool
    can_decide_high_risk: bool
    proposals: Capped  # ordinary-risk closure proposals awaiting a decision
    high_risk_proposals: Capped
    my_open: Capped  # of OpenAction
    my_overdue: Capped
    my_stale_measures: Capped

    @property
    def empty(self) -> bool:
        return not (
            self.proposals or self.high_risk_proposals or self.my_open or self.my_overdue or self.my_stale_measures
        )


@dataclass
class Dashboard:
    service: Service
    today: datetime.date
    status_counts: list[StatusCounts]
    risk_totals: list[int]
    total: int
    attention: Capped  # off track, or a recent special cause - concern; off track first
    overdue: Capped
    needs_me: NeedsMe
    risk_labels: list[str] = field(default_factory=lambda: [str(label) for label in RiskLevel.labels])


# What the dashboard's lists show of an action and of a measure (nothing else is loaded).
_DASHBOARD_ACTION_FIELDS = (
    "id",
    "provider_id",
    "service_id",
    "title",
    "owner",
    "due_date",
    "risk_level",
    "status",
    "proposed_by",
    "proposed_at",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
    "proposed_by__first_name",
    "proposed_by__last_name",
    "proposed_by__email",
)
_DASHBOARD_MEASURE_FIELDS = (
    *_MAP_MEASURE_FIELDS,
    "action",
    "action__id",
    "action__title",
    "action__risk_level",
)


def service_dashboard_for_page(request, service: Service) -> Dashboard:
    """The service page's one read of the dashboard, for the panels that show it.

    Declared with ``core.panels.reads`` by the recovery panel and the next-review panel (which
    takes its count of closure proposals awaiting the user from it instead of a query), so
    ``core.panels.service_panels`` builds it once per page and passes it to both.
    """
    return service_dashboard(request.user, service, today=timezone.localdate())


def service_dashboard(user, service: Service, *, today: datetime.date | None = None) -> Dashboard:
    """Everything on the service dashboard panel, in a fixed number of queries (five).

    Each list is capped at ``DASHBOARD_CAP`` rows. The counts, and which rows each list shows,
    come from a narrow read of the service's actions and measures (ids, status, risk, dates,
    owner: no text, no sparkline); only the rows shown are then loaded in full.
    """
    today = today or timezone.localdate()
    S = RecoveryAction.Status
    visible = policy.objects_for(user, RecoveryAction.objects.filter(service=service), policy.Verb.VIEW)
    can_decide = policy.can(user, policy.Verb.DECIDE_CLOSURE, service)
    can_decide_high = policy.can(user, policy.Verb.DECIDE_HIGH_RISK_CLOSURE, service)
    risks = list(RiskLevel.values)

    # 1. Counts and list membership from the narrow rows, in due-date order.
    counts: dict[str, list[int]] = {}
    lists: dict[str, list[int]] = {
        name: [] for name in ("overdue", "proposals", "high_risk_proposals", "my_overdue", "my_open")
    }
    for pk, status, risk, deadline, owner_id, proposed_by_id in (
        visible.with_deadline(today)
        .order_by("due_date", "pk")
        .values_list("pk", "status", "risk_level", "deadline_state", "owner_id", "proposed_by_id")
    ):
        by_risk = counts.setdefault(status, [0] * len(risks))
        if risk in risks:
            by_risk[risks.index(risk)] += 1
        overdue = deadline == RecoveryAction.OVERDUE
        mine = owner_id == user.pk
        if overdue:
            lists["overdue"].append(pk)
            if mine:
                lists["my_overdue"].append(pk)
        if mine and status in OPEN_STATUSES:
            lists["my_open"].append(pk)
        if status == S.CLOSURE_PROPOSED and proposed_by_id != user.pk:
            if risk == RiskLevel.HIGH:
                if can_decide_high:
                    lists["high_risk_proposals"].append(pk)
            elif can_decide:
                lists["proposals"].append(pk)
    status_counts = [
        StatusCounts(status=value, label=str(label), by_risk=counts[value], total=sum(counts[value]))
        for value, label in RecoveryAction.Status.choices
        if value in counts
    ]
    risk_totals = [sum(c.by_risk[i] for c in status_counts) for i in range(len(risks))]

    # 2. The shown actions in full (3. with the open steps of the person's own).
    shown_ids = {pk for ids in lists.values() for pk in ids[:DASHBOARD_CAP]}
    shown = {
        a.pk: a
        for a in RecoveryAction.objects.filter(pk__in=shown_ids)
        .select_related("owner", "proposed_by")
        .only(*_DASHBOARD_ACTION_FIELDS)
        .prefetch_related(
            Prefetch("steps", queryset=ActionStep.objects.filter(done_on__isnull=True), to_attr="open_steps")
        )
    }

    def capped(name: str) -> Capped:
        ids = lists[name]
        return Capped([shown[pk] for pk in ids[:DASHBOARD_CAP]], total=len(ids))

    # 4. Measures: which need attention (off track first, then by name) and which of the
    # person's have no recent data, from narrow rows; 5. the shown ones in full.
    attention_rows, stale_ids = [], []
    for pk, name, state, concern, cadence, latest, baseline, owner_id, action_status in (
        OutcomeMeasure.objects.filter(action__in=visible.values("pk"))
        .order_by("action__due_date", "action_id", "pk")
        .values_list(
            "pk",
            "name",
            "summary_state",
            "summary_recent_concern",
            "cadence",
            "summary_latest_date",
            "baseline_date",
            "action__owner_id",
            "action__status",
        )
    ):
        if state == State.OFF_TRACK or concern:
            attention_rows.append((state != State.OFF_TRACK, name.lower(), pk))
        if owner_id == user.pk and action_status in OPEN_STATUSES and is_stale(cadence, latest or baseline, today):
            stale_ids.append(pk)
    attention_ids = [pk for *_, pk in sorted(attention_rows)]
    measures = {
        m.pk: m
        for m in OutcomeMeasure.objects.filter(pk__in={*attention_ids[:DASHBOARD_CAP], *stale_ids[:DASHBOARD_CAP]})
        .select_related("action")
        .only(*_DASHBOARD_MEASURE_FIELDS)
    }

    def capped_measures(ids: list[int]) -> Capped:
        return Capped([MeasureSnapshot(measures[pk], today=today) for pk in ids[:DASHBOARD_CAP]], total=len(ids))

    my_open = capped("my_open")
    needs_me = NeedsMe(
        can_decide=can_decide,
        can_decide_high_risk=can_decide_high,
        proposals=capped("proposals"),
        high_risk_proposals=capped("high_risk_proposals"),
        my_open=Capped(
            [OpenAction(action=a, open_steps=a.open_steps, overdue=a.is_overdue(today)) for a in my_open],
            total=my_open.total,
        ),
        my_overdue=capped("my_overdue"),
        my_stale_measures=capped_measures(stale_ids),
    )
    return Dashboard(
        service=service,
        today=today,
        status_counts=status_counts,
        risk_totals=risk_totals,
        total=sum(risk_totals),
        attention=capped_measures(attention_ids),
        overdue=capped("overdue"),
        needs_me=needs_me,
    )
