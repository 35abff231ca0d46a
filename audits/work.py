"""The audits' part of "my work" (``core.work``): audits due or overdue at the services where
the person logs audits, and, for quality leads, audits that did not show the actions working.

Both read a fixed number of queries whatever the number of services, templates or audits.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django.urls import reverse

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList

from .models import Audit, AuditTemplate
from .periods import period_bounds, period_label, previous_period

WEEK = datetime.timedelta(days=6)
EFFECTIVENESS_DAYS = 90  # how far back a not-effective audit is still brought to the quality lead


def _since(created_at) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate(created_at) if created_at else datetime.date.min


def audits_due(user, today: datetime.date, *, limit: int) -> WorkList:
    """Audits due this week (a period ending within seven days) not yet submitted, and last
    period's missed ones, at every service where ``user`` may log audits (three narrow queries:
    the services, the templates with the services each is for, the audits of both periods).
    Each links to its draft, or to starting it with the template and period chosen; only the
    ``limit`` shown are given their links."""
    services = list(
        policy.services(user, policy.Verb.LOG_AUDIT).order_by("name").values_list("pk", "provider_id", "name", "slug")
    )
    if not services:
        return WorkList()
    # One row per template and service it is limited to (a template for every service: one
    # row, with no service).
    templates: dict[int, tuple] = {}
    where: dict[int, set[int]] = defaultdict(set)
    for pk, provider_id, title, frequency, created_at, service_id in (
        AuditTemplate.objects.filter(provider_id__in={s[1] for s in services}, is_active=True)
        .order_by("title", "pk")
        .values_list("pk", "provider_id", "title", "frequency", "created_at", "services")
    ):
        templates.setdefault(pk, (pk, provider_id, title, frequency, _since(created_at)))
        if service_id is not None:
            where[pk].add(service_id)
    if not templates:
        return WorkList()
    windows = {pk: (previous_period(t[3], today), period_bounds(t[3], today)) for pk, t in templates.items()}
    oldest = min(prev[0] for prev, _cur in windows.values())
    audits: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for a in Audit.objects.filter(
        service__in=[s[0] for s in services], template__in=list(templates), period_end__gte=oldest
    ).values_list("pk", "service_id", "template_id", "period_end", "status"):
        audits[(a[1], a[2])].append(a)

    found: list[tuple] = []
    for service in services:
        s_pk, s_provider, s_name, _slug = service
        for t_pk, t_provider, title, frequency, since in templates.values():
            if t_provider != s_provider or (where[t_pk] and s_pk not in where[t_pk]):
                continue
            (prev_start, prev_end), (start, end) = windows[t_pk]
            mine = audits.get((s_pk, t_pk), [])
            for p_start, p_end, late in ((prev_start, prev_end, True), (start, end, False)):
                if p_end < since:
                    continue
                in_period = [a for a in mine if p_start <= a[3] <= p_end]
                if any(a[4] != Audit.Status.DRAFT for a in in_period):
                    continue  # submitted (or amended)
                if late:
                    urgency = Urgency.OVERDUE
                elif end <= today + WEEK:
                    urgency = Urgency.DUE_NOW
                else:
                    continue  # a month's or quarter's audit comes up in its last week; the schedule shows it before
                draft = next((a[0] for a in in_period if a[4] == Audit.Status.DRAFT), None)
                found.append((urgency, p_end, s_name, title, service, t_pk, frequency, p_start, late, draft))
    found.sort(key=lambda f: f[:4])
    items = []
    for urgency, p_end, s_name, title, service, t_pk, frequency, p_start, late, draft in found[:limit]:
        if draft is not None:
            url = reverse("audits:audit_edit", kwargs={"pk": draft})
        else:
            query = urlencode({"template": t_pk, "on": (p_end if late else p_start).isoformat()})
            url = f"{reverse('audits:audit_start', kwargs={'service': service[3]})}?{query}"
        items.append(
            WorkItem(
                kind="Audit overdue" if late else "Audit due",
                title=title,
                url=url,
                urgency=urgency,
                due=p_end,
                service=s_name,
                detail=f"{period_label(frequency, p_start, p_end)}"
                + ("; a draft is started" if draft is not None else "; not started"),
            )
        )
    more_url = reverse("audits:schedule", kwargs={"service": services[0][3]}) if len(services) == 1 else ""
    return WorkList(items=items, total=len(found), more_url=more_url)


def audit_effectiveness(user, today: datetime.date, *, limit: int) -> WorkList:
    """Submitted audits of the last ``EFFECTIVENESS_DAYS`` days that did not show the actions
    working, at the services where ``user`` manages audit templates (two queries)."""
    since = today - datetime.timedelta(days=EFFECTIVENESS_DAYS)
    qs = policy.objects_for(
        user,
        Audit.objects.filter(status=Audit.Status.SUBMITTED, is_effective=False, period_end__gte=since),
        policy.Verb.MANAGE_TEMPLATES,
    )
    total = qs.count()
    if not total:
        return WorkList()
    rows = qs.select_related("service", "template").order_by("-period_end", "-pk")[:limit]
    items = [
        WorkItem(
            kind="Audit not effective",
            title=a.template.title,
            url=a.get_absolute_url(),
            urgency=Urgency.WAITING,
            due=a.period_end,
            service=a.service.name,
            detail="; ".join(a.effectiveness_gap_labels()) or "Not effective as audited.",
        )
        for a in rows
    ]
    return WorkList(items=items, total=total)
