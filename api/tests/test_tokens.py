"""API tokens: made by ``api_token`` and on the account page, shown once, stored hashed,
revoked at once, on the audit trail, and their last use recorded."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.urls import reverse

from api import tokens
from api.models import ApiToken
from api.tests.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def _entries(token: ApiToken):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ApiToken), object_pk=str(token.pk)
    ).order_by("pk")


def test_the_command_prints_a_token_once_and_stores_only_its_hash(world):
    token = make_token(world.lead, scope="read", name="Rota system")
    row = ApiToken.objects.get()
    assert token.startswith(f"rg_{row.prefix}_") and len(token) > 40
    assert row.secret_hash == tokens.digest(token) and token not in row.secret_hash
    assert (row.user, row.name, row.scope, row.revoked_at, row.last_used_at) == (
        world.lead,
        "Rota system",
        "read",
        None,
        None,
    )
    (entry,) = _entries(row)
    assert entry.action == LogEntry.Action.CREATE and "secret_hash" not in entry.changes_dict


def test_the_command_refuses_an_unknown_email_and_a_bad_scope(world):
    with pytest.raises(CommandError, match="No account"):
        call_command("api_token", "nobody@example.test", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("api_token", world.lead.email, scope="admin", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_a_token_records_when_it_was_last_used(world):
    token = make_token(world.lead)
    assert ApiClient(token).get(reverse("api_v1:provider-list")).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    # Not on the trail: the only entry is the creation.
    assert _entries(ApiToken.objects.get()).count() == 1


def test_a_disabled_account_token_is_refused(world):
    token = make_token(world.lead)
    world.lead.is_active = False
    world.lead.save()
    assert ApiClient(token).get(reverse("api_v1:provider-list")).status_code == 401


def test_the_account_page_links_to_the_tokens_page(world, login):
    client = login(world.lead)
    page = client.get(reverse("core:account")).content.decode()
    assert reverse("api:tokens") in page


def test_make_a_token_on_the_account_page_see_it_once_then_revoke_it(world, login):
    client = login(world.lead)
    url = reverse("api:tokens")
    response = client.post(url, {"name": "Care records", "scope": "write"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    row = ApiToken.objects.get()
    shown = response.context["made"]["token"]
    assert shown in response.content.decode() and tokens.matches(shown, row.secret_hash)
    assert (row.user, row.scope, row.created_by) == (world.lead, "write", world.lead)
    assert ApiClient(shown).get(reverse("api_v1:provider-list")).status_code == 200
    # The list shows the prefix, never the token again.
    listed = client.get(url).content.decode()
    assert f"rg_{row.prefix}_" in listed and shown not in listed

    response = client.post(url, {"revoke": row.pk})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert ApiClient(shown).get(reverse("api_v1:provider-list")).status_code == 401
    create, revoke = _entries(row)
    assert create.actor == world.lead and revoke.actor == world.lead
    assert "revoked_at" in revoke.changes_dict


def test_a_blank_name_is_refused_on_the_page_with_what_was_typed_kept(world, login):
    client = login(world.lead)
    response = client.post(reverse("api:tokens"), {"name": "  ", "scope": "write"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked(world, login):
    make_token(world.rm)
    theirs = ApiToken.objects.get()
    client = login(world.lead)
    assert client.post(reverse("api:tokens"), {"revoke": theirs.pk}).status_code == 404
    assert client.post(reverse("api:tokens"), {"revoke": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert f"rg_{theirs.prefix}" not in client.get(reverse("api:tokens")).content.decode()


def test_support_staff_can_revoke_a_token_in_the_admin(world, client):
    from django.contrib.auth import get_user_model

    make_token(world.lead)
    row = ApiToken.objects.get()
    admin_user = get_user_model().objects.create_superuser(email="support@example.test", password="x-long-password")
    client.force_login(admin_user)
    listing = client.get(reverse("admin:api_apitoken_changelist"))
    assert listing.status_code == 200 and row.secret_hash not in listing.content.decode()
    assert client.get(reverse("admin:api_apitoken_change", args=[row.pk])).status_code == 200
    response = client.post(reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert _entries(row).last().actor == admin_user
