"""The audits' part of "my work" (``core.work``): audits due or overdue at the services where
the person logs audits, and, for quality leads, audits that did not show the actions working.

Both read a fixed number of queries whatever the number of services, templates or audits.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.urls import reverse

from core import permissions as policy
from core.models import Service
from core.work import Urgency, WorkItem, WorkList

from .models import Audit, AuditTemplate
from .periods import period_bounds, period_label, previous_period

WEEK = datetime.timedelta(days=6)
EFFECTIVENESS_DAYS = 90  # how far back a not-effective audit is still brought to the quality lead


def _since(template: AuditTemplate) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate(template.created_at) if template.created_at else datetime.date.min


def audits_due(user, today: datetime.date, *, limit: int) -> WorkList:
    """Audits due this week (a period ending within seven days) not yet submitted, and last
    period's missed ones, at every service where ``user`` may log audits (four queries). Each
    links to its draft, or to starting it with the template and period chosen."""
    services = list(policy.services(user, policy.Verb.LOG_AUDIT).order_by("name"))
    if not services:
        return WorkList()
    templates = list(
        AuditTemplate.objects.filter(provider_id__in={s.provider_id for s in services}, is_active=True)
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("pk")))
        .order_by("title")
    )
    if not templates:
        return WorkList()
    windows = {t.pk: (previous_period(t.frequency, today), period_bounds(t.frequency, today)) for t in templates}
    oldest = min(prev[0] for prev, _cur in windows.values())
    audits: dict[tuple[int, int], list[Audit]] = defaultdict(list)
    for a in Audit.objects.filter(
        service__in=[s.pk for s in services],
        template__in=[t.pk for t in templates],
        period_end__gte=oldest,
    ).only("pk", "service_id", "template_id", "period_end", "status"):
        audits[(a.service_id, a.template_id)].append(a)

    found: list[WorkItem] = []
    for s in services:
        for t in templates:
            where = {x.pk for x in t.services.all()}
            if t.provider_id != s.provider_id or (where and s.pk not in where):
                continue
            (prev_start, prev_end), (start, end) = windows[t.pk]
            mine = audits.get((s.pk, t.pk), [])
            for p_start, p_end, late in ((prev_start, prev_end, True), (start, end, False)):
                if p_end < _since(t):
                    continue
                in_period = [a for a in mine if p_start <= a.period_end <= p_end]
                if any(a.status != Audit.Status.DRAFT for a in in_period):
                    continue  # submitted (or amended)
                draft = next((a for a in in_period if a.status == Audit.Status.DRAFT), None)
                if draft is not None:
                    url = reverse("audits:audit_edit", kwargs={"pk": draft.pk})
                else:
                    query = urlencode({"template": t.pk, "on": (p_end if late else p_start).isoformat()})
                    url = f"{reverse('audits:audit_start', kwargs={'service': s.slug})}?{query}"
                if late:
                    urgency, kind = Urgency.OVERDUE, "Audit overdue"
                elif end <= today + WEEK:
                    urgency, kind = Urgency.DUE_NOW, "Audit due"
                else:
                    continue  # a month's or quarter's audit comes up in its last week; the schedule shows it before
                found.append(
                    WorkItem(
                        kind=kind,
                        title=t.title,
                        url=url,
                        urgency=urgency,
                        due=p_end,
                        service=s.name,
                        detail=f"{period_label(t.frequency, p_start, p_end)}"
                        + ("; a draft is started" if draft else "; not started"),
                    )
                )
    found.sort(key=lambda i: (i.urgency, i.due, i.service, i.title))
    more_url = reverse("audits:schedule", kwargs={"service": services[0].slug}) if len(services) == 1 else ""
    return WorkList(items=found[:limit], total=len(found), more_url=more_url)


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
