"""Email digests: what needs each person, once per period, only when something does.

Weekly to registered managers (their services' open flags, closure proposals waiting for
them, their own overdue actions); monthly to nominated individuals and quality leads (the
provider's open flags by kind, the flags that question closures, high-risk proposals waiting
for the NI, reviews not held). ``DigestSent`` (one row per person, kind and period, unique)
is claimed in the same transaction as the send, so a job run twice, or twice at once, sends
one email. People who turned digests off on their account page get none.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.choices import RiskLevel
from core.models import Membership, Role, Service
from governance.flags.rules import _d
from governance.models import DigestSent, Flag
from recovery.models import RecoveryAction

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


def _scope(user, roles) -> tuple[set[int], set[int]]:
    """(provider ids where a role is provider-wide, service ids where it is service-level)."""
    wide, local = set(), set()
    for provider_id, service_id in Membership.objects.filter(user=user, role__in=roles).values_list(
        "provider_id", "service_id"
    ):
        (local.add(service_id) if service_id else wide.add(provider_id))
    return wide, local


def _in_scope(wide: set[int], local: set[int], service_field: str = "service") -> Q:
    return Q(provider_id__in=wide) | Q(**{f"{service_field}_id__in": local})


def _flag_items(flags) -> list[DigestItem]:
    return [
        DigestItem(
            label=f"{f.get_kind_display()}: {f.subject_label}" + (f" ({f.service.name})" if f.service_id else ""),
            detail=f.detail,
            url=_absolute(f.get_absolute_url()),
        )
        for f in flags
    ]


def _section(title: str, queryset, to_items, link: str = "") -> DigestSection:
    total = queryset.count()
    items = to_items(list(queryset[:MAX_ITEMS])) if total else []
    return DigestSection(title=title, items=items, more=max(total - len(items), 0), link=link)


def _flag_list_link(wide: set[int], local: set[int]) -> str:
    from django.urls import reverse

    if len(wide) == 1 and not local:
        from core.models import Provider

        slug = Provider.objects.filter(pk__in=wide).values_list("slug", flat=True).first()
        return _absolute(reverse("governance:provider_flag_list", kwargs={"provider": slug})) if slug else ""
    if len(local) == 1 and not wide:
        slug = Service.objects.filter(pk__in=local).values_list("slug", flat=True).first()
        return _absolute(reverse("governance:flag_list", kwargs={"service": slug})) if slug else ""
    return ""


def digest_content(user, kind: str, today: datetime.date) -> list[DigestSection]:
    """The sections of ``user``'s digest; empty sections are dropped."""
    wide, local = _scope(user, DIGEST_ROLES[kind])
    if not wide and not local:
        return []
    open_flags = (
        Flag.objects.filter(_in_scope(wide, local), resolved_at__isnull=True)
        .select_related("service")
        .order_by("kind", "-raised_at")
    )
    proposals = (
        RecoveryAction.objects.filter(_in_scope(wide, local), status=RecoveryAction.Status.CLOSURE_PROPOSED)
        .exclude(proposed_by=user)
        .select_related("service")
        .order_by("proposed_at")
    )

    def action_items(actions) -> list[DigestItem]:
        return [
            DigestItem(
                label=f"{a.reference} {a.title}" + (f" ({a.service.name})" if a.service_id else ""),
                detail=(
                    f"Proposed for closure on {_d(timezone.localdate(a.proposed_at))}."
                    if a.status == RecoveryAction.Status.CLOSURE_PROPOSED and a.proposed_at
                    else f"Due {_d(a.due_date)}; {a.get_status_display().lower()}."
                ),
                url=_absolute(a.get_absolute_url()),
            )
            for a in actions
        ]

    link = _flag_list_link(wide, local)
    sections: list[DigestSection] = []
    if kind == WEEKLY:
        sections.append(
            _section("Flags not yet acknowledged", open_flags.filter(acknowledged_at__isnull=True), _flag_items, link)
        )
        sections.append(
            _section(
                "Closure proposals waiting for a decision",
                proposals.exclude(risk_level=RiskLevel.HIGH),
                action_items,
            )
        )
        sections.append(
            _section(
                "Your actions past their due date",
                RecoveryAction.objects.overdue(today).filter(owner=user).select_related("service").order_by("due_date"),
                action_items,
            )
        )
    else:
        sections.append(
            _section(
                "Closures the scans question (unsupported closure or drift)",
                open_flags.filter(kind__in=[Flag.Kind.UNSUPPORTED_CLOSURE, Flag.Kind.DRIFT]),
                _flag_items,
                link,
            )
        )
        other = open_flags.exclude(kind__in=[Flag.Kind.UNSUPPORTED_CLOSURE, Flag.Kind.DRIFT])
        sections.append(_section("Other open flags", other, _flag_items, link))
        is_ni = Membership.objects.filter(user=user, role=Role.NOMINATED_INDIVIDUAL).exists()
        if is_ni:
            sections.append(
                _section(
                    "High-risk closure proposals waiting for your decision",
                    proposals.filter(risk_level=RiskLevel.HIGH),
                    action_items,
                )
            )
    return [s for s in sections if s.total]


def digest_send(*, user, kind: str, today: datetime.date | None = None) -> bool:
    """Send ``user`` their digest for the period containing ``today``, at most once. True if sent."""
    if kind not in KINDS:
        raise ValueError(f"Unknown digest kind {kind!r}")
    today = today or timezone.localdate()
    if not (user.is_active and user.digest_opt_in and user.email):
        return False
    sections = digest_content(user, kind, today)
    if not sections:
        return False
    period = period_for(kind, today)
    with transaction.atomic():
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, kind=kind, period=period)
        except IntegrityError:
            return False  # already sent for this period (perhaps by a concurrent run)
        total = sum(s.total for s in sections)
        context = {
            "user": user,
            "kind": kind,
            "period": period,
            "today": today,
            "sections": sections,
            "total": total,
            "site_name": getattr(settings, "SITE_NAME", "Recovery governance"),
            "account_url": _absolute("/account/"),
        }
        noun = "thing needs" if total == 1 else "things need"
        subject = f"{'Weekly' if kind == WEEKLY else 'Monthly'} recovery digest: {total} {noun} you"
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
