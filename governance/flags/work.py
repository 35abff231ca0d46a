"""Flags in "my work" (``core.work``): open flags about what a person owns (their actions, themes
and the measures of their actions) and flags nobody has acknowledged yet where they handle
flags (their count, and the first ``limit`` when there are some: two queries at most, whatever
the number of flags)."""

from __future__ import annotations

import datetime

from django.db.models import F, Q
from django.urls import reverse

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList, count_then_first
from governance.models import Flag
from recovery.models import FailureTheme, OutcomeMeasure, RecoveryAction


def _owned(user) -> Q:
    return (
        Q(subject_type="action", subject_id__in=RecoveryAction.objects.filter(owner=user).values("pk"))
        | Q(subject_type="theme", subject_id__in=FailureTheme.objects.filter(owner=user).values("pk"))
        | Q(subject_type="measure", subject_id__in=OutcomeMeasure.objects.filter(action__owner=user).values("pk"))
    )


def _more_url(user, flags: list[Flag]) -> str:
    """The flag list these flags are on: one service's or one provider's (no query: the
    listed flags carry their service and provider)."""
    access = policy.access_for(user)
    wide = access.wide_provider_ids(policy.Verb.HANDLE_FLAGS)
    local = access.service_ids(policy.Verb.HANDLE_FLAGS)
    if len(wide) == 1 and not local:
        provider = next((f.provider for f in flags if f.provider_id in wide), None)
        return reverse("governance:provider_flag_list", kwargs={"provider": provider.slug}) if provider else ""
    if len(local) == 1 and not wide:
        service = next((f.service for f in flags if f.service_id in local), None)
        return reverse("governance:flag_list", kwargs={"service": service.slug}) if service else ""
    return ""


def flags_mine(user, today: datetime.date, *, limit: int) -> WorkList:
    open_flags = Flag.objects.filter(resolved_at__isnull=True)
    mine = open_flags.filter(_owned(user))
    if policy.can(user, policy.Verb.HANDLE_FLAGS):
        # Unacknowledged where the person handles flags: the same table's scope OR-ed into one
        # WHERE rather than a ``pk IN`` subquery over every flag.
        mine = mine | policy.objects_for(
            user, open_flags.filter(acknowledged_at__isnull=True), policy.Verb.HANDLE_FLAGS
        )
    rows, total = count_then_first(
        policy.objects_for(user, mine),
        limit,
        lambda qs: (
            qs.select_related("service", "provider")
            .only(
                "pk",
                "kind",
                "subject_label",
                "detail",
                "acknowledged_at",
                "service_id",
                "service__slug",
                "service__name",
                "provider_id",
                "provider__slug",
            )
            # Not yet acknowledged first (they wait on someone), on every database.
            .order_by(F("acknowledged_at").asc(nulls_first=True), "-raised_at", "-pk")
        ),
    )
    if not total:
        return WorkList()
    items = [
        WorkItem(
            kind=f.get_kind_display(),
            title=f.subject_label,
            url=f.get_absolute_url(),
            urgency=Urgency.UPCOMING if f.acknowledged_at else Urgency.WAITING,
            service=f.service.name if f.service_id else "",
            detail=f.detail if not f.acknowledged_at else f"Acknowledged; still open. {f.detail}",
        )
        for f in rows
    ]
    return WorkList(items=items, total=total, more_url=_more_url(user, rows) if total > len(items) else "")
