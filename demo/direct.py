"""The only rows the demo writes directly, each where a service would rightly refuse or restamp it.

Everything else goes through the domain services. Each function here says why it cannot.
"""

from __future__ import annotations

import datetime

from audits.models import Audit, AuditActionArising
from governance.models import AgendaItem, OversightReview
from recovery.models import ActionTransition, RecoveryAction


def backdate(obj, **fields) -> None:
    """Set timestamps the services stamp with "now" (last reviewed, created, submitted).

    The demo's history happened weeks ago; a service dates what it does at the moment it runs.
    A queryset update, so the audit trail does not record a change nobody made.
    """
    type(obj).objects.filter(pk=obj.pk).update(**fields)


def close_as_imported(action: RecoveryAction, *, by, at: datetime.datetime, reason: str, note: str) -> None:
    """Close a high-risk action on training records alone, by the registered manager.

    The closure services refuse this (no impact evidence, and a high-risk closure needs the
    nominated individual), which is the point: the demo shows the "unsupported closure" flag,
    as if the action had been imported closed from the provider's old tracker.
    """
    for from_status, to_status in (
        (RecoveryAction.Status.IN_PROGRESS, RecoveryAction.Status.CLOSURE_PROPOSED),
        (RecoveryAction.Status.CLOSURE_PROPOSED, RecoveryAction.Status.CLOSED),
    ):
        ActionTransition.objects.create(
            action=action, from_status=from_status, to_status=to_status, actor=by, at=at, reason=reason
        )
    RecoveryAction.objects.filter(pk=action.pk).update(
        status=RecoveryAction.Status.CLOSED,
        proposed_by=by,
        proposed_at=at,
        closed_by=by,
        closed_at=at,
        closure_note=note,
    )


def record_historical_arising(audit: Audit, *, description: str, owner, due_date, action, theme) -> None:
    """An action arising already dealt with at the time, recorded against an existing action.

    Submitting an audit raises each unlinked action arising as a new step (or action); ten weeks
    of audits would flood the demo plans with audit steps, so these are stored as already linked.
    """
    AuditActionArising.objects.create(
        audit=audit,
        description=description,
        owner=owner,
        due_date=due_date,
        kind=AuditActionArising.Kind.STEP if action else AuditActionArising.Kind.NEW_ACTION,
        action=action,
        theme=None if action else theme,
        linked_at=audit.created_at,
    )


def agenda_item_as_it_stood(review: OversightReview, action: RecoveryAction, *, detail: str) -> AgendaItem:
    """The closure proposal in front of a past meeting, as it stood then.

    The meeting decided it, so it is no longer pending and the live agenda (which the review
    services build from what is pending now) no longer lists it.
    """
    service = action.service
    item, _ = AgendaItem.objects.get_or_create(
        review=review,
        kind=AgendaItem.Kind.CLOSURE_PROPOSAL,
        subject_type="action",
        subject_id=action.pk,
        defaults={
            "order": 0,
            "title": f"Closure proposed: {action.title}",
            "subject_url": action.get_absolute_url(),
            "snapshot": {
                "service_id": service.pk,
                "service": service.name,
                "risk": action.get_risk_level_display(),
                "action_id": action.pk,
                "detail": detail,
            },
        },
    )
    return item
