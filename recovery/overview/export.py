"""Reads for the action-plan export: the recovery map's themes and actions, whole, as rows.

A selector module. ``action_plan`` loads what the map shows for the same user, scope and
filters (``selectors.plan_scope``), every theme rather than a page of them, with each
action's steps, measures (their stored summary: latest value and state, no SPC at request
time), current evidence and closure decisions, in a fixed number of queries whatever the
plan's size. ``plan_tables`` turns it into the workbook's sheets (the first, one row per
action, is also the CSV); ``recovery.overview.document`` lays it out for Word.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from core import permissions as policy
from core.exports import Column, Table
from core.models import FrameworkItem, Provider, Service
from evidence.models import EvidenceItem, Nature
from recovery.measures.charts import fmt_value
from recovery.models import ActionStep, ActionTransition, FailureTheme, OutcomeMeasure, RecoveryAction
from recovery.overview.selectors import plan_scope, theme_order
from recovery.reviewing.selectors import current_layers, last_reviewed, layers_prefetch, next_due, route_label

S = RecoveryAction.Status
# The transitions a commissioner reads as the closure story: proposals, decisions, reopenings.
CLOSURE_STATUSES = (S.CLOSURE_PROPOSED, S.CLOSED, S.REFUSED, S.REOPENED)
DECISION_STATUSES = (S.CLOSED, S.REFUSED, S.REOPENED)
DEADLINE_LABELS = {RecoveryAction.OVERDUE: "Overdue", RecoveryAction.DUE_SOON: "Due soon"}
CLOSURE_EVENT_LABELS = {
    S.CLOSURE_PROPOSED: "Closure proposed",
    S.CLOSED: "Closure approved",
    S.REFUSED: "Closure refused",
    S.REOPENED: "Reopened",
}


@dataclass
class ActionPlan:
    provider: Provider
    service: Service | None
    today: datetime.date
    themes: list[FailureTheme]  # each with ``plan_actions``, themselves with steps, measures, closure events
    filters: dict[str, str] = field(default_factory=dict)  # label -> chosen value, for the document

    @property
    def where(self) -> str:
        return self.service.name if self.service else self.provider.name

    @property
    def actions(self) -> list[RecoveryAction]:
        return [a for t in self.themes for a in t.plan_actions]


def _actions(user, actions):
    return (
        policy.objects_for(user, actions, policy.Verb.VIEW)
        .select_related("owner", "service", "proposed_by", "closed_by")
        .prefetch_related(
            Prefetch("steps", queryset=ActionStep.objects.select_related("done_by", "owner").order_by("order", "pk")),
            Prefetch("measures", queryset=OutcomeMeasure.objects.order_by("name", "pk")),
            Prefetch(
                "transitions",
                queryset=ActionTransition.objects.filter(to_status__in=CLOSURE_STATUSES)
                .select_related("actor")
                .defer("snapshot")
                .order_by("at", "pk"),
                to_attr="closure_events",
            ),
            Prefetch(
                "evidence", queryset=EvidenceItem.objects.current().only("id", "nature"), to_attr="current_evidence"
            ),
            layers_prefetch(),
        )
        .order_by("due_date", "pk")
    )


def action_plan(
    user,
    *,
    provider: Provider,
    service: Service | None = None,
    key_question: str = "",
    risk: str = "",
    status: str = "",
    today: datetime.date | None = None,
    filters: dict[str, str] | None = None,
) -> ActionPlan:
    """The whole plan the user sees on the recovery map with these filters (nine queries)."""
    themes, actions, _visible = plan_scope(
        user, provider=provider, service=service, key_question=key_question, risk=risk, status=status
    )
    loaded = list(
        themes.select_related("owner", "service")
        .prefetch_related(
            Prefetch("actions", queryset=_actions(user, actions), to_attr="plan_actions"),
            Prefetch("framework_items", queryset=FrameworkItem.objects.select_related("key_question")),
            layers_prefetch(),
        )
        .order_by(*theme_order())
    )
    return ActionPlan(
        provider=provider, service=service, today=today or timezone.localdate(), themes=loaded, filters=filters or {}
    )


# --- facts about one loaded row, shared by the sheets and the document -----------------------


def key_questions(theme: FailureTheme) -> list[str]:
    seen: dict[str, str] = {}
    for item in theme.framework_items.all():
        seen.setdefault(item.key_question.code, item.key_question.name)
    return list(seen.values())


def deadline_label(action: RecoveryAction, today: datetime.date) -> str:
    return DEADLINE_LABELS.get(action.deadline(today) or "", "")


def evidence_counts(action: RecoveryAction) -> tuple[int, int]:
    """(impact, activity) among the action's current evidence."""
    impact = sum(1 for e in action.current_evidence if e.nature == Nature.IMPACT)
    return impact, len(action.current_evidence) - impact


