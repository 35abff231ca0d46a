"""Reads for the recovery map and the service dashboard.

Both load everything they show in a fixed number of queries (prefetching themes, actions,
measures, evidence and steps) and work out states, gaps and counts in Python, so the cost
does not grow with the number of actions. Measures are shown from their stored summary
(``MeasureSnapshot``): no data point is loaded and no SPC runs at request time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Length, Lower, Trim
from django.utils import timezone

from core import permissions as policy
from core.choices import CADENCE_DAYS, RiskLevel
from core.models import FrameworkItem, KeyQuestion, Provider, Service
from evidence.models import EvidenceItem, Nature
from recovery.measures.measuring import SNAPSHOT_FIELDS, STALE_GRACE_DAYS, MeasureSnapshot, State, is_stale
from recovery.measures.selectors import snapshots
from recovery.models import ActionStep, FailureTheme, LeadershipLearning, OutcomeMeasure, RecoveryAction
from recovery.plan.models import OPEN_STATUSES

RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}

# Gaps on the recovery map: (key, label). Labels are shown as text next to the highlight.
GAP_NO_OUTCOME = "no_outcome"
GAP_NO_MEASURE = "no_measure"
GAP_STALE = "stale_measure"
GAP_NO_EVIDENCE = "no_evidence"
GAP_NO_LEARNING = "no_learning"
GAP_LABELS = {
    GAP_NO_OUTCOME: "No intended outcome",
    GAP_NO_MEASURE: "No measure",
    GAP_STALE: "Measure without recent data",
    GAP_NO_EVIDENCE: "No evidence",
    GAP_NO_LEARNING: "No leadership learning",
}


# What lists show of a measure: its name, what its snapshot needs, and its stored summary.
_MAP_MEASURE_FIELDS = ("id", "action_id", "name", "unit", "direction", "cadence", "baseline_date", *SNAPSHOT_FIELDS)

# What the map shows of an action (the long texts other than the intended outcome stay unloaded).
_MAP_ACTION_FIELDS = (
    "id",
    "provider_id",
    "service",
    "theme_id",
    "title",
    "intended_outcome",
    "owner",
    "due_date",
    "risk_level",
    "review_role",
    "review_cadence",
    "status",
    "started_on",
    "last_reviewed_at",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
    "service__name",
    "service__slug",
)


def _action_queryset(user, base: QuerySet[RecoveryAction]) -> QuerySet[RecoveryAction]:
    """Visible actions with everything the map shows about them."""
    return (
        policy.objects_for(user, base, policy.Verb.VIEW)
        .select_related("owner", "service")
        .only(*_MAP_ACTION_FIELDS)
        .prefetch_related(
            Prefetch("measures", queryset=OutcomeMeasure.objects.only(*_MAP_MEASURE_FIELDS)),
            Prefetch(
                "evidence",
                queryset=EvidenceItem.objects.current().only("id", "nature"),
                to_attr="current_evidence",
            ),
        )
        .order_by("due_date", "pk")
    )


# --- The recovery map ---------------------------------------------------------------


@dataclass
class ActionRow:
    action: RecoveryAction
    measures: list[MeasureSnapshot]
    impact_count: int
    activity_count: int
    next_review: datetime.date | None
    review_overdue: bool
    overdue: bool
    gaps: list[str]

    @property
    def gap_labels(self) -> list[str]:
        return [GAP_LABELS[g] for g in self.gaps]


@dataclass
class ThemeRow:
    theme: FailureTheme
    actions: list[ActionRow]
    has_learning: bool
    gaps: list[str]

    @property
    def gap_labels(self) -> list[str]:
        return [GAP_LABELS[g] for g in self.gaps]

    @property
    def key_questions(self) -> list[str]:
        seen: dict[str, str] = {}
        for item in self.theme.framework_items.all():
            seen.setdefault(item.key_question.code, item.key_question.name)
        return list(seen.values())


# Themes per page of the recovery map (the gap counts above the list cover every page).
MAP_THEMES_PER_PAGE = 10


@dataclass
class RecoveryMap:
    provider: Provider
    service: Service | None
    themes: list[ThemeRow]  # the themes on this page
    today: datetime.date
    gap_counts: dict[str, int] = field(default_factory=dict)  # over the whole filtered map
    page: Page | None = None

    @property
    def action_count(self) -> int:
        return sum(len(t.actions) for t in self.themes)

    @property
    def gap_summary(self) -> list[tuple[str, str, int]]:
        return [(key, GAP_LABELS[key], self.gap_counts.get(key, 0)) for key in GAP_LABELS]


def key_question_choices() -> list[tuple[str, str]]:
    """Distinct key questions across framework versions (the same five so far), in order."""
    seen: dict[str, str] = {}
    for code, name in KeyQuestion.objects.order_by("order", "version_id").values_list("code", "name"):
        seen.setdefault(code, name)
    return list(seen.items())


def action_row(action: RecoveryAction, today: datetime.date) -> ActionRow:
    """One action's line on the map, from prefetched measures/points/evidence."""
    measures = snapshots(action.measures.all(), today=today)
    evidence = getattr(action, "current_evidence", None)
    if evidence is None:
        evidence = list(action.evidence.current().only("id", "nature"))
    impact = sum(1 for e in evidence if e.nature == Nature.IMPACT)
    gaps = []
    if not action.intended_outcome.strip():
        gaps.append(GAP_NO_OUTCOME)
    if not measures:
        gaps.append(GAP_NO_MEASURE)
    if any(s.stale for s in measures):
        gaps.append(GAP_STALE)
    if not evidence:
        gaps.append(GAP_NO_EVIDENCE)
    next_review = action.next_review_due()
    return ActionRow(
        action=action,
        measures=measures,
        impact_count=impact,
        activity_count=len(evidence) - impact,
        next_review=next_review,
        review_overdue=bool(next_review and next_review < today and action.is_open),
        overdue=action.is_overdue(today),
        gaps=gaps,
    )


