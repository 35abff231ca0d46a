"""The closure workflow: one door per transition of a recovery action.

    draft -> open -> in progress -> closure proposed -> closed
                         ^               |
                         |               v
                         +---------- refused           closed -> reopened -> in progress

Each function checks the permission policy and the rule for its transition, then moves
the action with a conditional UPDATE on the status it expects (after locking the row), so
two people deciding at once cannot both succeed. Every move appends an ``ActionTransition``
with who, when, why and a snapshot of the evidence and measures in front of them, and an
audit-trail entry for the action (the UPDATE bypasses ``save()``, so it is written here).

Closure proposals are decided in one place, ``action_decide_closure``, whatever the screen
(the action page, the closure-review screen, a review meeting); ``closure_decision_problems``
states what a decision needs and the one form, ``ClosureDecisionForm``, asks it.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from core.audit import log_update
from evidence.models import Nature, SourceType
from recovery.closure.conditions import closure_checklist, effective_conditions
from recovery.measures.measuring import summarise
from recovery.models import ActionTransition, FailureTheme, RecoveryAction
from recovery.plan.models import ThemeMove
from recovery.plan.services import theme_move, theme_recompute_visibility
from recovery.reviewing.services import layers_start

S = RecoveryAction.Status


class StaleAction(ValidationError):
    """Someone else moved the action since this person loaded it."""

    def __init__(self, action: RecoveryAction, current: str):
        super().__init__(
            f"Someone else has just changed this action (it is now {S(current).label.lower()}). "
            "Reload the page to see what was decided.",
            code="stale",
        )


def action_snapshot(action: RecoveryAction) -> dict:
    """The evidence, measures and steps of an action as they stand now (JSON-safe)."""
    evidence = [
        {
            "id": item.pk,
            "title": item.title,
            "refers_to": item.refers_to.isoformat(),
            "source_type": item.source_type,
            "nature": item.nature,
            "removed": item.is_removed,
        }
        for item in action.evidence.order_by("refers_to", "pk")
    ]
    measures = []
    for measure in action.measures.prefetch_related("points").order_by("pk"):
        summary = summarise(measure, list(measure.points.all()))
        latest = summary.latest
        measures.append(
            {
                "id": measure.pk,
                "name": measure.name,
                "state": summary.state,
                "state_label": summary.state_label,
                "met": summary.met,
                "latest": latest.value if latest else None,
                "latest_date": latest.period_date.isoformat() if latest else None,
                "target": measure.target_value,
                "unit": measure.unit,
                "variation": summary.spc.variation,
                "points": len(summary.points),
            }
        )
    steps = list(action.steps.values_list("done_on", flat=True))
    return {
        "evidence": evidence,
        "measures": measures,
        "steps": {"total": len(steps), "done": sum(1 for d in steps if d is not None)},
        "risk_level": action.risk_level,
        "owner": str(action.owner),
        "closure_note": action.closure_note,
        "closure_justification": action.closure_justification,
    }


def _lock(action: RecoveryAction) -> RecoveryAction:
    """The action's row, locked; refuse if it moved since ``action`` was loaded."""
    fresh = RecoveryAction.objects.select_for_update().select_related("theme", "owner").get(pk=action.pk)
    if fresh.status != action.status:
        raise StaleAction(action, fresh.status)
    return fresh


def _check_allowed(action: RecoveryAction, to: str) -> None:
    if not action.can_move_to(to):
        raise ValidationError(
            f"An action that is {S(action.status).label.lower()} cannot move to {S(to).label.lower()}.",
            code="not_allowed",
        )


def _move(
    *,
    actor,
    action: RecoveryAction,
    to: str,
    at: datetime.datetime,
    reason: str = "",
    further_checks: str = "",
    updates: dict | None = None,
    extra_snapshot: dict | None = None,
) -> ActionTransition:
    """The one door: conditional UPDATE on the expected status, then the permanent record."""
    expected = action.status
    _check_allowed(action, to)
    updates = dict(updates or {})
    limits.check(ActionTransition, reason=reason, further_checks=further_checks)
    limits.check(RecoveryAction, **{k: v for k, v in updates.items() if isinstance(v, str)})
    changed = RecoveryAction.objects.filter(pk=action.pk, status=expected).update(
        status=to, updated_at=timezone.now(), **updates
    )
    if changed != 1:
        current = RecoveryAction.objects.filter(pk=action.pk).values_list("status", flat=True).first()
        raise StaleAction(action, current or expected)
    # The conditional UPDATE bypasses save(), so auditlog never saw it: record it explicitly.
    log_update(
        action,
        {"status": (expected, to), **{name: (getattr(action, name), value) for name, value in updates.items()}},
        actor=actor,
    )
    action.status = to
    for name, value in updates.items():
        setattr(action, name, value)
    # Every status move (open, start, propose, decide, reopen) may raise or resolve a flag.
    events.changed(action, reason="status")
    return ActionTransition.objects.create(
        action=action,
        from_status=expected,
        to_status=to,
        actor=actor,
        at=at,
        reason=reason,
        further_checks=further_checks,
        snapshot={**action_snapshot(action), **(extra_snapshot or {})},
    )


