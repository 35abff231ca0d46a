"""Reads for the base layer: what a user can see, and an object's history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils import timezone

from . import permissions as policy
from .models import AccessRecord, FrameworkItem, FrameworkVersion, Provider, Service


def providers_with_services(user) -> list[Provider]:
    """Providers the user can see, each with ``visible_services`` (two queries + memberships)."""
    services = policy.services(user).order_by("name")
    providers = policy.providers(user).prefetch_related(
        Prefetch("services", queryset=services, to_attr="visible_services")
    )
    return list(providers)


@dataclass(frozen=True)
class HistoryEntry:
    """One audit-trail entry, ready to show: who, when, and per field old -> new (or links)."""

    entry: LogEntry
    changes: list[tuple[str, str, str]]  # (field label, before, after)

    def __getattr__(self, name):
        return getattr(self.entry, name)


SKIPPED_FIELDS = {"id", "created_at", "updated_at"}


def _shown(value) -> str:
    text = "" if value is None else str(value)
    return "" if text in ("None", "[]", "{}") else text


def _history_rows(entry: LogEntry) -> list[tuple[str, str, str]]:
    """(label, before, after) per changed field; on creation only the fields that were set."""
    raw = entry.changes_dict or {}
    try:
        display = entry.changes_display_dict or {}
    except (OverflowError, ValueError):  # a date at the edge of the range cannot be shown in local time
        display = {}
    model = entry.content_type.model_class()
    created = entry.action == LogEntry.Action.CREATE
    rows = []
    for name, change in raw.items():
        if name in SKIPPED_FIELDS:
            continue
        try:
            field = model._meta.get_field(name) if model else None
        except Exception:  # a field since removed from the model
            field = None
        if field is not None and not field.concrete and not field.many_to_many:
            continue  # reverse relations: they have their own history
        label = str(field.verbose_name) if field is not None else name.replace("_", " ")
        if isinstance(change, dict) and change.get("type") == "m2m":
            verb = {"add": "linked", "delete": "unlinked"}.get(change.get("operation"), change.get("operation", ""))
            rows.append((label, verb, "; ".join(str(o) for o in change.get("objects", []))))
            continue
        shown = next((v for k, v in display.items() if str(k).lower() == label.lower()), change)
        before, after = (list(shown) + ["", ""])[:2] if isinstance(shown, list | tuple) else ("", shown)
        before, after = _shown(before), _shown(after)
        if created and not after:
            continue
        rows.append((label, before, after))
    return rows


def history_for(obj: Model, *, limit: int = 50) -> list[HistoryEntry]:
    """Audit-trail entries for one object, newest first (two queries whatever the length)."""
    ct = ContentType.objects.get_for_model(obj.__class__)
    entries = (
        LogEntry.objects.filter(content_type=ct, object_pk=str(obj.pk))
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
    return [HistoryEntry(entry, _history_rows(entry)) for entry in entries]


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


# --- who looked at what --------------------------------------------------------------


@dataclass(frozen=True)
class AccessFilters:
    person: Any = None  # a User
    service: Service | None = None
    kind: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def access_record_services(user) -> QuerySet[Service]:
    """Services whose access records ``user`` may read (quality leads, nominated individuals)."""
    return policy.services(user, policy.Verb.VIEW_ACCESS_RECORDS).order_by("provider__name", "name")


def access_record_people(user) -> QuerySet:
    """People who may appear in those records: members of those providers and services."""
    access = policy.access_for(user)
    verb = policy.Verb.VIEW_ACCESS_RECORDS
    scope = Q(memberships__provider_id__in=access.wide_provider_ids(verb)) | Q(
        memberships__service_id__in=access.service_ids(verb)
    )
    return get_user_model().objects.filter(scope).distinct().order_by("first_name", "last_name", "email")


def access_records(user, filters: AccessFilters) -> QuerySet[AccessRecord]:
    """The access records ``user`` may read, newest first, narrowed by ``filters``; one query
    per page of rows (with the person, service and provider), whatever the table holds."""
    records = policy.objects_for(user, AccessRecord.objects.all(), policy.Verb.VIEW_ACCESS_RECORDS)
    if filters.person is not None:
        records = records.filter(user=filters.person)
    if filters.service is not None:
        records = records.filter(service=filters.service)
    if filters.kind:
        records = records.filter(kind=filters.kind)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        records = records.filter(at__gte=datetime.datetime.combine(filters.date_from, datetime.time.min, zone))
    if filters.date_to:
        next_day = filters.date_to + datetime.timedelta(days=1)
        records = records.filter(at__lt=datetime.datetime.combine(next_day, datetime.time.min, zone))
    return records.select_related("user", "service", "provider").order_by("-at", "-pk")
