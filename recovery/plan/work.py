"""The recovery plan's part of "my work" (``core.work``): the open actions a person owns that
need them (overdue, due soon, steps still to do, a closure refused), two queries in all."""

from __future__ import annotations

import datetime

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList

from .models import ActionStep, RecoveryAction

S = RecoveryAction.Status


def _steps(qs) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().values("action_id").annotate(n=Count("pk")).values("n")[:1]), 0)


def actions_owned(user, today: datetime.date, *, limit: int) -> WorkList:
    """Open actions ``user`` owns that are overdue or due soon (the one definition: a proposal
    waiting for a decision included), have steps not yet done or had their closure refused."""
    steps = ActionStep.objects.filter(action_id=OuterRef("pk"))
    qs = (
        policy.objects_for(user, RecoveryAction.objects.filter(owner=user))
        .open()
        .with_deadline(today)
        .annotate(steps_total=_steps(steps), steps_done=_steps(steps.filter(done_on__isnull=False)))
        .filter(
            Q(deadline_state__in=[RecoveryAction.OVERDUE, RecoveryAction.DUE_SOON])
            | Q(status=S.REFUSED)
            | (Q(steps_total__gt=0, steps_done__lt=F("steps_total")) & ~Q(status=S.CLOSURE_PROPOSED))
        )
    )
    total = qs.count()
    if not total:
        return WorkList()
    ranked = qs.annotate(
        rank=Case(
            When(deadline_state=RecoveryAction.OVERDUE, then=Value(int(Urgency.OVERDUE))),
            When(deadline_state=RecoveryAction.DUE_SOON, then=Value(int(Urgency.DUE_NOW))),
            default=Value(int(Urgency.WAITING)),
            output_field=IntegerField(),
        )
    ).select_related("service")
    items = []
    for a in ranked.order_by("rank", "due_date", "pk")[:limit]:
        urgency = Urgency(a.rank)
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
        if a.steps_total:
            detail.append(f"{a.steps_done} of {a.steps_total} steps done")
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
