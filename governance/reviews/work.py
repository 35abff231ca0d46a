"""Oversight reviews in "my work" (``core.work``): the reviews a person chairs or attends that
are next, or that were due and never held (their count; the next ``limit`` when there are some)."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList, count_then_first
from governance.models import OversightReview

R = OversightReview.Status
SOON = datetime.timedelta(days=7)


def reviews_next(user, today: datetime.date, *, limit: int) -> WorkList:
    attending = OversightReview.attendees.through.objects.filter(user_id=user.pk).values("oversightreview_id")
    qs = policy.objects_for(
        user,
        OversightReview.objects.filter(Q(chair=user) | Q(pk__in=attending), status__in=[R.SCHEDULED, R.IN_PROGRESS]),
    )
    rows, total = count_then_first(
        qs,
        limit,
        lambda qs: (
            qs.select_related("service", "provider", "chair")
            .only(
                "pk",
                "title",
                "status",
                "scheduled_for",
                "service_id",
                "service__name",
                "provider_id",
                "provider__name",
                "chair_id",
                "chair__first_name",
                "chair__last_name",
                "chair__email",
            )
            .order_by("scheduled_for", "pk")
        ),
    )
    if not total:
        return WorkList()
    items = []
    for r in rows:
        day = timezone.localtime(r.scheduled_for).date()
        chairing = r.chair_id == user.pk
        if r.status == R.IN_PROGRESS:
            urgency, kind = Urgency.DUE_NOW, "Review in progress"
        elif day < today:
            urgency, kind = Urgency.OVERDUE, "Review not held"
        elif day <= today + SOON:
            urgency, kind = Urgency.DUE_NOW, "Review this week"
        else:
            urgency, kind = Urgency.UPCOMING, "Next review"
        items.append(
            WorkItem(
                kind=kind,
                title=r.title,
                url=r.get_absolute_url(),
                urgency=urgency,
                due=day,
                service=r.service.name if r.service_id else r.provider.name,
                detail=f"{timezone.localtime(r.scheduled_for):%-d %b %Y, %H:%M}; "
                + ("you chair it." if chairing else f"you attend; {r.chair.get_full_name() or r.chair.email} chairs."),
            )
        )
    return WorkList(items=items, total=total, more_url=reverse("governance:calendar"))
