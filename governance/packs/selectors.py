"""Reads for evidence packs: which packs a user may see, and one pack for a user.

A pack may cover several services. A person sees (and downloads) a pack only when they
may see every service in it: a service-level viewer never receives a provider-wide pack
that carries a sibling service's data. Anything else is "not found".
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from core import permissions as policy
from core.models import Provider, Service
from governance.models import EvidencePack


def visible_packs(user) -> QuerySet[EvidencePack]:
    """Packs in the user's reach all of whose services they may see."""
    visible_services = policy.services(user).values("pk")
    hidden = EvidencePack.services.through.objects.filter(evidencepack_id=OuterRef("pk")).exclude(
        service_id__in=visible_services
    )
    return policy.objects_for(user, EvidencePack.objects.all(), policy.Verb.VIEW).filter(~Exists(hidden))


# What a listing of packs shows (governance/packs/_table.html): nothing else is loaded.
_LISTING_FIELDS = (
    "id",
    "provider_id",
    "service_id",
    "kind",
    "parameters",
    "status",
    "page_count",
    "size_bytes",
    "requested_at",
    "requested_by__id",
    "requested_by__first_name",
    "requested_by__last_name",
    "requested_by__email",
    "action__id",
    "action__title",
)


def _listing(qs: QuerySet[EvidencePack]) -> QuerySet[EvidencePack]:
    return (
        qs.select_related("requested_by", "action")
        .only(*_LISTING_FIELDS)
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name")))
        .order_by("-requested_at", "-pk")
    )


def packs_for_service(user, service: Service) -> QuerySet[EvidencePack]:
    """Packs that cover ``service`` (whether generated from it or from the provider).

    "Covers" is an ``EXISTS`` on the pack's services rather than a join: a join would need
    ``DISTINCT`` over every selected column, which PostgreSQL took longer to plan than to run.
    """
    covers = EvidencePack.services.through.objects.filter(evidencepack_id=OuterRef("pk"), service_id=service.pk)
    return _listing(visible_packs(user).filter(Exists(covers)))


def packs_for_provider(user, provider: Provider) -> QuerySet[EvidencePack]:
    return _listing(visible_packs(user).filter(provider=provider))


def pack_for(user, pk: int) -> EvidencePack:
    """One pack the user may see, else 404 (also when one of its services is out of their reach)."""
    try:
        return (
            visible_packs(user)
            .select_related("provider", "service", "requested_by", "action")
            .prefetch_related("services")
            .get(pk=pk)
        )
    except (EvidencePack.DoesNotExist, ValueError):
        raise Http404("Not found") from None