def latest_decision(action: RecoveryAction) -> ActionTransition | None:
    decisions = [t for t in action.closure_events if t.to_status in DECISION_STATUSES]
    return decisions[-1] if decisions else None


def day(value: datetime.date | datetime.datetime) -> str:
    """ "3 Feb 2026" (local date for a datetime)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return f"{value.day} {value:%b %Y}"


def closure_state(action: RecoveryAction) -> str:
    """Where the action stands on the way to closure, in words."""
    if action.status == S.CLOSED and action.closed_at:
        by = f" by {action.closed_by}" if action.closed_by else ""
        return f"Closed on {day(action.closed_at)}{by}"
    if action.status == S.CLOSURE_PROPOSED and action.proposed_at:
        by = f" by {action.proposed_by}" if action.proposed_by else ""
        return f"Closure proposed on {day(action.proposed_at)}{by}, awaiting a decision"
    return action.get_status_display()


def measure_latest_text(measure: OutcomeMeasure) -> str:
    return fmt_value(measure.summary_latest_value, measure.unit)


def measures_text(action: RecoveryAction) -> str:
    return "; ".join(
        f"{m.name}: {measure_latest_text(m)} ({OutcomeMeasure.State(m.summary_state).label})"
        for m in action.measures.all()
    )


def step_done_text(step: ActionStep) -> str:
    if not step.done_on:
        return ""
    return f"Done {day(step.done_on)}" + (f" by {step.done_by}" if step.done_by else "")


# --- the sheets ----------------------------------------------------------------------------

ACTION_COLUMNS = (
    Column("Ref", 8),
    Column("Theme", 30, wrap=True),
    Column("Service", 18),
    Column("Action", 40, wrap=True),
    Column("Baseline issue", 40, wrap=True),
    Column("Intended outcome", 40, wrap=True),
    Column("Measurable target", 30, wrap=True),
    Column("Owner", 20),
    Column("Due", 12),
    Column("Deadline", 10),
    Column("Risk", 8),
    Column("Status", 16),
    Column("Started", 12),
    Column("Last reviewed", 12),
    Column("Next review", 12),
    Column("Review route", 30, wrap=True),
    Column("Steps", 7),
    Column("Steps done", 7),
    Column("Measures (latest value, state)", 45, wrap=True),
    Column("Impact evidence", 9),
    Column("Activity evidence", 9),
    Column("Closure state", 36, wrap=True),
    Column("Closure note", 36, wrap=True),
    Column("Closure justification", 36, wrap=True),
    Column("Last decision", 16),
    Column("Decided on", 16),
    Column("Decided by", 20),
    Column("Decision reason", 40, wrap=True),
    Column("Further checks", 30, wrap=True),
)


def actions_table(plan: ActionPlan) -> Table:
    """One row per action (the CSV, and the workbook's first sheet)."""

    def rows():
        for theme in plan.themes:
            for a in theme.plan_actions:
                steps = list(a.steps.all())
                impact, activity = evidence_counts(a)
                decision = latest_decision(a)
                yield (
                    a.reference,
                    theme.title,
                    a.service.name if a.service else "Provider-wide",
                    a.title,
                    a.baseline_issue,
                    a.intended_outcome,
                    a.measurable_target,
                    str(a.owner),
                    a.due_date,
                    deadline_label(a, plan.today),
                    a.get_risk_level_display(),
                    a.get_status_display(),
                    a.started_on,
                    last_reviewed(current_layers(a)),
                    next_due(current_layers(a)),
                    route_label(current_layers(a)),
                    len(steps),
                    sum(1 for s in steps if s.done_on),
                    measures_text(a),
                    impact,
                    activity,
                    closure_state(a),
                    a.closure_note,
                    a.closure_justification,
                    CLOSURE_EVENT_LABELS[decision.to_status] if decision else "",
                    decision.at if decision else None,
                    str(decision.actor) if decision else "",
                    decision.reason if decision else "",
                    decision.further_checks if decision else "",
                )

    return Table("Actions", ACTION_COLUMNS, rows())


THEME_COLUMNS = (
    Column("Theme", 36, wrap=True),
    Column("Service", 18),
    Column("What was found", 50, wrap=True),
    Column("Source", 22),
    Column("Source reference", 24),
    Column("Source date", 12),
    Column("Key questions", 24),
    Column("Regulations", 36, wrap=True),
    Column("Enforcement", 18),
    Column("Risk", 8),
    Column("Status", 12),
    Column("Owner", 20),
    Column("Leadership learning", 10),
    Column("Actions", 8),
    Column("Actions closed", 8),
    Column("Last reviewed", 12),
)


def themes_table(plan: ActionPlan) -> Table:
    def rows():
        for t in plan.themes:
            yield (
                t.title,
                t.service.name if t.service else "Provider-wide",
                t.weakness_found,
                t.get_source_display(),
                t.source_reference,
                t.source_date,
                ", ".join(key_questions(t)),
                "; ".join(t.regulation_labels()),
                t.get_enforcement_display() if t.enforcement else "",
                t.get_risk_level_display(),
                t.get_status_display(),
                str(t.owner),
                t.has_learning,
                len(t.plan_actions),
                sum(1 for a in t.plan_actions if a.status == S.CLOSED),
                last_reviewed(current_layers(t)),
            )

    return Table("Themes", THEME_COLUMNS, rows())


STEP_COLUMNS = (
    Column("Ref", 8),
    Column("Action", 36, wrap=True),
    Column("Step", 6),
    Column("Who (role)", 24),
    Column("What is done", 50, wrap=True),
    Column("Where it is recorded", 28),
    Column("Done on", 12),
    Column("Done by", 20),
    Column("Named owner", 20),
    Column("How often", 12),
    Column("Not needed because", 36, wrap=True),
)


def steps_table(plan: ActionPlan) -> Table:
    def rows():
        for a in plan.actions:
            for s in a.steps.all():
                yield (
                    a.reference,
                    a.title,
                    s.order,
                    s.role,
                    s.what,
                    s.recorded_where,
                    s.done_on,
                    s.done_by and str(s.done_by),
                    s.owner and str(s.owner),
                    s.get_frequency_display(),
                    s.not_needed_reason,
                )

    return Table("Steps", STEP_COLUMNS, rows())


MEASURE_COLUMNS = (
    Column("Ref", 8),
    Column("Action", 36, wrap=True),
    Column("Measure", 36, wrap=True),
    Column("Unit", 10),
    Column("Better when", 10),
    Column("Cadence", 12),
    Column("Baseline", 10, "#,##0.##"),
    Column("Baseline date", 12),
    Column("Target", 10, "#,##0.##"),
    Column("Target date", 12),
    Column("Latest value", 10, "#,##0.##"),
    Column("Latest period", 12),
    Column("Data points", 8),
    Column("State", 12),
)


def measures_table(plan: ActionPlan) -> Table:
    def rows():
        for a in plan.actions:
            for m in a.measures.all():
                yield (
                    a.reference,
                    a.title,
                    m.name,
                    m.unit,
                    m.get_direction_display(),
                    m.get_cadence_display(),
                    m.baseline_value,
                    m.baseline_date,
                    m.target_value,
                    m.target_date,
                    m.summary_latest_value,
                    m.summary_latest_date,
                    m.summary_point_count,
                    OutcomeMeasure.State(m.summary_state).label,
                )

    return Table("Measures", MEASURE_COLUMNS, rows())


DECISION_COLUMNS = (
    Column("Ref", 8),
    Column("Action", 36, wrap=True),
    Column("When", 16),
    Column("What", 18),
    Column("By", 20),
    Column("Reason or rationale", 50, wrap=True),
    Column("Further checks", 36, wrap=True),
)


def decisions_table(plan: ActionPlan) -> Table:
    def rows():
        for a in plan.actions:
            for t in a.closure_events:
                yield (
                    a.reference,
                    a.title,
                    t.at,
                    CLOSURE_EVENT_LABELS[t.to_status],
                    str(t.actor),
                    t.reason,
                    t.further_checks,
                )

    return Table("Closure decisions", DECISION_COLUMNS, rows())


def plan_tables(plan: ActionPlan) -> list[Table]:
    return [actions_table(plan), themes_table(plan), steps_table(plan), measures_table(plan), decisions_table(plan)]
