"""Review routes: default layers from risk, recording a review, the form outside a meeting, the pages."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core import events
from core.choices import Cadence, RiskLevel
from core.models import Role
from recovery.closure import services as closure
from recovery.models import RecoveryAction, ReviewLayer, ReviewOutcome, ReviewRecord
from recovery.plan.services import action_create, theme_create
from recovery.reviewing import services
from recovery.tests.factories import ThemeFactory, in_progress_action

TODAY = timezone.localdate
S = RecoveryAction.Status


def days_ago(n: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=n)


def route(subject) -> list[tuple[str, str]]:
    return [(la.reviewer_role, la.cadence) for la in subject.review_layers.order_by("order")]


@pytest.fixture
def heard():
    """What ``core.events.changed`` announced during the test."""
    seen = []

    def listener(subject, *, reason):
        seen.append((type(subject).__name__, subject.pk, reason))

    events.listen(listener)
    yield seen
    events._LISTENERS.remove(listener)


# --- Default routes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        (
            RiskLevel.HIGH,
            [
                (Role.REGISTERED_MANAGER, Cadence.WEEKLY),
                (Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY),
                (Role.BOARD_MEMBER, Cadence.QUARTERLY),
            ],
        ),
        (RiskLevel.MEDIUM, [(Role.REGISTERED_MANAGER, Cadence.WEEKLY), (Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY)]),
        (RiskLevel.LOW, [(Role.REGISTERED_MANAGER, Cadence.MONTHLY)]),
    ],
)
def test_a_new_action_takes_its_route_from_its_risk_and_owes_reviews_from_the_start(world, risk, expected):
    theme = ThemeFactory(service=world.service, owner=world.rm)
    action = action_create(
        actor=world.rm, theme=theme, title="Escalate", baseline_issue="Late", owner=world.deputy,
        due_date=TODAY() + datetime.timedelta(days=60), risk_level=risk, intended_outcome="Seen the same day.",
    )  # fmt: skip
    assert route(action) == expected
    assert all(la.next_due is None for la in action.review_layers.all()), "a draft owes no review"
    closure.action_open(actor=world.rm, action=action)
    closure.action_start(actor=world.rm, action=action)
    first = action.review_layers.order_by("order").first()
    assert first.next_due == TODAY() + datetime.timedelta(days=7 if risk != RiskLevel.LOW else 31)


def test_a_new_theme_takes_its_route_from_its_risk(world):
    theme = theme_create(
        actor=world.rm, provider=world.provider, service=world.service, title="Escalation", weakness_found="Late",
        source="inspection", owner=world.rm, risk_level=RiskLevel.HIGH,
    )  # fmt: skip
    assert route(theme) == [(Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY), (Role.BOARD_MEMBER, Cadence.QUARTERLY)]
    assert theme.review_layers.order_by("order").first().next_due == TODAY() + datetime.timedelta(days=31)


# --- Recording a review -------------------------------------------------------------------


def test_recording_a_review_appends_history_moves_the_layer_and_announces_it(world, heard):
    action = in_progress_action(world.service, days_ago=20)
    weekly = action.review_layers.get(reviewer_role=Role.REGISTERED_MANAGER)
    record = services.review_record(
        actor=world.rm, layer=weekly, reviewed_on=days_ago(2), outcome=ReviewOutcome.ASSURED,
        looked_at="Ten sampled care records and the senior oversight log.",
    )  # fmt: skip
    weekly.refresh_from_db()
    assert (weekly.last_reviewed_on, weekly.next_due) == (days_ago(2), days_ago(2) + datetime.timedelta(days=7))
    assert (record.action, record.reviewed_by, record.recorded_by, record.where) == (
        action,
        world.rm,
        world.rm,
        "Outside a meeting",
    )
    assert ("RecoveryAction", action.pk, "review") in heard
    # An older review is kept in the history and leaves the dates alone.
    services.review_record(
        actor=world.rm, layer=weekly, reviewed_on=days_ago(9), outcome=ReviewOutcome.FURTHER_CHECKS,
        looked_at="Late entry for last week's sample.",
    )  # fmt: skip
    weekly.refresh_from_db()
    assert weekly.last_reviewed_on == days_ago(2)
    assert ReviewRecord.objects.filter(layer=weekly).count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reviewed_on": None}, "reviewed_on"),
        ({"reviewed_on": TODAY() + datetime.timedelta(days=1)}, "reviewed_on"),
        ({"outcome": "maybe"}, "outcome"),
        ({"looked_at": "   "}, "looked_at"),
        ({"looked_at": "x" * 2001}, "looked_at"),
    ],
)
def test_a_review_needs_a_past_date_an_outcome_and_what_was_looked_at(world, change, field):
    layer = in_progress_action(world.service).review_layers.first()
    data = {"reviewed_on": days_ago(1), "outcome": ReviewOutcome.ASSURED, "looked_at": "Records.", **change}
    with pytest.raises(ValidationError) as exc:
        services.review_record(actor=world.rm, layer=layer, **data)
    assert field in exc.value.message_dict
    assert not ReviewRecord.objects.exists()


def test_only_reviewers_record_and_the_reviewer_must_belong_here(world):
    layer = in_progress_action(world.service).review_layers.get(reviewer_role=Role.REGISTERED_MANAGER)
    with pytest.raises(PermissionDenied):
        services.review_record(
            actor=world.deputy, layer=layer, reviewed_on=days_ago(1), outcome="assured", looked_at="Records."
        )
    with pytest.raises(ValidationError) as exc:
        services.review_record(
            actor=world.rm, layer=layer, reviewed_on=days_ago(1), outcome="assured", looked_at="Records.",
            reviewed_by=world.outsider,
        )  # fmt: skip
    assert "reviewed_by" in exc.value.message_dict


def test_the_board_records_its_own_quarterly_layer_but_no_other(world):
    action = in_progress_action(world.service, risk_level=RiskLevel.HIGH)
    board = action.review_layers.get(reviewer_role=Role.BOARD_MEMBER)
    ni = action.review_layers.get(reviewer_role=Role.NOMINATED_INDIVIDUAL)
    assert services.may_record_review(world.board, board)
    assert not services.may_record_review(world.board, ni)


def test_a_retired_layer_takes_no_review_but_keeps_its_history(world):
    layer = in_progress_action(world.service).review_layers.first()
    services.review_record(actor=world.rm, layer=layer, reviewed_on=days_ago(1), outcome="assured", looked_at="R.")
    services.layer_retire(actor=world.rm, layer=layer)
    with pytest.raises(ValidationError):
        services.review_record(actor=world.rm, layer=layer, reviewed_on=TODAY(), outcome="assured", looked_at="R.")
    assert ReviewRecord.objects.filter(layer=layer).count() == 1


def test_editing_a_layer_moves_its_next_due_and_is_in_the_audit_trail(world):
    action = in_progress_action(world.service, days_ago=20)
    layer = action.review_layers.get(reviewer_role=Role.REGISTERED_MANAGER)
    services.review_record(actor=world.rm, layer=layer, reviewed_on=days_ago(3), outcome="assured", looked_at="R.")
    services.layer_update(actor=world.rm, layer=layer, reviewer_role=Role.REGISTERED_MANAGER, cadence=Cadence.MONTHLY)
    layer.refresh_from_db()
    assert layer.next_due == days_ago(3) + datetime.timedelta(days=31)
    entry = LogEntry.objects.get_for_object(layer).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert "cadence" in entry.changes_dict
    with pytest.raises(PermissionDenied):
        services.layer_update(actor=world.owner, layer=layer, reviewer_role=Role.LEAD, cadence=Cadence.WEEKLY)
    with pytest.raises(ValidationError):
        services.layer_add(actor=world.rm, subject=action, cadence=Cadence.WEEKLY)  # nobody named


# --- The "Record a review" page -----------------------------------------------------------


def _form(layer, **over):
    data = {
        "layer": layer.pk,
        "reviewed_on": days_ago(1).isoformat(),
        "reviewed_by": layer.action.owner_id if layer.action_id else "",
        "outcome": "assured",
        "looked_at": "Sampled five records and observed a handover.",
    }
    data.update(over)
    return data


def test_the_form_records_a_review_outside_a_meeting(world, client):
    action = in_progress_action(world.service, days_ago=20, owner=world.deputy)
    layer = action.review_layers.get(reviewer_role=Role.NOMINATED_INDIVIDUAL)
    client.force_login(world.ni)
    url = reverse("recovery:review_record_action", kwargs={"pk": action.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, _form(layer, reviewed_by=world.ni.pk, outcome="further_checks"))
    assert response.status_code == 302 and response["Location"].endswith("#reviews")
    record = ReviewRecord.objects.get()
    assert (record.layer, record.reviewed_by, record.outcome, record.place) == (layer, world.ni, "further_checks", "")
    page = client.get(action.get_absolute_url()).content.decode()
    assert "Further checks needed" in page and "Outside a meeting" in page


def test_the_form_keeps_what_was_typed_when_the_input_is_wrong(world, client):
    action = in_progress_action(world.service)
    layer = action.review_layers.first()
    client.force_login(world.rm)
    url = reverse("recovery:review_record_action", kwargs={"pk": action.pk})
    future = (TODAY() + datetime.timedelta(days=3)).isoformat()
    response = client.post(url, _form(layer, reviewed_by=world.rm.pk, reviewed_on=future))
    assert response.status_code == 200
    body = response.content.decode()
    assert "in the future" in body and "Sampled five records and observed a handover." in body
    response = client.post(url, _form(layer, reviewed_by=world.rm.pk, looked_at="", outcome="decision_recorded"))
    assert response.status_code == 200 and not ReviewRecord.objects.exists()


def test_foreign_ids_are_not_found(world, client):
    mine = in_progress_action(world.service)
    other = in_progress_action(world.other_service)
    client.force_login(world.rm)
    assert client.get(reverse("recovery:review_record_action", kwargs={"pk": other.pk})).status_code == 404
    other_theme = ThemeFactory(service=world.other_service)
    assert client.get(reverse("recovery:review_record_theme", kwargs={"pk": other_theme.pk})).status_code == 404
    other_layer = other.review_layers.first()
    assert client.get(reverse("recovery:layer_edit", kwargs={"pk": other_layer.pk})).status_code == 404
    # Another action's layer posted on my action's form is refused, and nothing is recorded.
    url = reverse("recovery:review_record_action", kwargs={"pk": mine.pk})
    response = client.post(url, _form(other_layer, reviewed_by=world.rm.pk))
    assert response.status_code == 200 and not ReviewRecord.objects.exists()
    assert client.post(reverse("recovery:layer_remove", kwargs={"pk": other_layer.pk})).status_code == 404
    assert other_layer.__class__.objects.get(pk=other_layer.pk).retired_at is None


def test_theme_form_and_layer_editing_pages(world, client):
    theme = ThemeFactory(service=world.service, owner=world.rm)
    layer = theme.review_layers.get()
    client.force_login(world.ni)
    url = reverse("recovery:review_record_theme", kwargs={"pk": theme.pk})
    data = _form(layer, reviewed_by=world.ni.pk)
    assert client.post(url, data).status_code == 302
    layer.refresh_from_db()
    assert layer.last_reviewed_on == days_ago(1)
    add = reverse("recovery:layer_add_theme", kwargs={"pk": theme.pk})
    assert client.post(add, {"reviewer_role": "", "cadence": "weekly"}).status_code == 200  # nobody named
    assert client.post(add, {"reviewer_role": Role.BOARD_MEMBER, "cadence": "quarterly"}).status_code == 302
    assert route(theme)[-1] == (Role.BOARD_MEMBER, Cadence.QUARTERLY)
    edit = reverse("recovery:layer_edit", kwargs={"pk": layer.pk})
    assert client.post(edit, {"reviewer": world.quality.pk, "cadence": "fortnightly"}).status_code == 302
    layer.refresh_from_db()
    assert (layer.reviewer, layer.cadence, layer.name) == (
        world.quality,
        "fortnightly",
        f"Fortnightly review by {world.quality}",
    )


# --- The pages ----------------------------------------------------------------------------


def _with_history(action, n: int, world) -> None:
    for layer in action.review_layers.all():
        for i in range(n):
            services.review_record(
                actor=world.rm, layer=layer, reviewed_on=days_ago(i + 1), outcome="assured", looked_at=f"Sample {i}"
            )


@pytest.mark.parametrize("n", [1, 12])
def test_the_action_page_shows_each_layer_and_the_history_in_bounded_queries(
    world, client, django_assert_max_num_queries, n
):
    action = in_progress_action(world.service, days_ago=60, risk_level=RiskLevel.HIGH)
    _with_history(action, n, world)
    ReviewLayer.objects.filter(action=action, reviewer_role=Role.BOARD_MEMBER).update(next_due=days_ago(4))
    client.force_login(world.ni)
    with django_assert_max_num_queries(40):
        body = client.get(action.get_absolute_url()).content.decode()
    assert "Weekly RM review" in body and "Monthly NI review" in body and "Quarterly provider board review" in body
    assert "Overdue 4 days" in body
    assert body.count("Sample 0") == 3


@pytest.mark.parametrize("n", [1, 12])
def test_the_theme_page_shows_its_route_in_bounded_queries(world, client, django_assert_max_num_queries, n):
    theme = ThemeFactory(service=world.service, owner=world.rm, risk_level=RiskLevel.HIGH)
    for layer in theme.review_layers.all():
        for i in range(n):
            services.review_record(
                actor=world.ni, layer=layer, reviewed_on=days_ago(i + 1), outcome="not_assured", looked_at=f"T {i}"
            )
    client.force_login(world.ni)
    with django_assert_max_num_queries(40):
        body = client.get(theme.get_absolute_url()).content.decode()
    assert "Monthly NI review" in body and "Not assured" in body


def test_page_queries_do_not_grow_with_layers_or_history(world, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(action) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(action.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(world.ni)
    small = in_progress_action(world.service, days_ago=60, risk_level=RiskLevel.LOW)
    big = in_progress_action(world.service, days_ago=60, risk_level=RiskLevel.HIGH)
    _with_history(small, 1, world)
    _with_history(big, 20, world)
    count(small)  # warm the caches (sessions, memberships)
    assert count(big) == count(small)
