"""The one permission policy.

It answers three questions, and every list, page, form, download and job asks it:
- may this user do VERB at all (``policy.can(user, verb)``), or to this object
  (``policy.can(user, verb, obj)``);
- which objects may this user see or change (``policy.objects_for(user, queryset, verb)``);
- fetch one object for this user or raise 404 / 403 (``policy.get_or_404``).

Roles grant verbs through ``ROLE_VERBS``, the single table of who may do what. A
membership grants its role across a whole provider (service empty) or at one service.
Objects outside the user's reach are reported as missing (404), never as forbidden, so
nobody learns that another provider's object exists. A visible object the role may not
change gives 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from . import access
from .models import Membership, Provider, Role, Service


class Verb(StrEnum):
    VIEW = "view"
    EDIT_PLAN = "edit_plan"  # themes, learning, actions, steps, measures
    RECORD_DATA = "record_data"  # measure data points
    LOG_AUDIT = "log_audit"
    MANAGE_TEMPLATES = "manage_templates"
    ADD_EVIDENCE = "add_evidence"
    REMOVE_EVIDENCE = "remove_evidence"
    PROPOSE_CLOSURE = "propose_closure"
    DECIDE_CLOSURE = "decide_closure"  # ordinary-risk actions
    DECIDE_HIGH_RISK_CLOSURE = "decide_high_risk_closure"
    REVIEW_LEARNING = "review_learning"
    RUN_REVIEW = "run_review"  # schedule, minute and finalise oversight reviews
    CHALLENGE = "challenge"  # raise questions and challenges in reviews
    HANDLE_FLAGS = "handle_flags"
    GENERATE_PACK = "generate_pack"
    VIEW_ACCESS_RECORDS = "view_access_records"  # "Who looked at what"


V = Verb
_PLAN_WORK = {V.VIEW, V.EDIT_PLAN, V.RECORD_DATA, V.LOG_AUDIT, V.ADD_EVIDENCE, V.PROPOSE_CLOSURE, V.HANDLE_FLAGS}

# The table of roles and their verbs. Rules that depend on the object (nobody approves
# their own proposal; high-risk closures need the nominated individual) live in the
# domain services, which ask this table first.
ROLE_VERBS: dict[str, frozenset[Verb]] = {
    Role.REGISTERED_MANAGER: frozenset(_PLAN_WORK | {V.REMOVE_EVIDENCE, V.DECIDE_CLOSURE, V.RUN_REVIEW, V.CHALLENGE}),
    Role.DEPUTY_MANAGER: frozenset(_PLAN_WORK),
    Role.LEAD: frozenset(_PLAN_WORK),
    Role.ACTION_OWNER: frozenset({V.VIEW, V.RECORD_DATA, V.ADD_EVIDENCE, V.PROPOSE_CLOSURE}),
    Role.QUALITY_LEAD: frozenset(
        _PLAN_WORK
        | {V.MANAGE_TEMPLATES, V.REMOVE_EVIDENCE, V.RUN_REVIEW, V.CHALLENGE, V.GENERATE_PACK, V.VIEW_ACCESS_RECORDS}
    ),
    Role.NOMINATED_INDIVIDUAL: frozenset(
        {
            V.VIEW,
            V.EDIT_PLAN,
            V.ADD_EVIDENCE,
            V.DECIDE_CLOSURE,
            V.DECIDE_HIGH_RISK_CLOSURE,
            V.REVIEW_LEARNING,
            V.RUN_REVIEW,
            V.CHALLENGE,
            V.HANDLE_FLAGS,
            V.GENERATE_PACK,
            V.VIEW_ACCESS_RECORDS,
        }
    ),
    Role.BOARD_MEMBER: frozenset({V.VIEW, V.CHALLENGE}),
    Role.VIEWER: frozenset({V.VIEW}),
}


def roles_with(verb: Verb) -> frozenset[str]:
    return frozenset(role for role, verbs in ROLE_VERBS.items() if verb in verbs)


@dataclass
class Access:
    """What one user's memberships grant; loaded with one query and cached on the user."""

    memberships: list[tuple[int, int | None, str]]  # (provider_id, service_id or None, role)
    _cache: dict[Any, frozenset[int]] = field(default_factory=dict)

    def wide_provider_ids(self, verb: Verb) -> frozenset[int]:
        """Providers where a provider-wide role grants ``verb``."""
        key = ("wide", verb)
        if key not in self._cache:
            roles = roles_with(verb)
            self._cache[key] = frozenset(p for p, s, r in self.memberships if s is None and r in roles)
        return self._cache[key]

    def service_ids(self, verb: Verb) -> frozenset[int]:
        """Services where a service-level role grants ``verb``."""
        key = ("service", verb)
        if key not in self._cache:
            roles = roles_with(verb)
            self._cache[key] = frozenset(s for p, s, r in self.memberships if s is not None and r in roles)
        return self._cache[key]

    def member_provider_ids(self) -> frozenset[int]:
        """Providers where the user holds any role (enough to see provider-wide records)."""
        return frozenset(p for p, s, r in self.memberships)

    def roles_at(self, provider_id: int, service_id: int | None) -> set[str]:
        return {r for p, s, r in self.memberships if p == provider_id and (s is None or s == service_id)}


