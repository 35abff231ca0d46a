"""Writes for themes, leadership learning, actions and steps.

Keyword-only, typed, atomic, named <entity>_<verb>. Each checks the permission policy
unless the caller (another service that has already checked) says otherwise. Statuses of
actions change only in ``recovery/closure/services.py``; a theme's only in ``theme_move``.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from core.choices import Regulation
from core.models import Provider, Service
from evidence.models import EvidenceItem, SourceType
from recovery.models import (
    ActionStep,
    ActionTransition,
    FailureTheme,
    LeadershipLearning,
    RecoveryAction,
    ThemeTransition,
)
from recovery.plan.models import THEME_MOVES, ActionRisk, StepFrequency
from recovery.reviewing.services import cycle_days, layers_create_default

THEME_FIELDS = (
    "title",
    "weakness_found",
    "source",
    "source_reference",
    "source_date",
    "regulations",
    "enforcement",
    "risk_level",
    "owner",
)

ACTION_FIELDS = (
    "title",
    "baseline_issue",
    "intended_outcome",
    "measurable_target",
    "owner",
    "due_date",
    "risk_level",
    "evidence_required",
)

# The foreign keys of an action, whose existence validation checks with a query each.
RELATIONS = ("theme", "owner", "provider", "service", "created_by")

# Governance cycles a theme stays visible after its last action closes.
VISIBLE_CYCLES = 2


def _check_owner(owner, obj) -> None:
    if owner is not None and not policy.can(owner, policy.Verb.VIEW, obj):
        raise ValidationError({"owner": "The owner must be a member with access to this service."})


def _clean_regulations(codes) -> list[str]:
    codes = list(codes or [])
    unknown = [c for c in codes if c not in Regulation.values]
    if unknown:
        raise ValidationError({"regulations": f"Unknown regulation: {', '.join(unknown)}."})
    return [c for c in Regulation.values if c in codes]  # the regulations' own order


def _clean_evidence_required(kinds) -> list[str]:
    """Source types only (a JSON list): free text never lands in it, whoever calls."""
    kinds = list(kinds or [])
    unknown = [str(k)[:40] for k in kinds if k not in SourceType.values]
    if unknown:
        raise ValidationError({"evidence_required": f"Unknown source type: {', '.join(unknown[:5])}."})
    return list(dict.fromkeys(kinds))


# --- Themes -------------------------------------------------------------------------------


@transaction.atomic
def theme_create(
    *,
    actor,
    provider: Provider,
    service: Service | None = None,
    framework_items=(),
    check_permission: bool = True,
    **fields,
) -> FailureTheme:
    """A failure theme at one service, or provider-wide when ``service`` is None."""
    if service is not None and service.provider_id != provider.pk:
        raise ValidationError("The service does not belong to this provider.")
    theme = FailureTheme(provider=provider, service=service, created_by=actor)
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, service or provider)
    for name in THEME_FIELDS:
        if name in fields:
            setattr(theme, name, fields[name])
    theme.regulations = _clean_regulations(theme.regulations)
    _check_owner(theme.owner if theme.owner_id else None, service or provider)
    theme.full_clean()
    theme.save()
    layers_create_default(subject=theme)
    if framework_items:
        theme.framework_items.set(framework_items)
    events.changed(theme, reason="theme")
    return theme


@transaction.atomic
def theme_update(*, actor, theme: FailureTheme, framework_items=None, **fields) -> FailureTheme:
    """Edit a theme. A keep-visible override needs a reason; clearing it drops the reason."""
    policy.require(actor, policy.Verb.EDIT_PLAN, theme)
    for name in (*THEME_FIELDS, "keep_visible_override", "keep_visible_override_reason"):
        if name in fields:
            setattr(theme, name, fields[name])
    theme.regulations = _clean_regulations(theme.regulations)
    theme.keep_visible_override_reason = (theme.keep_visible_override_reason or "").strip()
    if theme.keep_visible_override and not theme.keep_visible_override_reason:
        raise ValidationError(
            {"keep_visible_override_reason": "Say why this theme should stay visible until a different date."}
        )
    if not theme.keep_visible_override:
        theme.keep_visible_override_reason = ""
    _check_owner(theme.owner, theme)
    theme.full_clean(exclude=["created_by"])
    theme.save()
    if framework_items is not None:
        theme.framework_items.set(framework_items)
    events.changed(theme, reason="theme")  # its review cadence or keep-visible date may have moved
    return theme


def theme_visibility_compute(theme: FailureTheme) -> datetime.date | None:
    """Two governance cycles (the first layer of the theme's review route) after its last action closed."""
    last = theme.actions.filter(status=RecoveryAction.Status.CLOSED).aggregate(last=Max("closed_at"))["last"]
    if last is None:
        return None
    closed_on = timezone.localdate(last)
    cycle = cycle_days(theme.review_layers.all(), subject_type="theme")
    return closed_on + datetime.timedelta(days=VISIBLE_CYCLES * cycle)


@transaction.atomic
def theme_recompute_visibility(*, theme: FailureTheme) -> FailureTheme:
    """Store the computed keep-visible-until date (an override, if any, still wins)."""
    theme.keep_visible_until = theme_visibility_compute(theme)
    FailureTheme.objects.filter(pk=theme.pk).update(keep_visible_until=theme.keep_visible_until)
    return theme


@transaction.atomic
def theme_move(
    *,
    actor,
    theme: FailureTheme,
    move: str,
    reason: str,
    at: datetime.datetime | None = None,
    check_permission: bool = True,
) -> FailureTheme:
    """Move a theme's status by a named transition (monitor, close, reopen): the only door.

    Checks the move is allowed from the status the theme is in now (the row is locked first,
    so two people cannot both move it), that a closing theme has no open action left (drafts
    count: they still owe the work), and that a reason is given. Saves the theme (auditlog
    records old -> new) and appends a ``ThemeTransition`` with who, when and why.
    """
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, theme)
    if move not in THEME_MOVES:
        raise ValidationError({"move": "Choose monitoring, close or reopen."})
    fresh = FailureTheme.objects.select_for_update().get(pk=theme.pk)
    sources, to = THEME_MOVES[move]
    if fresh.status not in sources:
        raise ValidationError(
            f"A theme that is {FailureTheme.Status(fresh.status).label.lower()} cannot be "
            f"moved to {FailureTheme.Status(to).label.lower()}.",
            code="not_allowed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the theme's status is changing."})
    if to == FailureTheme.Status.CLOSED:
        unfinished = fresh.actions.open().count()
        if unfinished:
            raise ValidationError(
                f"{unfinished} action(s) on this theme are not closed yet. Close or finish them first."
            )
    limits.check(ThemeTransition, reason=reason)
    at = at or timezone.now()
    previous = fresh.status
    fresh.status = to
    fresh.closed_at = timezone.localdate(at) if to == FailureTheme.Status.CLOSED else None
    fresh.save(update_fields=["status", "closed_at", "updated_at"])
    ThemeTransition.objects.create(
        theme=fresh, move=move, from_status=previous, to_status=to, actor=actor, at=at, reason=reason
    )
    theme_recompute_visibility(theme=fresh)
    theme.status, theme.closed_at, theme.keep_visible_until = fresh.status, fresh.closed_at, fresh.keep_visible_until
    events.changed(fresh, reason="status")
    return theme