def _stale_measure(today: datetime.date) -> Q:
    """``is_stale`` in SQL, on a ``last_date`` annotation: one branch per cadence."""
    q = Q(pk__in=[])
    for cadence, days in CADENCE_DAYS.items():
        q |= Q(cadence=cadence, last_date__lt=today - datetime.timedelta(days=days + STALE_GRACE_DAYS))
    return q


def _map_gap_counts(themes: QuerySet[FailureTheme], actions: QuerySet[RecoveryAction], today) -> tuple[int, dict]:
    """How many themes the filtered map has, and its gaps, by aggregate (two queries, no rows)."""
    theme_totals = themes.order_by().aggregate(total=Count("pk"), no_learning=Count("pk", filter=Q(has_learning=False)))
    stale = (
        OutcomeMeasure.objects.filter(action=OuterRef("pk"))
        .annotate(last_date=Coalesce("summary_latest_date", "baseline_date"))
        .filter(_stale_measure(today))
    )
    action_totals = (
        actions.filter(theme__in=themes.values("pk"))
        .order_by()
        .annotate(
            outcome_length=Length(Trim("intended_outcome")),
            has_measure=Exists(OutcomeMeasure.objects.filter(action=OuterRef("pk"))),
            has_stale=Exists(stale),
            has_evidence=Exists(EvidenceItem.objects.current().filter(actions=OuterRef("pk"))),
        )
        .aggregate(
            no_outcome=Count("pk", filter=Q(outcome_length=0)),
            no_measure=Count("pk", filter=Q(has_measure=False)),
            stale_measure=Count("pk", filter=Q(has_stale=True)),
            no_evidence=Count("pk", filter=Q(has_evidence=False)),
        )
    )
    counts = {
        GAP_NO_OUTCOME: action_totals["no_outcome"],
        GAP_NO_MEASURE: action_totals["no_measure"],
        GAP_STALE: action_totals["stale_measure"],
        GAP_NO_EVIDENCE: action_totals["no_evidence"],
        GAP_NO_LEARNING: theme_totals["no_learning"],
    }
    return theme_totals["total"], counts


def recovery_map(
    user,
    *,
    provider: Provider,
    service: Service | None = None,
    key_question: str = "",
    risk: str = "",
    status: str = "",
    page: int | str | None = 1,
    per_page: int | None = None,
    today: datetime.date | None = None,
) -> RecoveryMap:
    """Themes -> actions -> measures -> evidence for one service or the whole provider, a page of themes at a time.

    Only what ``user`` may see. Filters: key question code (via the theme's framework items),
    action risk level, action status. With an action filter, themes without a matching action
    are left out; without one, themes with no actions yet are shown (they are a gap too).
    Themes come high risk first, then by title; the gap counts cover every page.
    """
    today = today or timezone.localdate()
    actions = RecoveryAction.objects.filter(provider=provider)
    if service is not None:
        actions = actions.filter(service=service)
    if risk:
        actions = actions.filter(risk_level=risk)
    if status:
        actions = actions.filter(status=status)
    visible_actions = policy.objects_for(user, actions, policy.Verb.VIEW)

    themes = policy.objects_for(user, FailureTheme.objects.filter(provider=provider), policy.Verb.VIEW)
    if key_question:
        tagged = FailureTheme.objects.filter(framework_items__key_question__code=key_question).values("pk")
        themes = themes.filter(pk__in=tagged)
    with_actions = visible_actions.values("theme_id")
    if risk or status:
        themes = themes.filter(pk__in=with_actions)
    elif service is not None:
        themes = themes.filter(Q(service=service) | Q(pk__in=with_actions))
    themes = themes.annotate(has_learning=Exists(LeadershipLearning.objects.filter(theme=OuterRef("pk"))))
    total, gap_counts = _map_gap_counts(themes, visible_actions, today)

    ordered = (
        themes.select_related("owner", "service")
        .prefetch_related(
            Prefetch("actions", queryset=_action_queryset(user, actions), to_attr="map_actions"),
            Prefetch("framework_items", queryset=FrameworkItem.objects.select_related("key_question")),
        )
        .order_by(
            Case(*(When(risk_level=level, then=Value(rank)) for level, rank in RISK_ORDER.items()), default=Value(9)),
            Lower("title"),
            "pk",
        )
    )
    paginator = Paginator(ordered, per_page or MAP_THEMES_PER_PAGE)
    paginator.count = total  # already counted with the gaps: no second COUNT query
    page_obj = paginator.get_page(page)

    rows = [
        ThemeRow(
            theme=theme,
            actions=[action_row(a, today) for a in theme.map_actions],
            has_learning=theme.has_learning,
            gaps=[] if theme.has_learning else [GAP_NO_LEARNING],
        )
        for theme in page_obj.object_list
    ]
    return RecoveryMap(
        provider=provider, service=service, themes=rows, today=today, gap_counts=gap_counts, page=page_obj
    )


# --- The service dashboard ----------------------------------------------------------


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


def service_dashboard_for_request(request, service: Service) -> Dashboard:
    """``service_dashboard`` for the signed-in user, built once per request.

    The service page's panels share it: the recovery panel shows it and the review panel
    takes its count of closure proposals awaiting the user from it instead of a query.
    """
    memo = request.__dict__.setdefault("_service_dashboards", {})
    if service.pk not in memo:
        memo[service.pk] = service_dashboard(request.user, service, today=timezone.localdate())
    return memo[service.pk]


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