def access_for(user) -> Access:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(memberships=[])
    cached = getattr(user, "_recovery_access", None)
    if cached is None:
        rows = Membership.objects.filter(user=user).values_list("provider_id", "service_id", "role")
        cached = Access(memberships=list(rows))
        user._recovery_access = cached
    return cached


def forget(user) -> None:
    """Drop the cached memberships (after they change)."""
    if hasattr(user, "_recovery_access"):
        del user._recovery_access


def scope_of(obj: Model) -> tuple[int, int | None]:
    """(provider id, service id or None) of a tenant object."""
    if isinstance(obj, Provider):
        return obj.pk, None
    if isinstance(obj, Service):
        return obj.provider_id, obj.pk
    return obj.provider_id, getattr(obj, "service_id", None)


def can(user, verb: Verb, obj: Model | None = None) -> bool:
    """May ``user`` do ``verb`` - anywhere (no obj), or to/at ``obj``."""
    access = access_for(user)
    if obj is None:
        return bool(access.wide_provider_ids(verb) or access.service_ids(verb))
    provider_id, service_id = scope_of(obj)
    if provider_id in access.wide_provider_ids(verb):
        return True
    if isinstance(obj, Provider):
        # Acting on the provider itself: for viewing, any role there will do.
        return verb == Verb.VIEW and provider_id in access.member_provider_ids()
    if service_id is None:
        return verb == Verb.VIEW and provider_id in access.member_provider_ids()
    return service_id in access.service_ids(verb)


def objects_for(
    user,
    queryset: QuerySet,
    verb: Verb = Verb.VIEW,
    *,
    service_field: str = "service",
    provider_field: str = "provider",
) -> QuerySet:
    """The objects of ``queryset`` on which ``user`` may do ``verb``."""
    access = access_for(user)
    model = queryset.model
    if model is Provider:
        ids = access.member_provider_ids() if verb == Verb.VIEW else access.wide_provider_ids(verb)
        return queryset.filter(pk__in=ids)
    if model is Service:
        return queryset.filter(Q(provider_id__in=access.wide_provider_ids(verb)) | Q(pk__in=access.service_ids(verb)))
    q = Q(**{f"{provider_field}__in": access.wide_provider_ids(verb)})
    if service_field:
        q |= Q(**{f"{service_field}__in": access.service_ids(verb)})
        if verb == Verb.VIEW:
            q |= Q(**{f"{service_field}__isnull": True, f"{provider_field}__in": access.member_provider_ids()})
    return queryset.filter(q)


def services(user, verb: Verb = Verb.VIEW) -> QuerySet[Service]:
    return objects_for(user, Service.objects.select_related("provider"), verb)


def providers(user, verb: Verb = Verb.VIEW) -> QuerySet[Provider]:
    return objects_for(user, Provider.objects.all(), verb)


def get_or_404(user, queryset: QuerySet, verb: Verb = Verb.VIEW, **lookup):
    """One object the user may see, else 404; if seen but ``verb`` is not allowed, 403.

    "Missing" and "not yours" are the same answer on purpose.
    """
    try:
        obj = objects_for(user, queryset, Verb.VIEW).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("Not found") from None
    if verb != Verb.VIEW and not can(user, verb, obj):
        raise PermissionDenied("Your role does not allow this.")
    access.saw(obj)  # a recorded page's subject (core/access.py)
    return obj


def get_through_or_404(user, queryset: QuerySet, parent: str, verb: Verb = Verb.VIEW, **lookup):
    """As ``get_or_404`` for a row with no tenant columns of its own (an agenda item, a step),
    scoped through its ``parent`` (the name of the foreign key to a row that has them)."""
    scoped = objects_for(
        user,
        queryset.select_related(parent, f"{parent}__service", f"{parent}__provider"),
        Verb.VIEW,
        service_field=f"{parent}__service",
        provider_field=f"{parent}__provider",
    )
    try:
        obj = scoped.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("Not found") from None
    if verb != Verb.VIEW:
        require(user, verb, getattr(obj, parent))
    access.saw(getattr(obj, parent))  # the row has no tenant columns; its parent has
    return obj


def require(user, verb: Verb, obj: Model | None = None) -> None:
    if not can(user, verb, obj):
        raise PermissionDenied("Your role does not allow this.")


def users_with(verb: Verb, obj: Model) -> QuerySet:
    """Active users who may do ``verb`` at ``obj`` (for owner pickers and digests)."""
    from django.contrib.auth import get_user_model

    provider_id, service_id = scope_of(obj)
    roles = roles_with(verb)
    q = Q(memberships__provider_id=provider_id, memberships__service__isnull=True, memberships__role__in=roles)
    if service_id is not None:
        q |= Q(memberships__service_id=service_id, memberships__role__in=roles)
    return get_user_model().objects.filter(q, is_active=True).distinct()


def role_labels(roles: Iterable[str]) -> list[str]:
    return [Role(r).label for r in sorted(roles)]