# --- Leadership learning ------------------------------------------------------------------


def _check_evidence(items, obj) -> list[EvidenceItem]:
    items = list(items or [])
    for item in items:
        if item.provider_id != obj.provider_id or (
            item.service_id is not None and obj.service_id is not None and item.service_id != obj.service_id
        ):
            raise ValidationError({"evidence": f"“{item}” belongs to another service."})
        if item.is_removed:
            raise ValidationError({"evidence": f"“{item}” has been removed and cannot be linked."})
    return items


@transaction.atomic
def learning_add(
    *,
    actor,
    theme: FailureTheme,
    why_it_happened: str,
    governance_change: str,
    how_tested: str,
    factors=(),
    evidence=(),
) -> LeadershipLearning:
    policy.require(actor, policy.Verb.EDIT_PLAN, theme)
    factors = [f for f in LeadershipLearning.Factor.values if f in set(factors or [])]
    learning = LeadershipLearning(
        theme=theme,
        provider_id=theme.provider_id,
        service_id=theme.service_id,
        factors=factors,
        why_it_happened=why_it_happened.strip(),
        governance_change=governance_change.strip(),
        how_tested=how_tested.strip(),
        recorded_by=actor,
    )
    if not factors:
        raise ValidationError({"factors": "Choose at least one reason it happened."})
    learning.full_clean()
    learning.save()
    learning.evidence.set(_check_evidence(evidence, learning))
    return learning


@transaction.atomic
def learning_review(*, actor, learning: LeadershipLearning, note: str) -> LeadershipLearning:
    """The nominated individual reviews and dates the learning."""
    policy.require(actor, policy.Verb.REVIEW_LEARNING, learning)
    if not (note or "").strip():
        raise ValidationError({"note": "Say what you checked and whether the learning holds."})
    limits.check(LeadershipLearning, review_note=note.strip(), report_as={"review_note": "note"})
    learning.reviewed_by, learning.reviewed_at, learning.review_note = actor, timezone.now(), note.strip()
    learning.save(update_fields=["reviewed_by", "reviewed_at", "review_note", "updated_at"])
    return learning


