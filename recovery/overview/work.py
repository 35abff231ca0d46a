"""Progress for people who follow the recovery rather than do it (viewers, board members): per
service they may see, how many actions are closed and how many are overdue (one query)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.urls import reverse

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList
from recovery.models import RecoveryAction
from recovery.plan.models import OPEN_STATUSES


def progress(user, today: datetime.date, *, limit: int) -> WorkList:
    rows = list(
        policy.objects_for(user, RecoveryAction.objects.filter(service__isnull=False))
        .order_by()
        .values("service__name", "service__slug")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(status=RecoveryAction.Status.CLOSED)),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
        )
        .order_by("service__name")
    )
    items = [
        WorkItem(
            kind="Progress",
            title=r["service__name"],
            url=reverse("recovery:map_service", kwargs={"service": r["service__slug"]}),
            urgency=Urgency.INFO,
            detail=f"{r['closed']} of {r['total']} actions closed; {r['overdue']} overdue.",
        )
        for r in rows[:limit]
    ]
    return WorkList(items=items, total=len(rows), more_url=reverse("core:overview") if len(rows) > limit else "")


def follows_only(user) -> bool:
    """Sees the plans but neither works on them nor decides them: viewers and board members."""
    return not any(
        policy.can(user, verb)
        for verb in (policy.Verb.EDIT_PLAN, policy.Verb.PROPOSE_CLOSURE, policy.Verb.DECIDE_CLOSURE)
    )
