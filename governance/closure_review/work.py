"""The closure queue's part of "my work" (``core.work``): proposals waiting for this person's
decision. The recovery app's ``actions_awaiting_decision`` says who may decide (never one's own
proposal; high-risk actions only the nominated individual), so the home page offers exactly
the proposals the closure-review screen lets them decide. One query: the oldest ``limit``
proposals (only what an item shows) and, as a window count, how many there are."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList, first_and_total
from recovery.plan.selectors import actions_awaiting_decision


def may_decide(user) -> bool:
    return policy.can(user, policy.Verb.DECIDE_CLOSURE) or policy.can(user, policy.Verb.DECIDE_HIGH_RISK_CLOSURE)


def closures_waiting(user, today: datetime.date, *, limit: int) -> WorkList:
    qs = (
        actions_awaiting_decision(user)
        .select_related(None)
        .select_related("service", "proposed_by")
        .only(
            "pk",
            "title",
            "risk_level",
            "proposed_at",
            "service_id",
            "service__name",
            "proposed_by_id",
            "proposed_by__first_name",
            "proposed_by__last_name",
            "proposed_by__email",
        )
    )
    rows, total = first_and_total(qs, limit)
    if not total:
        return WorkList()
    max_wait = datetime.timedelta(days=settings.CLOSURE_PROPOSAL_MAX_WAIT_DAYS)
    items = []
    for a in rows:
        proposed = timezone.localdate(a.proposed_at) if a.proposed_at else today
        late = proposed + max_wait < today
        who = a.proposed_by.get_full_name() or a.proposed_by.email if a.proposed_by_id else ""
        items.append(
            WorkItem(
                kind="Closure to decide" + (" (high risk)" if a.is_high_risk else ""),
                title=f"{a.reference} {a.title}",
                url=reverse("governance:closure_review", kwargs={"pk": a.pk}),
                urgency=Urgency.OVERDUE if late else Urgency.WAITING,
                due=proposed + max_wait,
                service=a.service.name if a.service_id else "",
                detail=f"Proposed {proposed:%-d %b %Y}" + (f" by {who}" if who else "") + ".",
            )
        )
    return WorkList(items=items, total=total, more_url=reverse("governance:closure_queue"))