# --- Actions ------------------------------------------------------------------------------


@transaction.atomic
def action_create(
    *,
    actor,
    theme: FailureTheme,
    service=None,
    check_permission: bool = True,
    relations_loaded: bool = False,
    **fields,
) -> RecoveryAction:
    """Create a draft action on a theme. It can start only once it has an intended outcome.

    ``relations_loaded``: the caller passes theme, owner and service as rows it has just read
    (the plan import, writing hundreds of rows), so validation skips one SELECT per foreign key.
    """
    service = service if service is not None else theme.service
    if service is not None and service.provider_id != theme.provider_id:
        raise ValidationError("The service does not belong to the theme's provider.")
    action = RecoveryAction(theme=theme, provider_id=theme.provider_id, service=service, created_by=actor)
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, action)
    for name in ACTION_FIELDS:
        if name in fields:
            setattr(action, name, fields[name])
    action.evidence_required = _clean_evidence_required(action.evidence_required)
    _check_owner(action.owner if action.owner_id else None, action)
    action.full_clean(exclude=RELATIONS if relations_loaded else None)
    action.save()
    layers_create_default(subject=action)
    events.changed(action, reason="action")  # a draft's due date runs too
    return action


PROPOSAL_LOCK = (
    "A closure proposal is waiting for a decision: the plan, its measures and its evidence are locked "
    "until the proposal is approved or refused."
)


def check_not_awaiting_decision(action: RecoveryAction) -> None:
    """What a closure decision rests on (risk, plan, measures, evidence) cannot change under it."""
    if action.status == RecoveryAction.Status.CLOSURE_PROPOSED:
        raise ValidationError(PROPOSAL_LOCK, code="awaiting_decision")


@transaction.atomic
def action_update(*, actor, action: RecoveryAction, risk_reason: str = "", **fields) -> RecoveryAction:
    """Edit the plan of an action. Once work has started the intended outcome cannot be emptied.

    Locked while a closure proposal waits for its decision. Once the action is open, a change of
    risk level needs ``risk_reason`` and is recorded as an ``ActionTransition`` (status unchanged,
    ``snapshot["risk"]``), so the decider sees it beside the proposal and the scan can find a
    closure whose risk was lowered without the nominated individual.
    """
    policy.require(actor, policy.Verb.EDIT_PLAN, action)
    action = RecoveryAction.objects.select_for_update().get(pk=action.pk)
    if action.status == RecoveryAction.Status.CLOSED:
        raise ValidationError("A closed action cannot be edited. Reopen it first, with a reason.")
    check_not_awaiting_decision(action)
    old_risk = action.risk_level
    old_required = sorted(action.evidence_required)
    for name in ACTION_FIELDS:
        if name in fields:
            setattr(action, name, fields[name])
    if action.started_on and not (action.intended_outcome or "").strip():
        raise ValidationError({"intended_outcome": "Work has started: the intended outcome cannot be removed."})
    risk_changed = action.risk_level != old_risk and action.status != RecoveryAction.Status.DRAFT
    if risk_changed and not (risk_reason or "").strip():
        raise ValidationError({"risk_reason": "Say why the risk level is changing: the change is recorded."})
    action.evidence_required = _clean_evidence_required(action.evidence_required)
    if action.started_on and sorted(action.evidence_required) != old_required:
        raise ValidationError(
            {
                "evidence_required": "Work has started: the evidence required is a closure condition now. "
                "Change it on the closure conditions page, with a reason."
            }
        )
    _check_owner(action.owner, action)
    if risk_changed:
        limits.check(ActionTransition, reason=risk_reason.strip(), report_as={"reason": "risk_reason"})
    action.full_clean(exclude=["created_by"])
    action.save()
    if risk_changed:
        ActionTransition.objects.create(
            action=action,
            from_status=action.status,
            to_status=action.status,
            actor=actor,
            reason=risk_reason.strip(),
            snapshot={"risk": {"from": old_risk, "to": action.risk_level}},
        )
    events.changed(action, reason="action")  # its due date, review cadence or risk may have moved
    return action


@transaction.atomic
def action_reassign(*, actor, action: RecoveryAction, owner) -> RecoveryAction:
    policy.require(actor, policy.Verb.EDIT_PLAN, action)
    if owner is None:
        raise ValidationError({"owner": "Choose the new owner."})
    if owner.pk == action.owner_id:
        raise ValidationError({"owner": f"{owner} already owns this action."})
    _check_owner(owner, action)
    action.owner = owner
    action.save(update_fields=["owner", "updated_at"])
    return action


