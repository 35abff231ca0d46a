"""Reads for the base layer: what a user can see, and an object's history."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, QuerySet

from . import permissions as policy
from .models import FrameworkItem, FrameworkVersion, Provider, Service


def providers_with_services(user) -> list[Provider]:
    """Providers the user can see, each with ``visible_services`` (two queries + memberships)."""
    services = policy.services(user).order_by("name")
    providers = policy.providers(user).prefetch_related(
        Prefetch("services", queryset=services, to_attr="visible_services")
    )
    return list(providers)


def history_for(obj: Model, *, limit: int = 50) -> QuerySet[LogEntry]:
    """Audit-trail entries for one object, newest first."""
    ct = ContentType.objects.get_for_model(obj.__class__)
    return (
        LogEntry.objects.filter(content_type=ct, object_pk=str(obj.pk))
        .select_related("actor")
        .order_by("-timestamp")[:limit]
    )


def framework_items_grouped() -> list[tuple[FrameworkVersion, list[FrameworkItem]]]:
    items = FrameworkItem.objects.select_related("version", "key_question").order_by(
        "version__published", "key_question__order", "order"
    )
    grouped: dict[int, tuple[FrameworkVersion, list[FrameworkItem]]] = {}
    for item in items:
        grouped.setdefault(item.version_id, (item.version, []))[1].append(item)
    return list(grouped.values())


def service_for_slug(user, slug: str, verb: policy.Verb = policy.Verb.VIEW) -> Service:
    return policy.get_or_404(user, Service.objects.select_related("provider"), verb, slug=slug)
