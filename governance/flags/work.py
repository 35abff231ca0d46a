"""Flags in "my work" (``core.work``): open flags about what a person owns (their actions, themes
and the measures of their actions) and flags nobody has acknowledged yet where they handle
flags (two queries, whatever the number of flags)."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList
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
    handled = policy.objects_for(user, Flag.objects.all(), policy.Verb.HANDLE_FLAGS).values("pk")
    qs = policy.objects_for(
        user,
        Flag.objects.filter(resolved_at__isnull=True).filter(
            _owned(user) | Q(pk__in=handled, acknowledged_at__isnull=True)
        ),
    )
    total = qs.count()
    if not total:
        return WorkList()
    rows = list(qs.select_related("service", "provider").order_by("acknowledged_at", "-raised_at", "-pk")[:limit])
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