def _evidence_fits(item: EvidenceItem, action: RecoveryAction) -> bool:
    return item.provider_id == action.provider_id and (item.service_id in (None, action.service_id))


@transaction.atomic
def action_evidence_link(*, actor, action: RecoveryAction, item: EvidenceItem) -> None:
    """Link a current evidence item of the action's service (or provider-wide) to the action."""
    policy.require(actor, policy.Verb.ADD_EVIDENCE, action)
    if not _evidence_fits(item, action):
        raise ValidationError({"evidence": "That evidence belongs to another service."})
    if item.is_removed:
        raise ValidationError({"evidence": "That evidence has been removed and cannot be linked."})
    action.evidence.add(item)
    events.changed(action, reason="evidence")


@transaction.atomic
def action_evidence_unlink(*, actor, action: RecoveryAction, item: EvidenceItem) -> None:
    policy.require(actor, policy.Verb.ADD_EVIDENCE, action)
    if action.status == RecoveryAction.Status.CLOSURE_PROPOSED:
        raise ValidationError({"evidence": "Closure has been proposed on this evidence: it stays until the decision."})
    action.evidence.remove(item)
    events.changed(action, reason="evidence")


# --- Steps --------------------------------------------------------------------------------


@transaction.atomic
def step_add(
    *,
    actor,
    action: RecoveryAction,
    what: str,
    role: str = "",
    owner=None,
    frequency: str = "",
    recorded_where: str = "",
    check_permission: bool = True,
) -> ActionStep:
    """Add a step: a named owner (a person at the service) or a role, what they do, how often, where recorded."""
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, action)
    role = (role or "").strip()
    if owner is None and not role:
        raise ValidationError({"role": "Name who does this step: a person, or a role at the service."})
    if owner is not None:
        _check_owner(owner, action)
    if frequency and frequency not in StepFrequency.values:
        raise ValidationError({"frequency": "Choose how often the step is done."})
    last = action.steps.order_by("-order").values_list("order", flat=True).first() or 0
    step = ActionStep(
        action=action,
        order=last + 1,
        role=role,
        owner=owner,
        what=what,
        frequency=frequency or "",
        recorded_where=recorded_where,
    )
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def step_mark_not_needed(*, actor, step: ActionStep, reason: str) -> ActionStep:
    """A step that turned out not to be needed: settled for the closure condition, with the reason shown."""
    policy.require(actor, policy.Verb.EDIT_PLAN, step.action)
    check_not_awaiting_decision(step.action)
    if step.action.status == RecoveryAction.Status.CLOSED:
        raise ValidationError("The action is closed: its steps cannot change.")
    if step.done_on is not None:
        raise ValidationError({"reason": "This step is already done."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this step is not needed: the decider will see it."})
    limits.check(ActionStep, not_needed_reason=reason, report_as={"not_needed_reason": "reason"})
    step.not_needed_reason, step.not_needed_by, step.not_needed_on = reason, actor, timezone.localdate()
    step.save()
    return step


# --- Risks --------------------------------------------------------------------------------


@transaction.atomic
def risk_add(
    *,
    actor,
    action: RecoveryAction,
    what_could_go_wrong: str,
    early_warning: str,
    who_acts: str,
    how_they_act: str,
    check_permission: bool = True,
) -> ActionRisk:
    """Record what could go wrong with an action, its early-warning signs, and who acts and how."""
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, action)
    if action.status == RecoveryAction.Status.CLOSED:
        raise ValidationError("The action is closed: reopen it to change its risks.")
    last = action.risks.order_by("-order").values_list("order", flat=True).first() or 0
    risk = ActionRisk(
        action=action,
        order=last + 1,
        what_could_go_wrong=(what_could_go_wrong or "").strip(),
        early_warning=(early_warning or "").strip(),
        who_acts=(who_acts or "").strip(),
        how_they_act=(how_they_act or "").strip(),
        created_by=actor,
    )
    risk.full_clean(exclude=["created_by"])
    risk.save()
    return risk


@transaction.atomic
def step_complete(*, actor, step: ActionStep, done_on: datetime.date) -> ActionStep:
    policy.require(actor, policy.Verb.RECORD_DATA, step.action)
    if done_on is None:
        raise ValidationError({"done_on": "Enter the date the step was done."})
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "A step cannot be done on a future date."})
    step.done_by, step.done_on = actor, done_on
    step.save()
    return step
