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

# Fixtures for the tests that start real processes and a real S3 API server.
pytest_plugins = ["tests.processes", "tests.s3"]

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


def runtime_role_credentials() -> tuple[str, str]:
    """(name, password) of the runtime database role: RUNTIME_DATABASE_URL's, as .ci/run sets it."""
    import environ

    config = environ.Env.db_url_config(
        os.environ.get("RUNTIME_DATABASE_URL") or "postgres://recovery_app:recovery_app@127.0.0.1:5432/unused"
    )
    return config["USER"], config["PASSWORD"]


@pytest.fixture
def runtime_database(transactional_db) -> dict:
    """Connection settings for this test database as the runtime role (PostgreSQL only).

    The test runner connects as the owner, creates the role if it is missing and grants it what
    production grants (``grant_runtime_role``), committed, so another process can use it.
    """
    import io

    from django.core.management import call_command
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI runs on PostgreSQL: set DATABASE_URL")
        pytest.skip("database roles are PostgreSQL's")
    name, password = runtime_role_credentials()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone() is None:
            try:
                cursor.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', [password])
            except DatabaseError:  # created meanwhile by another test process
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
                assert cursor.fetchone(), f"could not create the runtime role {name}"
    call_command("grant_runtime_role", role=name, stdout=io.StringIO())
    return {**connection.settings_dict, "USER": name, "PASSWORD": password}
