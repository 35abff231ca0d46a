"""Shared fixtures: a small world of two providers and named personas.

Personas (see ``PERSONAS``): a registered manager, deputy, lead and action owner at one
service; a quality lead, nominated individual and board member across the provider; a
read-only viewer at the service; and an outsider, the registered manager of another
provider's service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from core.models import Provider, Role, Service, User
from core.tests.factories import MembershipFactory, ProviderFactory, ServiceFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"

# persona -> (role, where): "service" = the main service, "provider" = provider-wide,
# "other" = the other provider's service.
PERSONAS: dict[str, tuple[str, str]] = {
    "rm": (Role.REGISTERED_MANAGER, "service"),
    "deputy": (Role.DEPUTY_MANAGER, "service"),
    "lead": (Role.LEAD, "service"),
    "owner": (Role.ACTION_OWNER, "service"),
    "quality": (Role.QUALITY_LEAD, "provider"),
    "ni": (Role.NOMINATED_INDIVIDUAL, "provider"),
    "board": (Role.BOARD_MEMBER, "provider"),
    "viewer": (Role.VIEWER, "service"),
    "outsider": (Role.REGISTERED_MANAGER, "other"),
}
SERVICE_LEVEL = {name for name, (_, where) in PERSONAS.items() if where == "service"}
PROVIDER_LEVEL = {name for name, (_, where) in PERSONAS.items() if where == "provider"}


@dataclass
class World:
    provider: Provider
    service: Service
    sibling: Service  # same provider, where the service-level personas have no role
    other_provider: Provider
    other_service: Service
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


def ensure_frameworks() -> None:
    """The framework rows come from a data migration; transactional tests flush them."""
    from django.apps import apps

    from core.framework_data import load
    from core.models import FrameworkItem

    if not FrameworkItem.objects.exists():
        load(apps)


@pytest.fixture
def world(db) -> World:
    ensure_frameworks()
    provider = ProviderFactory(name="Oakfield Care Group", slug="oak")
    other_provider = ProviderFactory(name="Riverside Care", slug="river")
    w = World(
        provider=provider,
        service=ServiceFactory(provider=provider, name="Oak House", slug="oak-house"),
        sibling=ServiceFactory(provider=provider, name="Oak Lodge", slug="oak-lodge"),
        other_provider=other_provider,
        other_service=ServiceFactory(provider=other_provider, name="River House", slug="river-house"),
    )
    for name, (role, where) in PERSONAS.items():
        user = UserFactory(email=f"{name}@example.test", first_name=name.title(), last_name="Persona")
        if where == "service":
            MembershipFactory(user=user, provider=provider, service=w.service, role=role)
        elif where == "provider":
            MembershipFactory(user=user, provider=provider, service=None, role=role)
        else:
            MembershipFactory(user=user, provider=other_provider, service=w.other_service, role=role)
        w.users[name] = user
    return w


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as that user."""

    def _login(user: User):
        client.force_login(user)
        return client

    return _login
