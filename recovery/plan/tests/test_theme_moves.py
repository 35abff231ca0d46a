"""A theme's status moves only by named transition, each recorded and on the audit trail."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from recovery.closure import services as closure
from recovery.models import FailureTheme, RecoveryAction, ThemeTransition
from recovery.plan.forms import ThemeMoveForm
from recovery.plan.models import ThemeMove, theme_moves_from
from recovery.plan.services import theme_move
from recovery.tests.factories import ActionFactory, ThemeFactory, proposed_action

pytestmark = pytest.mark.django_db
T = FailureTheme.Status


def _status_entries(theme):
    ct = ContentType.objects.get_for_model(FailureTheme)
    return [
        e.changes_dict["status"]
        for e in LogEntry.objects.filter(content_type=ct, object_pk=str(theme.pk)).order_by("timestamp", "pk")
        if "status" in e.changes_dict and e.action == LogEntry.Action.UPDATE
    ]


def test_each_move_is_recorded_and_audited(world):
    theme = ThemeFactory(service=world.service)
    theme_move(actor=world.rm, theme=theme, move=ThemeMove.MONITOR, reason="Actions under way; watching.")
    theme_move(actor=world.rm, theme=theme, move=ThemeMove.CLOSE, reason="Every action closed on evidence.")
    theme_move(actor=world.deputy, theme=theme, move=ThemeMove.REOPEN, reason="Falls rising again.")
    rows = list(theme.transitions.values_list("move", "from_status", "to_status", "actor", "reason"))
    assert rows == [
        ("monitor", T.OPEN, T.MONITORING, world.rm.pk, "Actions under way; watching."),
        ("close", T.MONITORING, T.CLOSED, world.rm.pk, "Every action closed on evidence."),
        ("reopen", T.CLOSED, T.OPEN, world.deputy.pk, "Falls rising again."),
    ]
    assert _status_entries(theme) == [["open", "monitoring"], ["monitoring", "closed"], ["closed", "open"]]
    theme.refresh_from_db()
    assert theme.status == T.OPEN and theme.closed_at is None


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(T.OPEN, ["monitor", "close"]), (T.MONITORING, ["close", "reopen"]), (T.CLOSED, ["reopen"])],
)
def test_only_the_allowed_moves_are_offered_and_accepted(world, status, allowed):
    theme = ThemeFactory(service=world.service)
    FailureTheme.objects.filter(pk=theme.pk).update(status=status)
    theme.refresh_from_db()
    assert theme_moves_from(status) == allowed
    assert [value for value, _label in ThemeMoveForm(theme=theme).fields["move"].choices] == allowed
    for move in set(ThemeMove.values) - set(allowed):
        with pytest.raises(ValidationError, match="cannot be moved to"):
            theme_move(actor=world.rm, theme=theme, move=move, reason="Try it")
    assert not ThemeTransition.objects.filter(theme=theme).exists()


def test_a_move_needs_a_reason_and_the_plan_verb(world):
    theme = ThemeFactory(service=world.service)
    with pytest.raises(ValidationError) as exc:
        theme_move(actor=world.rm, theme=theme, move=ThemeMove.MONITOR, reason="  ")
    assert exc.value.message_dict == {"reason": ["Say why the theme's status is changing."]}
    with pytest.raises(PermissionDenied):
        theme_move(actor=world.viewer, theme=theme, move=ThemeMove.MONITOR, reason="Because")


def test_a_theme_with_an_open_draft_does_not_close(world):
    theme = ThemeFactory(service=world.service)
    ActionFactory(theme=theme, status=RecoveryAction.Status.DRAFT)
    with pytest.raises(ValidationError, match="1 action"):
        theme_move(actor=world.rm, theme=theme, move=ThemeMove.CLOSE, reason="Done?")


def test_a_stale_page_cannot_move_a_theme_twice(world):
    theme = ThemeFactory(service=world.service)
    seen_by_other = FailureTheme.objects.get(pk=theme.pk)
    theme_move(actor=world.rm, theme=theme, move=ThemeMove.CLOSE, reason="All closed")
    with pytest.raises(ValidationError, match="A theme that is closed cannot be moved to closed"):
        theme_move(actor=world.deputy, theme=seen_by_other, move=ThemeMove.CLOSE, reason="Also closing")
    assert theme.transitions.count() == 1


def test_reopening_an_action_reopens_its_closed_theme_through_the_door(world):
    theme = ThemeFactory(service=world.service)
    action = proposed_action(world.service, proposer=world.lead, theme=theme)
    closure.action_decide_closure(actor=world.rm, action=action, decision="approve", rationale="Holds")
    theme_move(actor=world.rm, theme=theme, move=ThemeMove.CLOSE, reason="Its only action closed")
    closure.action_reopen(actor=world.rm, action=action, reason="Complaints rising")
    last = theme.transitions.last()
    assert (last.move, last.to_status, last.actor) == ("reopen", T.OPEN, world.rm)
    assert last.reason == f"{action.reference} was reopened: Complaints rising"


def test_the_theme_page_offers_one_button_per_move(world, login):
    client = login(world.rm)
    theme = ThemeFactory(service=world.service)
    page = client.get(reverse("recovery:theme_detail", kwargs={"pk": theme.pk})).content.decode()
    assert 'name="move" value="monitor"' in page and 'name="move" value="close"' in page
    assert 'value="reopen"' not in page and 'name="status"' not in page
    url = reverse("recovery:theme_move", kwargs={"pk": theme.pk})
    response = client.post(url, {"move": "monitor", "reason": "Watching the measures."})
    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.status == T.MONITORING
    client.post(url, {"move": "monitor", "reason": "Again"})  # no longer allowed: nothing happens
    assert theme.transitions.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_theme_transitions_cannot_be_changed_on_postgresql(world):
    from django.db import DatabaseError, transaction

    theme = ThemeFactory(service=world.service)
    theme_move(actor=world.rm, theme=theme, move=ThemeMove.MONITOR, reason="Watching")
    with pytest.raises(DatabaseError), transaction.atomic():
        ThemeTransition.objects.filter(theme=theme).update(reason="rewritten")


def test_the_admin_refuses_to_add_change_or_delete_theme_transitions(world, rf):
    from django.contrib import admin

    model_admin = admin.site._registry[ThemeTransition]
    request = rf.get("/")
    request.user = world.rm
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
