"""Writes for the closure-review screen: approve, refuse, or ask for further evidence.

Approving and refusing go through the recovery app's closure workflow (the one door for an
action's status); asking for more evidence records a challenge on the action and leaves the
proposal pending.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from governance.models import Challenge
from recovery.closure.services import action_approve_closure, action_refuse_closure, can_decide
from recovery.models import RecoveryAction

APPROVE = "approve"
REFUSE = "refuse"


@transaction.atomic
def closure_decide(
    *, actor, action: RecoveryAction, decision: str, rationale: str, further_checks: str = ""
) -> RecoveryAction:
    """Approve or refuse a closure proposal; a refusal names the further checks needed."""
    if decision == APPROVE:
        return action_approve_closure(actor=actor, action=action, rationale=rationale)
    if decision == REFUSE:
        return action_refuse_closure(actor=actor, action=action, rationale=rationale, further_checks=further_checks)
    raise ValidationError({"decision": "Choose approve or refuse."})


@transaction.atomic
def closure_request_evidence(*, actor, action: RecoveryAction, text: str) -> Challenge:
    """Ask the people working on the action for further evidence before deciding."""
    fresh = RecoveryAction.objects.select_for_update().get(pk=action.pk)
    if fresh.status != RecoveryAction.Status.CLOSURE_PROPOSED:
        raise ValidationError("This action is no longer awaiting a closure decision.", code="decided")
    if not can_decide(actor, fresh):
        raise PermissionDenied("You cannot decide this proposal (your role, its risk, or it is your own).")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Say what further evidence you need, and why."})
    return Challenge.objects.create(
        provider_id=fresh.provider_id,
        service_id=fresh.service_id,
        action=fresh,
        kind=Challenge.Kind.EVIDENCE_REQUEST,
        text=text,
        raised_by=actor,
    )