def _back_in_progress(actor, action: RecoveryAction, via: str, at: datetime.datetime, why_back: str, **move) -> None:
    """Two recorded moves at once: to ``via`` (refused, reopened), then straight on to in progress."""
    _move(actor=actor, action=action, to=via, at=at, **move)
    _move(actor=actor, action=action, to=S.IN_PROGRESS, at=at, reason=why_back)


def _sync(target: RecoveryAction, source: RecoveryAction) -> RecoveryAction:
    """Copy the saved state back onto the caller's object."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


@transaction.atomic
def action_open(*, actor, action: RecoveryAction, at: datetime.datetime | None = None) -> RecoveryAction:
    """Draft -> open: the action is agreed and visible on the plan."""
    fresh = _lock(action)
    policy.require(actor, policy.Verb.EDIT_PLAN, fresh)
    _move(actor=actor, action=fresh, to=S.OPEN, at=at or timezone.now(), reason="Action agreed and opened.")
    return _sync(action, fresh)


@transaction.atomic
def action_start(*, actor, action: RecoveryAction, at: datetime.datetime | None = None) -> RecoveryAction:
    """Open -> in progress. The intended outcome must be written down before work starts."""
    fresh = _lock(action)
    policy.require(actor, policy.Verb.EDIT_PLAN, fresh)
    if fresh.status != S.OPEN:  # refused/reopened actions go back in progress by themselves
        raise ValidationError(
            f"An action that is {S(fresh.status).label.lower()} cannot be started.", code="not_allowed"
        )
    if not fresh.intended_outcome.strip():
        raise ValidationError(
            {"intended_outcome": "Write the intended outcome (what will be different for people) before work starts."}
        )
    at = at or timezone.now()
    _move(
        actor=actor,
        action=fresh,
        to=S.IN_PROGRESS,
        at=at,
        reason="Work started.",
        updates={
            "started_on": fresh.started_on or timezone.localdate(at),
            "closure_conditions": _frozen_conditions(fresh),
        },
    )
    layers_start(action=fresh)  # reviews are owed from the day work started
    return _sync(action, fresh)


def _frozen_conditions(action: RecoveryAction) -> dict:
    """The conditions as they stand when work starts, written down so later edits show."""
    wanted = effective_conditions(action, list(action.measures.all()))
    return {"steps": wanted["steps"], "periods": sorted([pk, n] for pk, n in wanted["periods"].items())}


@transaction.atomic
def action_set_closure_conditions(
    *,
    actor,
    action: RecoveryAction,
    steps: bool,
    periods: dict[int, int],
    evidence_required: list[str],
    reason: str = "",
) -> RecoveryAction:
    """Change an action's closure conditions. Free before work starts; after that the change needs
    a reason and is recorded (an ``ActionTransition`` with ``snapshot["conditions"]``, status
    unchanged) that the decider sees. Locked while a proposal waits and once closed."""
    fresh = _lock(action)
    policy.require(actor, policy.Verb.EDIT_PLAN, fresh)
    if fresh.status in (S.CLOSURE_PROPOSED, S.CLOSED):
        raise ValidationError(
            "The closure conditions cannot change while a proposal waits for its decision or once the action "
            "is closed.",
            code="locked",
        )
    measures = list(fresh.measures.all())
    before = effective_conditions(fresh, measures)
    known = {m.pk for m in measures}
    clean_periods = {}
    for pk, n in (periods or {}).items():
        if int(pk) not in known:
            continue
        if n is None or int(n) < 1 or int(n) > 52:
            raise ValidationError({f"periods_{pk}": "Enter a number of periods from 1 to 52."})
        clean_periods[int(pk)] = int(n)
    kinds = [k for k in (evidence_required or []) if k in SourceType.values]
    periods_after = {**before["periods"], **clean_periods}
    stored = {"steps": bool(steps), "periods": sorted([pk, n] for pk, n in periods_after.items())}
    after_required = kinds
    changed = (
        stored["steps"] != before["steps"]
        or periods_after != before["periods"]
        or sorted(after_required) != sorted(before["evidence"])
    )
    if not changed:
        raise ValidationError("Nothing was changed.", code="unchanged")
    started = fresh.started_on is not None
    reason = (reason or "").strip()
    if started and not reason:
        raise ValidationError(
            {"reason": "Work has started: say why the closure conditions are changing (the decider will see it)."}
        )
    limits.check(ActionTransition, reason=reason)
    fresh.closure_conditions = stored
    fresh.evidence_required = after_required
    fresh.save(update_fields=["closure_conditions", "evidence_required", "updated_at"])
    if started:
        after = effective_conditions(fresh, measures)
        ActionTransition.objects.create(
            action=fresh,
            from_status=fresh.status,
            to_status=fresh.status,
            actor=actor,
            reason=reason,
            snapshot={"conditions": {"from": _jsonable(before), "to": _jsonable(after)}},
        )
    return _sync(action, fresh)


def _jsonable(conditions: dict) -> dict:
    return {**conditions, "periods": {str(k): v for k, v in conditions["periods"].items()}}


def closure_problems(action: RecoveryAction, *, justification: str = "", checklist=None) -> dict[str, str]:
    """Why this action cannot be proposed for closure yet (empty when it can).

    Impact evidence dated since work started is always needed. Any closure condition still
    unmet (``recovery.closure.conditions``) needs a written justification, which the decider
    sees beside the conditions it explains.
    """
    problems: dict[str, str] = {}
    started = action.started_on
    evidence = list(action.evidence.all())
    impact = [e for e in evidence if e.nature == Nature.IMPACT and not e.is_removed]
    dated = [e for e in impact if started is None or e.refers_to >= started]
    if not impact:
        activity = [e for e in evidence if not e.is_removed]
        problems["evidence"] = (
            "Link at least one piece of impact evidence (audit, observation, feedback, records). "
            + (
                "The linked evidence only shows activity, such as training or updated documents."
                if activity
                else "No evidence is linked yet."
            )
        )
    elif not dated:
        problems["evidence"] = (
            f"The impact evidence linked is dated before the action started ({started:%-d %b %Y}). "
            "Link evidence of what changed since then."
        )
    if not justification.strip():
        checklist = checklist or closure_checklist(action)
        unmet = checklist.unmet
        if unmet:
            problems["justification"] = (
                f"{len(unmet)} closure condition{'s are' if len(unmet) != 1 else ' is'} not met: "
                f"{checklist.unmet_text()}. Either wait until they are met or explain why the action should "
                "close anyway: the decider sees your explanation beside each unmet condition."
            )
    return problems


@transaction.atomic
def action_propose_closure(
    *,
    actor,
    action: RecoveryAction,
    note: str,
    justification: str = "",
    at: datetime.datetime | None = None,
) -> RecoveryAction:
    """In progress -> closure proposed, with a note, impact evidence and measures met (or justified)."""
    fresh = _lock(action)
    policy.require(actor, policy.Verb.PROPOSE_CLOSURE, fresh)
    _check_allowed(fresh, S.CLOSURE_PROPOSED)
    problems = {}
    if not (note or "").strip():
        problems["note"] = "Say what changed for people and how you know."
    checklist = closure_checklist(fresh)
    problems.update(closure_problems(fresh, justification=justification or "", checklist=checklist))
    if problems:
        raise ValidationError(problems)
    at = at or timezone.now()
    _move(
        actor=actor,
        action=fresh,
        to=S.CLOSURE_PROPOSED,
        at=at,
        reason=note.strip(),
        extra_snapshot={"checklist": checklist.as_json()},
        updates={
            "closure_note": note.strip(),
            "closure_justification": (justification or "").strip(),
            "proposed_by": actor,
            "proposed_at": at,
        },
    )
    return _sync(action, fresh)


def decide_verb(action: RecoveryAction) -> policy.Verb:
    return policy.Verb.DECIDE_HIGH_RISK_CLOSURE if action.is_high_risk else policy.Verb.DECIDE_CLOSURE


def can_decide(user, action: RecoveryAction) -> bool:
    """May ``user`` approve or refuse this proposal (their role, the risk, and not their own)?"""
    return (
        action.status == S.CLOSURE_PROPOSED
        and action.proposed_by_id != user.pk
        and policy.can(user, decide_verb(action), action)
    )


def check_decider(actor, action: RecoveryAction) -> None:
    """Refuse (PermissionDenied, with the reason) anyone who may not decide this proposal."""
    if not policy.can(actor, decide_verb(action), action):
        if action.is_high_risk and policy.can(actor, policy.Verb.DECIDE_CLOSURE, action):
            raise PermissionDenied("This is a high-risk action: only the nominated individual can decide its closure.")
        raise PermissionDenied("Your role does not allow closure decisions here.")
    if action.proposed_by_id == actor.pk:
        raise PermissionDenied("You proposed this closure, so someone else must decide it.")


APPROVE, REFUSE = "approve", "refuse"
DECISIONS = {APPROVE: "Approve closure", REFUSE: "Refuse closure"}


def closure_decision_problems(*, decision: str, rationale: str, further_checks: str = "") -> dict[str, str]:
    """What a closure decision as typed still lacks, field -> message (empty when complete).

    The one statement of the rule: ``action_decide_closure`` enforces it and
    ``ClosureDecisionForm.clean`` asks it, so every screen says the same thing.
    """
    problems: dict[str, str] = {}
    rationale, further_checks = (rationale or "").strip(), (further_checks or "").strip()
    if decision == APPROVE:
        if not rationale:
            problems["rationale"] = "Say why the evidence is enough to close this action."
    elif decision == REFUSE:
        if not rationale:
            problems["rationale"] = "Say why the evidence is not enough yet."
        if not further_checks:
            problems["further_checks"] = "Name the further checks needed before closure can be proposed again."
    else:
        problems["decision"] = "Choose approve or refuse."
    return problems


def _decided_in(action: RecoveryAction, review_item) -> dict:
    """Where the decision was taken when it was a review meeting's (a governance agenda item).

    Duck-typed: recovery does not import governance. The item must be about this action.
    """
    if review_item is None:
        return {}
    if getattr(review_item, "subject_type", None) != "action" or review_item.subject_id != action.pk:
        raise ValidationError("That agenda item is about something else, not this action.", code="wrong_item")
    review = review_item.review
    return {"decided_in": {"review_id": review.pk, "agenda_item_id": review_item.pk, "review": str(review)}}


@transaction.atomic
def action_decide_closure(
    *,
    actor,
    action: RecoveryAction,
    decision: str,
    rationale: str,
    further_checks: str = "",
    at: datetime.datetime | None = None,
    review_item=None,
) -> RecoveryAction:
    """Decide a closure proposal: the one door, for the action page, the closure-review screen
    and review meetings alike.

    Approve: closure proposed -> closed. Refuse: closure proposed -> refused -> in progress,
    naming the further checks. Nobody decides their own proposal; the RM decides ordinary
    actions and the nominated individual high-risk ones. ``review_item``: the agenda item of
    the meeting that decided (recorded in the transition's snapshot).
    """
    fresh = _lock(action)
    check_decider(actor, fresh)
    if decision in DECISIONS:
        _check_allowed(fresh, S.CLOSED if decision == APPROVE else S.REFUSED)
    problems = closure_decision_problems(decision=decision, rationale=rationale, further_checks=further_checks)
    if problems:
        raise ValidationError(problems)
    rationale, further_checks = rationale.strip(), (further_checks or "").strip()
    where = _decided_in(fresh, review_item)
    at = at or timezone.now()
    if decision == APPROVE:
        if closure_problems(fresh, justification="(checked at proposal)").get("evidence"):
            raise ValidationError(
                {
                    "rationale": "The impact evidence behind this proposal is no longer there. "
                    "Refuse it and ask for new evidence."
                }
            )
        _move(
            actor=actor,
            action=fresh,
            to=S.CLOSED,
            at=at,
            reason=rationale,
            updates={"closed_at": at, "closed_by": actor},
            extra_snapshot=where,
        )
        theme_recompute_visibility(theme=fresh.theme)
        return _sync(action, fresh)
    _back_in_progress(
        actor,
        fresh,
        S.REFUSED,
        at,
        "Back in progress until the further checks are done.",
        reason=rationale,
        further_checks=further_checks,
        updates={"proposed_by": None, "proposed_at": None},
        extra_snapshot=where,
    )
    return _sync(action, fresh)


@transaction.atomic
def action_reopen(*, actor, action: RecoveryAction, reason: str, at: datetime.datetime | None = None) -> RecoveryAction:
    """Closed -> reopened -> in progress (e.g. its measure deteriorated after closure)."""
    fresh = _lock(action)
    policy.require(actor, policy.Verb.EDIT_PLAN, fresh)
    _check_allowed(fresh, S.REOPENED)
    reason = _required(reason, "reason", "Say why the action is being reopened.")
    at = at or timezone.now()
    _back_in_progress(
        actor,
        fresh,
        S.REOPENED,
        at,
        "Back in progress after reopening.",
        reason=reason,
        updates={"closed_at": None, "closed_by": None},
    )
    theme = fresh.theme
    if theme.status == FailureTheme.Status.CLOSED:
        theme_move(
            actor=actor,
            theme=theme,
            move=ThemeMove.REOPEN,
            reason=f"{fresh.reference} was reopened: {reason}",
            at=at,
            check_permission=False,  # reopening the action was allowed: its theme follows
        )
    theme_recompute_visibility(theme=theme)
    return _sync(action, fresh)
