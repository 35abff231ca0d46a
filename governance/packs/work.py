"""Evidence packs in "my work" (``core.work``): the packs a person asked for in the last weeks,
ready, being made or failed (their count; the latest ``limit`` when there are some)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core import permissions as policy
from core.work import Urgency, WorkItem, WorkList, count_then_first
from governance.models import EvidencePack
from governance.packs.selectors import visible_packs

RECENT_DAYS = 30
P = EvidencePack.Status


def may_generate(user) -> bool:
    return policy.can(user, policy.Verb.GENERATE_PACK)


def packs_mine(user, today: datetime.date, *, limit: int) -> WorkList:
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    qs = visible_packs(user).filter(requested_by=user, requested_at__gte=since)
    rows, total = count_then_first(
        qs,
        limit,
        lambda qs: (
            qs.select_related("service", "provider")
            .only(
                "pk",
                "kind",
                "status",
                "progress",
                "page_count",
                "requested_at",
                "service_id",
                "service__name",
                "provider_id",
                "provider__name",
            )
            .order_by("-requested_at", "-pk")
        ),
    )
    if not total:
        return WorkList()
    items = []
    for p in rows:
        if p.status == P.FAILED:
            urgency, detail = Urgency.WAITING, "Failed: open it to try again."
        elif p.status == P.DONE:
            urgency, detail = Urgency.INFO, "Ready to download" + (f" ({p.page_count} pages)." if p.page_count else ".")
        else:
            urgency, detail = Urgency.INFO, f"{p.get_status_display()}: {p.progress}% done."
        items.append(
            WorkItem(
                kind="Evidence pack",
                title=p.get_kind_display(),
                url=p.get_absolute_url(),
                urgency=urgency,
                due=timezone.localdate(p.requested_at),
                service=p.service.name if p.service_id else p.provider.name,
                detail=detail,
            )
        )
    return WorkList(items=items, total=total)
