"""Reads for themes, learning, actions and the closure workflow. Query counts stay flat."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core import permissions as policy
from core.choices import RiskLevel
from core.models import Provider, Service
from evidence.models import EvidenceItem
from recovery.closure.conditions import Checklist, evaluate
from recovery.measures.measuring import MeasureSummary, summarise
from recovery.models import (
    ActionRisk,
    ActionStep,
    ActionTransition,
    DataPoint,
    FailureTheme,
    LeadershipLearning,
    OutcomeMeasure,
    RecoveryAction,
)
from recovery.plan.models import OPEN_STATUSES
from recovery.plan.timeline import extra_entries

S = RecoveryAction.Status


def _with_counts(qs: QuerySet[FailureTheme]) -> QuerySet[FailureTheme]:
    return qs.select_related("owner").annotate(
        actions_total=Count("actions", distinct=True),
        actions_open=Count("actions", filter=Q(actions__status__in=OPEN_STATUSES), distinct=True),
        actions_closed=Count("actions", filter=Q(actions__status=S.CLOSED), distinct=True),
        actions_proposed=Count("actions", filter=Q(actions__status=S.CLOSURE_PROPOSED), distinct=True),
    )


def themes_for_service(user, service: Service) -> list[FailureTheme]:
    """The service's own themes, open first, each with action counts (one query)."""
    qs = policy.objects_for(user, FailureTheme.objects.filter(service=service))
    return list(_with_counts(qs).order_by("status", "title"))


def provider_themes(user, provider: Provider) -> list[FailureTheme]:
    """Themes that apply across the provider (no one service), with action counts."""
    qs = policy.objects_for(user, FailureTheme.objects.filter(provider=provider, service__isnull=True))
    return list(_with_counts(qs).order_by("status", "title"))


# What the service page's themes panel shows of a theme (recovery/plan/_theme_table.html).
_PANEL_THEME_FIELDS = (
    "id",
    "provider_id",
    "service_id",
    "title",
    "risk_level",
    "status",
    "keep_visible_until",
    "keep_visible_override",
    "owner__id",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
)


def service_and_provider_themes(user, service: Service) -> tuple[list[FailureTheme], list[FailureTheme]]:
    """``themes_for_service`` and ``provider_themes`` for the service page, in one query."""
    qs = policy.objects_for(
        user,
        FailureTheme.objects.filter(Q(service=service) | Q(provider_id=service.provider_id, service__isnull=True)),
    )
    # One join (to the actions) under the counts, so they need no DISTINCT; only what the
    # panel's tables show of a theme is loaded.
    themes = (
        qs.select_related("owner")
        .only(*_PANEL_THEME_FIELDS)
        .annotate(
            actions_total=Count("actions"),
            actions_open=Count("actions", filter=Q(actions__status__in=OPEN_STATUSES)),
            actions_closed=Count("actions", filter=Q(actions__status=S.CLOSED)),
            actions_proposed=Count("actions", filter=Q(actions__status=S.CLOSURE_PROPOSED)),
        )
    )
    own, wide = [], []
    for theme in themes.order_by("status", "title"):
        (own if theme.service_id == service.pk else wide).append(theme)
    return own, wide


def theme_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> FailureTheme:
    qs = FailureTheme.objects.select_related("provider", "service", "owner")  # crumbs and header
    return policy.get_or_404(user, qs, verb, pk=pk)


def theme_page(theme: FailureTheme) -> dict:
    """Everything the theme page shows, in a fixed number of queries."""
    actions = list(
        theme.actions.select_related("owner", "service")
        .annotate(
            steps_total=Count("steps", distinct=True),
            steps_done=Count("steps", filter=Q(steps__done_on__isnull=False), distinct=True),
        )
        .order_by("due_date", "pk")
    )
    learning = list(
        LeadershipLearning.objects.filter(theme=theme)
        .select_related("recorded_by", "reviewed_by")
        .prefetch_related(Prefetch("evidence", queryset=EvidenceItem.objects.order_by("-refers_to")))
        .order_by("-created_at")
    )
    framework_items = list(theme.framework_items.select_related("version", "key_question"))
    return {"actions": actions, "learning": learning, "framework_items": framework_items}


def learning_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> LeadershipLearning:
    qs = LeadershipLearning.objects.select_related("theme", "provider", "service")
    return policy.get_or_404(user, qs, verb, pk=pk)


