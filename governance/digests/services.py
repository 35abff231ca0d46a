"""Email digests: each person's work, once per period, only when something waits for them.

Weekly to registered managers, monthly to nominated individuals and quality leads. The digest
is the home page's "my work" (``core.work``: the same sources, the same scoping and the same
rules on who may decide what) grouped as overdue, due now, waiting on you and coming up, plus
what changed since the person's last digest: each ``DigestSent`` row keeps what that digest
listed, so the next one can say what is new, what became more urgent and what went away.
Links are absolute, built from ``SITE_URL``. ``DigestSent`` (one row per person, kind and
period, unique) is claimed in the same transaction as the send, so a job run twice, or twice at
once, sends one email. People who turned digests off on their account page get none.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import permissions as policy
from core.models import Role
from core.work import Urgency, WorkItem, my_work
from governance.flags.rules import _d
from governance.models import DigestSent

WEEKLY = "weekly"
MONTHLY = "monthly"
KINDS = (WEEKLY, MONTHLY)
# Who gets which digest.
DIGEST_ROLES = {
    WEEKLY: (Role.REGISTERED_MANAGER,),
    MONTHLY: (Role.NOMINATED_INDIVIDUAL, Role.QUALITY_LEAD),
}
MAX_ITEMS = 15  # per section; the rest is summarised with a link to the full list


@dataclass
class DigestItem:
    label: str
    detail: str
    url: str = ""


@dataclass
class DigestSection:
    title: str
    items: list[DigestItem] = field(default_factory=list)
    more: int = 0  # items not listed
    link: str = ""  # where to see them all

    @property
    def total(self) -> int:
        return len(self.items) + self.more


def period_for(kind: str, today: datetime.date) -> str:
    if kind == WEEKLY:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{today:%Y-%m}"


def _absolute(path: str) -> str:
    if not path or path.startswith("http"):
        return path
    return settings.SITE_URL + path


def recipients(kind: str):
    """Active, opted-in people holding a role that receives ``kind``."""
    return (
        get_user_model()
        .objects.filter(is_active=True, digest_opt_in=True, memberships__role__in=DIGEST_ROLES[kind])
        .distinct()
        .order_by("pk")
    )


def _holds_role(user, kind: str) -> bool:
    roles = set(DIGEST_ROLES[kind])
    return any(role in roles for _p, _s, role in policy.access_for(user).memberships)


# The groups of a digest, by the urgency of their items (core.work.Urgency).
GROUPS = [
    (Urgency.OVERDUE, "Overdue"),
    (Urgency.DUE_NOW, "Due now"),
    (Urgency.WAITING, "Waiting on you"),
    (Urgency.UPCOMING, "Coming up"),
]
CHANGED = "Changed since your last digest"


def _label(item: WorkItem) -> str:
    return f"{item.kind}: {item.title}" + (f" ({item.service})" if item.service else "")


def _digest_item(item: WorkItem) -> DigestItem:
    detail = item.detail
    if item.due and item.urgency < Urgency.INFO:
        detail = f"{detail} (date: {_d(item.due)})" if detail else f"Date: {_d(item.due)}."
    return DigestItem(label=_label(item), detail=detail, url=_absolute(item.url))


def last_digest(user) -> DigestSent | None:
    """The person's last digest (of either kind): when it went and what it listed."""
    return DigestSent.objects.filter(user=user).order_by("-sent_at", "-pk").first()


@dataclass
class DigestWork:
    sections: list[DigestSection]
    listed: dict[str, list]  # url -> [label, urgency]: what this digest lists, kept for the next
    waiting: int  # items that wait for the person (not only for information)
    changes: int


