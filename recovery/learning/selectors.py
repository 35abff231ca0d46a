"""Reads for shared learning: what a theme shared, what a service received, across a provider."""

from __future__ import annotations

from django.urls import reverse

from core import permissions as policy
from core.models import Provider, Service
from core.work import Urgency, WorkItem, WorkList, count_then_first
from recovery.learning.models import LearningShare

_RELATED = ("learning", "learning__theme", "learning__service", "service", "shared_by", "responded_by")


def share_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> LearningShare:
    """One share, scoped to its receiving service (404 for another provider's or service's)."""
    return policy.get_or_404(user, LearningShare.objects.select_related(*_RELATED), verb, pk=pk)


def shares_of_learning(learning_ids) -> dict[int, list[LearningShare]]:
    """Shares of each learning (the theme page), one query."""
    out: dict[int, list[LearningShare]] = {}
    for share in LearningShare.objects.filter(learning_id__in=list(learning_ids)).select_related(
        "service", "responded_by"
    ):
        out.setdefault(share.learning_id, []).append(share)
    return out


# What the service page's "Learning shared with us" panel shows of a share (nothing else is loaded).
_SHARED_WITH_FIELDS = (
    "id",
    "provider_id",
    "service_id",
    "created_at",
    "note",
    "applies",
    "what_changed",
    "responded_at",
    "learning__id",
    "learning__governance_change",
    "learning__theme__id",
    "learning__theme__title",
    "learning__service__id",
    "learning__service__name",
    *(f"{who}__{f}" for who in ("shared_by", "responded_by") for f in ("id", "first_name", "last_name", "email")),
)


def shared_with(user, service: Service) -> list[LearningShare]:
    """Learning other services shared with ``service``, unanswered first, then newest (one query).

    Each share's receiving service is ``service`` itself, so it is not joined again.
    """
    qs = policy.objects_for(user, LearningShare.objects.filter(service=service), policy.Verb.VIEW)
    shares = list(
        qs.select_related("learning__theme", "learning__service", "shared_by", "responded_by")
        .only(*_SHARED_WITH_FIELDS)
        .order_by()
    )
    for share in shares:
        share.service = service
    return sorted(shares, key=lambda s: (s.answered, -s.created_at.timestamp()))


def provider_shares(user, provider: Provider, *, limit: int = 50) -> list[LearningShare]:
    """Where learning was shared across the provider and what each service did (dashboard)."""
    qs = policy.objects_for(user, LearningShare.objects.filter(provider=provider), policy.Verb.VIEW)
    return list(
        qs.select_related("learning__theme", "learning__service", "service")
        .only(*_PROVIDER_SHARES_FIELDS)
        .order_by("-created_at", "-pk")[:limit]
    )


# What the provider dashboard's "Learning shared across services" shows of a share.
_PROVIDER_SHARES_FIELDS = (
    "id",
    "provider_id",
    "created_at",
    "applies",
    "what_changed",
    "service__id",
    "service__name",
    "learning__id",
    "learning__theme__id",
    "learning__theme__title",
    "learning__service__id",
    "learning__service__name",
)


def unanswered_work(user, today, *, limit: int = 5):
    """The home page's "my work": learning shared with a service where ``user`` plans, not yet answered.

    The count, and the first ``limit`` (only the columns an item shows) when there are some,
    scoped through the policy.
    """
    qs = policy.objects_for(user, LearningShare.objects.filter(applies__isnull=True), policy.Verb.EDIT_PLAN)
    rows, total = count_then_first(
        qs,
        limit,
        lambda qs: (
            qs.select_related("learning__theme", "service", "shared_by")
            .only(
                "pk",
                "learning_id",
                "learning__theme_id",
                "learning__theme__title",
                "service_id",
                "service__name",
                "shared_by_id",
                "shared_by__first_name",
                "shared_by__last_name",
                "shared_by__email",
            )
            .order_by("created_at", "pk")
        ),
    )
    items = [
        WorkItem(
            kind="Shared learning",
            title=f"Does “{share.learning.theme.title}” apply here?",
            url=reverse("recovery:learning_share_respond", kwargs={"pk": share.pk}),
            urgency=Urgency.WAITING,
            service=share.service.name,
            detail=f"shared by {share.shared_by}",
        )
        for share in rows
    ]
    return WorkList(items=items, total=total)