def action_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> RecoveryAction:
    qs = RecoveryAction.objects.select_related(
        "theme", "theme__service", "theme__provider", "service", "provider", "owner", "proposed_by", "closed_by"
    )
    return policy.get_or_404(user, qs, verb, pk=pk)


def step_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> ActionStep:
    """A step, scoped through its action (steps have no tenant columns of their own)."""
    return policy.get_through_or_404(user, ActionStep.objects.all(), "action", verb, pk=pk)


def linkable_evidence(user, action: RecoveryAction) -> QuerySet[EvidenceItem]:
    """Current evidence of the action's service (or provider-wide) this user can see, not yet linked."""
    qs = EvidenceItem.objects.current().filter(provider_id=action.provider_id)
    qs = qs.filter(Q(service_id=action.service_id) | Q(service__isnull=True)) if action.service_id else qs
    return policy.objects_for(user, qs).exclude(actions=action).order_by("-refers_to", "-pk")


def evidence_for_theme(user, theme: FailureTheme) -> QuerySet[EvidenceItem]:
    qs = EvidenceItem.objects.current().filter(provider_id=theme.provider_id)
    qs = qs.filter(Q(service_id=theme.service_id) | Q(service__isnull=True)) if theme.service_id else qs
    return policy.objects_for(user, qs).order_by("-refers_to", "-pk")


def actions_awaiting_decision(user) -> QuerySet[RecoveryAction]:
    """Closure proposals this user may approve or refuse (never their own).

    Ordinary-risk proposals where the user may decide closures, high-risk ones where they may
    decide high-risk closures: one WHERE with the two scopes OR-ed (not two ``pk IN`` subqueries
    over the whole table), and a branch the user's roles never grant is left out altogether.
    """
    proposed = RecoveryAction.objects.filter(status=S.CLOSURE_PROPOSED).exclude(proposed_by=user)
    branches = [
        policy.objects_for(user, branch, verb)
        for verb, branch in (
            (policy.Verb.DECIDE_CLOSURE, proposed.exclude(risk_level=RiskLevel.HIGH)),
            (policy.Verb.DECIDE_HIGH_RISK_CLOSURE, proposed.filter(risk_level=RiskLevel.HIGH)),
        )
        if policy.can(user, verb)
    ]
    if not branches:
        qs = RecoveryAction.objects.none()
    else:
        qs = branches[0] if len(branches) == 1 else branches[0] | branches[1]
    return qs.select_related("theme", "service", "provider", "owner", "proposed_by").order_by("proposed_at", "pk")


def awaiting_decision_count_at(user, service: Service) -> int:
    """How many of ``actions_awaiting_decision`` are at ``service``: one count query (none when
    the user may decide no closure there), the permission asked of the service once rather than
    scoped row by row."""
    ordinary = policy.can(user, policy.Verb.DECIDE_CLOSURE, service)
    high = policy.can(user, policy.Verb.DECIDE_HIGH_RISK_CLOSURE, service)
    if not (ordinary or high):
        return 0
    qs = RecoveryAction.objects.filter(service=service, status=S.CLOSURE_PROPOSED).exclude(proposed_by=user)
    if not high:
        qs = qs.exclude(risk_level="high")
    elif not ordinary:
        qs = qs.filter(risk_level="high")
    return qs.count()


# --- The action page ----------------------------------------------------------------------


@dataclass
class TimelineEntry:
    when: datetime.date
    at: datetime.datetime | None  # for ordering entries on the same day
    kind: str  # baseline / step / evidence / point / transition
    title: str
    detail: str = ""
    who: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def sort_key(self):
        at = self.at or datetime.datetime.combine(self.when, datetime.time(12), tzinfo=datetime.UTC)
        order = {"baseline": 0, "transition": 1, "step": 2, "evidence": 3, "point": 4}.get(self.kind, 5)
        # The concern opens its day; the rest of the day in time order.
        return (self.when, order != 0, at, order)


TRANSITION_TITLES = {
    S.OPEN: "Opened",
    S.IN_PROGRESS: "Work in progress",
    S.CLOSURE_PROPOSED: "Closure proposed",
    S.CLOSED: "Closure approved",
    S.REFUSED: "Closure refused",
    S.REOPENED: "Reopened",
}


