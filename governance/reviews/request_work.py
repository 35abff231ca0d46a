"""Requests and challenges addressed to a person: their "requests" work on the home page.

At most two queries whatever the data size, scoped through the permission policy: how many
unanswered requests there are (all a person with none costs) and the first ``limit``, soonest
due first, with only what an item shows.
"""

from __future__ import annotations

import datetime

from django.urls import reverse

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList, count_then_first
from governance.models import Challenge

# A request due within this many days is "due now" rather than waiting.
DUE_NOW_DAYS = 7


def open_requests_for(user):
    """Unanswered requests addressed to ``user``, soonest due first."""
    qs = Challenge.objects.filter(addressed_to=user, responded_at__isnull=True)
    return policy.objects_for(user, qs).order_by("due_on", "raised_at", "pk")


def _urgency(c: Challenge, today: datetime.date) -> Urgency:
    if c.due_on is None:
        return Urgency.WAITING
    if c.due_on < today:
        return Urgency.OVERDUE
    if c.due_on <= today + datetime.timedelta(days=DUE_NOW_DAYS):
        return Urgency.DUE_NOW
    return Urgency.WAITING


def request_work(user, today: datetime.date, *, limit: int = 5) -> WorkList:
    rows, total = count_then_first(
        open_requests_for(user),
        limit,
        lambda qs: qs.select_related("service", "raised_by").only(
            "pk",
            "kind",
            "text",
            "due_on",
            "service_id",
            "service__name",
            "raised_by_id",
            "raised_by__first_name",
            "raised_by__last_name",
            "raised_by__email",
        ),
    )
    items = [
        WorkItem(
            kind=c.get_kind_display(),
            title=c.text if len(c.text) <= 120 else c.text[:119] + "…",
            url=c.get_absolute_url(),
            urgency=_urgency(c, today),
            due=c.due_on,
            service=c.service.name if c.service_id else "",
            detail=f"asked by {c.raised_by}",
        )
        for c in rows
    ]
    return WorkList(items=items, total=total, more_url=reverse("governance:my_requests") if total > len(items) else "")