def digest_work(user, kind: str, today: datetime.date) -> DigestWork:
    """The digest's sections from the person's work, and what changed since their last digest."""
    if not _holds_role(user, kind):
        return DigestWork([], {}, 0, 0)
    work_sections = my_work(user, today, limit=MAX_ITEMS)
    items = [item for section in work_sections for item in section.items]
    sections = []
    for urgency, title in GROUPS:
        group = [_digest_item(i) for i in items if i.urgency == urgency]
        if group:
            sections.append(DigestSection(title=title, items=group))
    home = _absolute(reverse("core:home"))
    more = [
        DigestItem(
            label=f"{s.heading}: {s.total} in all, {len(s.items)} listed here",
            detail="See them all on the site.",
            url=_absolute(s.work.more_url) or home,
        )
        for s in work_sections
        if s.more
    ]
    listed = {i.url: [_label(i), int(i.urgency)] for i in items if i.urgency < Urgency.INFO}
    changes: list[DigestItem] = []
    previous = last_digest(user)
    if previous is not None:
        before = previous.items or {}
        since = f"since {_d(timezone.localdate(previous.sent_at))}"
        for i in items:
            if i.urgency >= Urgency.INFO:
                continue
            if i.url not in before:
                changes.append(DigestItem(label=f"New {since}: {_label(i)}", detail=i.detail, url=_absolute(i.url)))
            elif before[i.url][1] > i.urgency:
                changes.append(
                    DigestItem(label=f"More urgent {since}: {_label(i)}", detail=i.detail, url=_absolute(i.url))
                )
        for url, (label, _urgency) in before.items():
            if url not in listed:
                changes.append(DigestItem(label=f"No longer waiting: {label}", detail="Done or cleared.", url=""))
    if changes:
        sections.append(DigestSection(title=CHANGED, items=changes))
    if more:
        sections.append(DigestSection(title="There is more", items=more))
    waiting = sum(1 for i in items if i.urgency < Urgency.INFO) + sum(
        s.more for s in work_sections if s.most_urgent < Urgency.INFO
    )
    return DigestWork(sections, listed, waiting, len(changes))


def digest_content(user, kind: str, today: datetime.date) -> list[DigestSection]:
    """The sections of ``user``'s digest: empty when nothing waits and nothing changed."""
    found = digest_work(user, kind, today)
    return found.sections if (found.waiting or found.changes) else []


def digest_send(*, user, kind: str, today: datetime.date | None = None) -> bool:
    """Send ``user`` their digest for the period containing ``today``, at most once. True if sent."""
    if kind not in KINDS:
        raise ValueError(f"Unknown digest kind {kind!r}")
    today = today or timezone.localdate()
    if not (user.is_active and user.digest_opt_in and user.email):
        return False
    found = digest_work(user, kind, today)
    if not (found.waiting or found.changes):
        return False
    sections = found.sections
    period = period_for(kind, today)
    with transaction.atomic():
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, kind=kind, period=period, items=found.listed)
        except IntegrityError:
            return False  # already sent for this period (perhaps by a concurrent run)
        total = found.waiting
        context = {
            "user": user,
            "kind": kind,
            "period": period,
            "today": today,
            "sections": sections,
            "total": total,
            "site_name": getattr(settings, "SITE_NAME", "Recovery governance"),
            "account_url": _absolute(reverse("core:account")),
            "home_url": _absolute(reverse("core:home")),
            "changes": found.changes,
        }
        noun = "thing waits" if total == 1 else "things wait"
        subject = f"{'Weekly' if kind == WEEKLY else 'Monthly'} recovery digest: {total} {noun} for you"
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("governance/email/digest.txt", context),
            to=[user.email],
        )
        message.attach_alternative(render_to_string("governance/email/digest.html", context), "text/html")
        # If sending fails the claim rolls back with it, so a retry sends the digest.
        message.send()
    return True


def digests_send_all(*, kind: str, today: datetime.date | None = None) -> int:
    """Send every due digest of ``kind`` in-process (the command and tests); returns how many went."""
    return sum(digest_send(user=u, kind=kind, today=today) for u in recipients(kind))
