"""Reads for the service dashboard panel: counts by status and risk, capped lists, "needs me".

This module owns the dashboard on the service page (``Dashboard``, ``NeedsMe``, ``Capped``,
``DASHBOARD_CAP``) and the page's shared read of it (``service_dashboard_for_page``). It
loads what it shows in a fixed number of queries (three): the actions and the measures as plain
rows of the columns shown (counts and list membership come from them, and only the rows shown
become instances), and the open steps of the person's own actions shown. Measures come from
their stored summary, read with the recovery map's measure columns
(:mod:`recovery.overview.selectors`).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field

from django.db.models import DEFERRED, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core import permissions as policy
from core.choices import RiskLevel
from core.models import Service, User
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


def _in_model_order(model, names) -> tuple[str, ...]:
    """``names`` (attnames) in the model's field order, as ``Model.from_db`` takes values."""
    wanted = set(names)
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


# What the dashboard reads of each action (its lists show these; nothing else is loaded):
# the action's own columns, then its owner's and proposer's names, then its deadline state.
_DASHBOARD_ACTION_COLUMNS = _in_model_order(
    RecoveryAction,
    (
        "id",
        "provider_id",
        "service_id",
        "title",
        "owner_id",
        "due_date",
        "risk_level",
        "status",
        "proposed_by_id",
        "proposed_at",
    ),
)
_PERSON_COLUMNS = _in_model_order(User, ("id", "first_name", "last_name", "email"))
_DASHBOARD_ACTION_READ = (
    *_DASHBOARD_ACTION_COLUMNS,
    *(f"owner__{c}" for c in _PERSON_COLUMNS[1:]),
    *(f"proposed_by__{c}" for c in _PERSON_COLUMNS[1:]),
    "deadline_state",
)
# ... and of each measure of those actions (the action itself comes from the read above).
_DASHBOARD_MEASURE_COLUMNS = _in_model_order(OutcomeMeasure, _MAP_MEASURE_FIELDS)
_STEP_COLUMNS = ("id", "action_id", "order", "role", "what")
# Where the loop over the action rows finds pk, status, risk, owner, proposer and deadline state.
_ACTION_AT = tuple(
    _DASHBOARD_ACTION_READ.index(name)
    for name in ("id", "status", "risk_level", "owner_id", "proposed_by_id", "deadline_state")
)


def service_dashboard_for_page(request, service: Service) -> Dashboard:
    """The service page's one read of the dashboard, for the panels that show it.

    Declared with ``core.panels.reads`` by the recovery panel and the next-review panel (which
    takes its count of closure proposals awaiting the user from it instead of a query), so
    ``core.panels.service_panels`` builds it once per page and passes it to both.
    """
    return service_dashboard(request.user, service, today=timezone.localdate())


def _person(db: str, pk, names) -> User | None:
    return None if pk is None else User.from_db(db, _PERSON_COLUMNS, (pk, *names))


