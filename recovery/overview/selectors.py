"""Reads for the recovery map (per service and provider-wide): themes, actions, measures, gaps.

This module owns the map: its rows (``ThemeRow``, ``ActionRow``), its gap labels and counts,
its paging by theme, and the measure and action columns lists load (``_MAP_*_FIELDS``, which
the service dashboard in :mod:`recovery.overview.dashboard` reuses). It loads everything it
shows in a fixed number of queries (prefetching themes, actions, measures and evidence) and
works out states and gaps in Python, so the cost does not grow with the number of actions.
Measures are shown from their stored summary (``MeasureSnapshot``): no data point is loaded
and no SPC runs at request time.
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
from recovery.measures.measuring import SNAPSHOT_FIELDS, STALE_GRACE_DAYS, MeasureSnapshot
from recovery.measures.selectors import snapshots
from recovery.models import FailureTheme, LeadershipLearning, OutcomeMeasure, RecoveryAction
from recovery.reviewing.selectors import current_layers, layers_prefetch, next_due, route_label

RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}

# Gaps on the recovery map: (key, label). Labels are shown as text next to the highlight.
GAP_NO_OUTCOME = "no_outcome"
GAP_NO_MEASURE = "no_measure"
GAP_STALE = "stale_measure"
GAP_NO_EVIDENCE = "no_evidence"
GAP_NO_LEARNING = "no_learning"
GAP_OFF_TRACK = "measure_off_track"
GAP_CLOSED_NO_IMPACT = "closed_without_impact"
GAP_LABELS = {
    GAP_NO_OUTCOME: "No intended outcome",
    GAP_NO_MEASURE: "No measure",
    GAP_STALE: "Measure without recent data",
    GAP_OFF_TRACK: "Measure off track",
    GAP_NO_EVIDENCE: "No evidence",
    GAP_CLOSED_NO_IMPACT: "Closed without impact evidence",
    GAP_NO_LEARNING: "No leadership learning",
}


# What lists show of a measure: its name, what its snapshot and sparkline need, and its stored summary.
_MAP_MEASURE_FIELDS = (
    "id",
    "action_id",
    "name",
    "unit",
    "direction",
    "cadence",
    "baseline_date",
    "target_value",  # the sparkline's target line
    *SNAPSHOT_FIELDS,
)

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
    "status",
    "started_on",
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
                queryset=EvidenceItem.objects.current().only("id", "nature", "refers_to"),
                to_attr="current_evidence",
            ),
            layers_prefetch(),
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
    review_route: str
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
        evidence = list(action.evidence.current().only("id", "nature", "refers_to"))
    impact = sum(1 for e in evidence if e.nature == Nature.IMPACT)
    gaps = []
    if not action.intended_outcome.strip():
        gaps.append(GAP_NO_OUTCOME)
    if not measures:
        gaps.append(GAP_NO_MEASURE)
    if any(s.stale for s in measures):
        gaps.append(GAP_STALE)
    if any(s.off_track for s in measures):  # the measure's one evaluation, as its badge shows it
        gaps.append(GAP_OFF_TRACK)
    if not evidence:
        gaps.append(GAP_NO_EVIDENCE)
    if action.status == RecoveryAction.Status.CLOSED and not any(
        e.nature == Nature.IMPACT and _after_start(e.refers_to, action) for e in evidence
    ):
        gaps.append(GAP_CLOSED_NO_IMPACT)
    layers = current_layers(action)
    next_review = next_due(layers)
    return ActionRow(
        action=action,
        measures=measures,
        impact_count=impact,
        activity_count=len(evidence) - impact,
        review_route=route_label(layers),
        next_review=next_review,
        review_overdue=bool(next_review and next_review < today and action.is_open),
        overdue=action.is_overdue(today),
        gaps=gaps,
    )


def _after_start(day: datetime.date, action: RecoveryAction) -> bool:
    """Impact evidence counts for a closure when it is dated on or after the action started."""
    return action.started_on is None or day >= action.started_on


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
            has_off_track=Exists(
                OutcomeMeasure.objects.filter(action=OuterRef("pk"), summary_state=OutcomeMeasure.State.OFF_TRACK)
            ),
            has_impact=Exists(
                EvidenceItem.objects.current().filter(
                    refers_to__gte=OuterRef("started_on"),
                    actions=OuterRef("pk"),
                    nature=Nature.IMPACT,
                )
            ),
            has_impact_any=Exists(EvidenceItem.objects.current().filter(actions=OuterRef("pk"), nature=Nature.IMPACT)),
        )
        .aggregate(
            no_outcome=Count("pk", filter=Q(outcome_length=0)),
            no_measure=Count("pk", filter=Q(has_measure=False)),
            stale_measure=Count("pk", filter=Q(has_stale=True)),
            off_track=Count("pk", filter=Q(has_off_track=True)),
            no_evidence=Count("pk", filter=Q(has_evidence=False)),
            closed_no_impact=Count(
                "pk",
                filter=Q(status=RecoveryAction.Status.CLOSED)
                & ~(Q(has_impact=True) | Q(started_on__isnull=True, has_impact_any=True)),
            ),
        )
    )
    counts = {
        GAP_NO_OUTCOME: action_totals["no_outcome"],
        GAP_NO_MEASURE: action_totals["no_measure"],
        GAP_STALE: action_totals["stale_measure"],
        GAP_OFF_TRACK: action_totals["off_track"],
        GAP_NO_EVIDENCE: action_totals["no_evidence"],
        GAP_CLOSED_NO_IMPACT: action_totals["closed_no_impact"],
        GAP_NO_LEARNING: theme_totals["no_learning"],
    }
    return theme_totals["total"], counts


def plan_scope(
    user, *, provider: Provider, service: Service | None, key_question: str, risk: str, status: str
) -> tuple[QuerySet[FailureTheme], QuerySet[RecoveryAction], QuerySet[RecoveryAction]]:
    """The map's filters, shared by the map and the action-plan export.

    Returns the visible themes (annotated ``has_learning``), the filtered actions (not yet
    scoped to the user: prefetches scope them) and the visible filtered actions.
    """
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
    return themes, actions, visible_actions


def theme_order() -> tuple:
    """High risk first, then by title: the map's order and the export's."""
    return (
        Case(*(When(risk_level=level, then=Value(rank)) for level, rank in RISK_ORDER.items()), default=Value(9)),
        Lower("title"),
        "pk",
    )


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
    themes, actions, visible_actions = plan_scope(
        user, provider=provider, service=service, key_question=key_question, risk=risk, status=status
    )
    total, gap_counts = _map_gap_counts(themes, visible_actions, today)

    ordered = (
        themes.select_related("owner", "service")
        .prefetch_related(
            Prefetch("actions", queryset=_action_queryset(user, actions), to_attr="map_actions"),
            Prefetch("framework_items", queryset=FrameworkItem.objects.select_related("key_question")),
        )
        .order_by(*theme_order())
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
