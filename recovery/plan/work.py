"""The recovery plan's part of "my work" (``core.work``): the open actions a person owns that
need them (overdue, due soon, steps still to do, a closure refused), one query in all."""

from __future__ import annotations

import datetime

from django.db.models import IntegerField, OuterRef, Q, Subquery

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList, first_and_total

from .models import ActionStep, RecoveryAction, RecoveryActionQuerySet

S = RecoveryAction.Status
_URGENCY = {RecoveryAction.OVERDUE: Urgency.OVERDUE, RecoveryAction.DUE_SOON: Urgency.DUE_NOW}


class _Steps(Subquery):
    """How many of an action's steps ``queryset`` holds: a scalar ``COUNT(*)`` over the rows (0
    when none, so no COALESCE and no GROUP BY to build)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _steps)"
    output_field = IntegerField()

    def __init__(self, queryset):
        super().__init__(queryset.order_by().values("pk"))


def actions_owned(user, today: datetime.date, *, limit: int) -> WorkList:
    """Open actions ``user`` owns that are overdue or due soon (the one definition: a proposal
    waiting for a decision included), have steps not yet done or had their closure refused.

    One query: the first ``limit`` (overdue, then due soon, then the rest, soonest due first:
    every one is open, so that is their due dates' order) with their step counts, and the total.
    """
    steps = ActionStep.objects.filter(action_id=OuterRef("pk"))
    qs = (
        policy.objects_for(user, RecoveryAction.objects.filter(owner=user))
        .open()
        .annotate(
            steps_to_do=_Steps(steps.filter(done_on__isnull=True)),
            steps_done=_Steps(steps.filter(done_on__isnull=False)),
        )
        .filter(
            RecoveryActionQuerySet.overdue_or_due_soon_q(today)
            | Q(status=S.REFUSED)
            | (Q(steps_to_do__gt=0) & ~Q(status=S.CLOSURE_PROPOSED))
        )
        .select_related("service")
        .only("pk", "title", "due_date", "status", "service_id", "service__name")
        .order_by("due_date", "pk")
    )
    rows, total = first_and_total(qs, limit)
    items = []
    for a in rows:
        urgency = _URGENCY.get(a.deadline(today), Urgency.WAITING)
        kind = {Urgency.OVERDUE: "Action overdue", Urgency.DUE_NOW: "Action due soon"}.get(urgency, "Steps waiting")
        detail = []
        if a.status == S.CLOSURE_PROPOSED:
            detail.append("Closure proposed: waiting for a decision")
        if a.status == S.REFUSED:
            kind = kind if urgency < Urgency.WAITING else "Closure refused"
            detail.append("Closure refused: the further checks are on the action")
        if urgency == Urgency.OVERDUE:
            days = (today - a.due_date).days
            detail.append(f"{days} day{'s' if days != 1 else ''} past its due date")
        if a.steps_to_do or a.steps_done:
            detail.append(f"{a.steps_done} of {a.steps_done + a.steps_to_do} steps done")
        items.append(
            WorkItem(
                kind=kind,
                title=f"{a.reference} {a.title}",
                url=a.get_absolute_url(),
                urgency=urgency,
                due=a.due_date,
                service=a.service.name if a.service_id else "",
                detail="; ".join(detail) + "." if detail else a.get_status_display() + ".",
            )
        )
    return WorkList(items=items, total=total)