def service_dashboard(user, service: Service, *, today: datetime.date | None = None) -> Dashboard:
    """Everything on the service dashboard panel, in a fixed number of queries (three).

    1. the service's visible actions as plain rows (the columns the lists show, the owner's and
    proposer's names, the deadline state): counts and list membership come from them, and only
    the rows shown become ``RecoveryAction`` instances; 2. the open steps of the person's own
    open actions shown (none when there are none); 3. the measures of those actions as plain
    rows, of which only the shown ones become instances. Each list is capped at ``DASHBOARD_CAP``.
    """
    today = today or timezone.localdate()
    S = RecoveryAction.Status
    visible = policy.objects_for(user, RecoveryAction.objects.filter(service=service), policy.Verb.VIEW)
    can_decide = policy.can(user, policy.Verb.DECIDE_CLOSURE, service)
    can_decide_high = policy.can(user, policy.Verb.DECIDE_HIGH_RISK_CLOSURE, service)
    risks = list(RiskLevel.values)
    db = visible.db
    n_action = len(_DASHBOARD_ACTION_COLUMNS)

    # 1. Counts and list membership from the rows, in due-date order.
    counts: dict[str, list[int]] = {}
    lists: dict[str, list[int]] = {
        name: [] for name in ("overdue", "proposals", "high_risk_proposals", "my_overdue", "my_open")
    }
    rows: dict[int, tuple] = {}  # pk -> row, in due-date order
    for row in visible.with_deadline(today).order_by("due_date", "pk").values_list(*_DASHBOARD_ACTION_READ):
        pk, status, risk, owner_id, proposed_by_id, deadline = (row[i] for i in _ACTION_AT)
        rows[pk] = row
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

    actions: dict[int, RecoveryAction] = {}

    def action(pk: int) -> RecoveryAction:
        """The shown action ``pk`` as an instance (one per action, however many lists show it)."""
        if pk not in actions:
            row = rows[pk]
            a = RecoveryAction.from_db(db, _DASHBOARD_ACTION_COLUMNS, row[:n_action])
            a.owner = _person(db, a.owner_id, row[n_action : n_action + 3])
            a.proposed_by = _person(db, a.proposed_by_id, row[n_action + 3 : n_action + 6])
            actions[pk] = a
        return actions[pk]

    def capped(name: str) -> Capped:
        ids = lists[name]
        return Capped([action(pk) for pk in ids[:DASHBOARD_CAP]], total=len(ids))

    # 2. The open steps of the person's own open actions that are shown.
    my_open = capped("my_open")
    steps: dict[int, list[ActionStep]] = {a.pk: [] for a in my_open}
    if steps:
        for step in ActionStep.objects.filter(action_id__in=steps, done_on__isnull=True).only(*_STEP_COLUMNS):
            steps[step.action_id].append(step)

    # 3. Measures: which need attention (off track first, then by name) and which of the
    # person's have no recent data; the shown ones become instances.
    order = {pk: i for i, pk in enumerate(rows)}
    at = {name: i for i, name in enumerate(_DASHBOARD_MEASURE_COLUMNS)}
    # The sparkline's stored values come as text and are decoded for the shown rows only (most
    # measures are read for the counts and lists, not drawn).
    measure_rows = sorted(
        OutcomeMeasure.objects.filter(action_id__in=visible.values("pk"))
        .annotate(values_text=Cast("summary_values", TextField()))
        .order_by()
        .values_list(*(c if c != "summary_values" else "values_text" for c in _DASHBOARD_MEASURE_COLUMNS)),
        key=lambda r: (order[r[at["action_id"]]], r[at["id"]]),
    )
    attention_rows, stale_ids, by_pk = [], [], {}
    for r in measure_rows:
        pk, action_row = r[at["id"]], rows[r[at["action_id"]]]
        owner_id, status = action_row[_ACTION_AT[3]], action_row[_ACTION_AT[1]]
        by_pk[pk] = r
        state, concern = r[at["summary_state"]], r[at["summary_recent_concern"]]
        if state == State.OFF_TRACK or concern:
            attention_rows.append((state != State.OFF_TRACK, r[at["name"]].lower(), pk))
        latest = r[at["summary_latest_date"]] or r[at["baseline_date"]]
        if owner_id == user.pk and status in OPEN_STATUSES and is_stale(r[at["cadence"]], latest, today):
            stale_ids.append(pk)
    attention_ids = [pk for *_, pk in sorted(attention_rows)]

    def capped_measures(ids: list[int], *, drawn: bool) -> Capped:
        """The first measures of ``ids`` as snapshots; ``drawn``: with the sparkline's values
        (the "needs me" list of stale measures names them and their last date, and draws none)."""
        shown = []
        for pk in ids[:DASHBOARD_CAP]:
            values = list(by_pk[pk])
            text = values[at["summary_values"]]
            values[at["summary_values"]] = json.loads(text) if drawn else DEFERRED
            m = OutcomeMeasure.from_db(db, _DASHBOARD_MEASURE_COLUMNS, values)
            m.action = action(m.action_id)
            shown.append(MeasureSnapshot(m, today=today))
        return Capped(shown, total=len(ids))

    needs_me = NeedsMe(
        can_decide=can_decide,
        can_decide_high_risk=can_decide_high,
        proposals=capped("proposals"),
        high_risk_proposals=capped("high_risk_proposals"),
        my_open=Capped(
            [OpenAction(action=a, open_steps=steps[a.pk], overdue=a.is_overdue(today)) for a in my_open],
            total=my_open.total,
        ),
        my_overdue=capped("my_overdue"),
        my_stale_measures=capped_measures(stale_ids, drawn=False),
    )
    return Dashboard(
        service=service,
        today=today,
        status_counts=status_counts,
        risk_totals=risk_totals,
        total=sum(risk_totals),
        attention=capped_measures(attention_ids, drawn=True),
        overdue=capped("overdue"),
        needs_me=needs_me,
    )
