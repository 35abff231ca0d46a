"""Writes for themes, leadership learning, actions and steps.

Keyword-only, typed, atomic, named <entity>_<verb>. Each checks the permission policy
unless the caller (another service that has already checked) says otherwise.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from core import permissions as policy

from ..models import ActionStep, FailureTheme, RecoveryAction

ACTION_FIELDS = (
    "title",
    "baseline_issue",
    "intended_outcome",
    "measurable_target",
    "owner",
    "due_date",
    "risk_level",
    "review_role",
    "review_cadence",
    "evidence_required",
)


def _check_owner(owner, obj) -> None:
    if owner is not None and not policy.can(owner, policy.Verb.VIEW, obj):
        raise ValidationError({"owner": "The owner must be a member with access to this service."})


@transaction.atomic
def action_create(
    *, actor, theme: FailureTheme, service=None, check_permission: bool = True, **fields
) -> RecoveryAction:
    """Create a draft action on a theme. It opens once it has an intended outcome."""
    service = service if service is not None else theme.service
    if service is not None and service.provider_id != theme.provider_id:
        raise ValidationError("The service does not belong to the theme's provider.")
    action = RecoveryAction(theme=theme, provider_id=theme.provider_id, service=service, created_by=actor)
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, action)
    for name in ACTION_FIELDS:
        if name in fields:
            setattr(action, name, fields[name])
    _check_owner(action.owner, action)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def step_add(
    *,
    actor,
    action: RecoveryAction,
    role: str,
    what: str,
    recorded_where: str = "",
    check_permission: bool = True,
) -> ActionStep:
    if check_permission:
        policy.require(actor, policy.Verb.EDIT_PLAN, action)
    last = action.steps.order_by("-order").values_list("order", flat=True).first() or 0
    step = ActionStep(action=action, order=last + 1, role=role, what=what, recorded_where=recorded_where)
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def step_complete(*, actor, step: ActionStep, done_on: datetime.date) -> ActionStep:
    policy.require(actor, policy.Verb.RECORD_DATA, step.action)
    step.done_by, step.done_on = actor, done_on
    step.save()
    return step