def _transition_title(t: ActionTransition) -> str:
    if "conditions" in t.snapshot:
        return "Closure conditions changed"
    if "risk" in t.snapshot:
        old, new = (RiskLevel(t.snapshot["risk"][k]).label.lower() for k in ("from", "to"))
        return f"Risk changed from {old} to {new}"
    if t.to_status == S.IN_PROGRESS and t.from_status == S.OPEN:
        return "Work started"
    if t.to_status == S.IN_PROGRESS:
        return "Back in progress"
    return TRANSITION_TITLES.get(t.to_status, S(t.to_status).label)


@dataclass
class ActionPage:
    action: RecoveryAction
    steps: list[ActionStep]
    evidence: list[EvidenceItem]
    summaries: list[MeasureSummary]
    transitions: list[ActionTransition]
    timeline: list[TimelineEntry]
    risks: list[ActionRisk] = field(default_factory=list)
    checklist: Checklist | None = None

    @property
    def impact_evidence(self) -> list[EvidenceItem]:
        return [e for e in self.evidence if e.is_impact and not e.is_removed]

    @property
    def last_refusal(self) -> ActionTransition | None:
        refusals = [t for t in self.transitions if t.to_status == S.REFUSED]
        return refusals[-1] if refusals else None


def action_page(action: RecoveryAction, *, today: datetime.date | None = None) -> ActionPage:
    """The story of one action from concern to outcome (a fixed number of queries)."""
    today = today or timezone.localdate()
    steps = list(action.steps.select_related("done_by", "owner", "not_needed_by").order_by("order", "pk"))
    risks = list(action.risks.order_by("order", "pk"))
    evidence = list(action.evidence.select_related("created_by").order_by("refers_to", "pk"))
    measures = list(
        OutcomeMeasure.objects.filter(action=action)
        .prefetch_related(Prefetch("points", queryset=DataPoint.objects.select_related("recorded_by")))
        .order_by("pk")
    )
    summaries = [summarise(m, list(m.points.all()), today=today) for m in measures]
    transitions = list(action.transitions.select_related("actor").order_by("at", "pk"))

    # The concern dates from when it was first measured or worked on, if that was before the
    # action was entered here (plans are often typed up after work began).
    created_on = timezone.localdate(action.created_at)
    baseline_on = min(
        [created_on, *([action.started_on] if action.started_on else []), *(m.baseline_date for m in measures)]
    )
    timeline = [
        TimelineEntry(
            when=baseline_on,
            at=action.created_at if baseline_on == created_on else None,
            kind="baseline",
            title="Concern recorded",
            detail=action.baseline_issue,
            who=str(action.created_by) if action.created_by_id else "",
        )
    ]
    for step in steps:
        if step.done_on:
            timeline.append(
                TimelineEntry(
                    when=step.done_on,
                    at=None,
                    kind="step",
                    title=f"Step {step.order} done",
                    detail=f"{step.who}: {step.what}"
                    + (f" (recorded in {step.recorded_where})" if step.recorded_where else ""),
                    who=str(step.done_by) if step.done_by_id else "",
                )
            )
    for item in evidence:
        timeline.append(
            TimelineEntry(
                when=item.refers_to,
                at=None,
                kind="evidence",
                title=item.title,
                detail=f"{item.get_source_type_display()} · {item.get_nature_display().lower()}"
                + (f" · {item.recorded_in}" if item.recorded_in else ""),
                extra={"item": item},
            )
        )
    for summary in summaries:
        for point in summary.points:
            timeline.append(
                TimelineEntry(
                    when=point.period_date,
                    at=None,
                    kind="point",
                    title=f"{summary.measure.name}: {point.value:g}{summary.measure.unit}",
                    detail=point.note or ("met the target" if summary.measure.meets_target(point.value) else ""),
                    who=str(point.recorded_by) if point.recorded_by_id else "",
                )
            )
    for t in transitions:
        timeline.append(
            TimelineEntry(
                when=timezone.localdate(t.at),
                at=t.at,
                kind="transition",
                title=_transition_title(t),
                detail=t.reason,
                who=str(t.actor),
                extra={"transition": t},
            )
        )
    timeline.extend(extra_entries(action))  # challenges and review decisions, from governance
    timeline.sort(key=lambda e: e.sort_key)
    checklist = evaluate(
        action,
        steps=steps,
        evidence=evidence,
        measures=[(s.measure, s.points) for s in summaries],
        transitions=transitions,
    )
    return ActionPage(action, steps, evidence, summaries, transitions, timeline, risks, checklist)
