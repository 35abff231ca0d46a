"""0012 turns each action's and theme's single review cadence into the first layer of a route,
keeping what it meant; governance 0006 moves open overdue-review flags onto that layer."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("recovery", "0011_free_text_length_limits"), ("governance", "0005_free_text_length_limits")]
AFTER = [("recovery", "0012_review_layers"), ("governance", "0006_agenda_item_reviews")]


@pytest.fixture
def back_to_latest():
    """The test database ends at the latest migrations again, whatever happens."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_single_cadences_become_layers_with_the_same_dates(world, back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Theme, Action = apps.get_model("recovery", "FailureTheme"), apps.get_model("recovery", "RecoveryAction")
    Flag = apps.get_model("governance", "Flag")
    today = timezone.localdate()
    days = datetime.timedelta
    theme = Theme.objects.create(
        provider_id=world.provider.pk, service_id=world.service.pk, title="Escalation", weakness_found="Late",
        source="inspection", owner_id=world.rm.pk, review_cadence="monthly", last_reviewed_at=today - days(40),
    )  # fmt: skip
    wide = Theme.objects.create(
        provider_id=world.provider.pk, service_id=None, title="Audits", weakness_found="Weak",
        source="internal_audit", owner_id=world.ni.pk, review_cadence="quarterly",
    )  # fmt: skip
    fields = dict(
        theme=theme, provider_id=world.provider.pk, service_id=world.service.pk, baseline_issue="Late",
        owner_id=world.deputy.pk, due_date=today + days(30),
    )  # fmt: skip
    reviewed = Action.objects.create(
        title="Reviewed", review_role="quality_lead", review_cadence="fortnightly", status="in_progress",
        started_on=today - days(60), last_reviewed_at=today - days(20), **fields,
    )  # fmt: skip
    never = Action.objects.create(
        title="Never reviewed", review_role="registered_manager", review_cadence="weekly", status="in_progress",
        started_on=today - days(10), **fields,
    )  # fmt: skip
    draft = Action.objects.create(title="Draft", review_cadence="monthly", status="draft", **fields)
    flag = Flag.objects.create(
        provider_id=world.provider.pk, service_id=world.service.pk, kind="overdue_review", subject_type="action",
        subject_id=reviewed.pk, subject_label="A", cause="action_review", detail="Review due",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    # The models as they are at AFTER (today's have columns later migrations add).
    after = executor.loader.project_state(AFTER).apps
    FlagNow, ReviewLayer = after.get_model("governance", "Flag"), after.get_model("recovery", "ReviewLayer")

    def layer(**subject):
        (only,) = ReviewLayer.objects.filter(**subject)
        return only

    a = layer(action_id=reviewed.pk)
    assert (a.reviewer_role, a.cadence, a.last_reviewed_on, a.next_due) == (
        "quality_lead",
        "fortnightly",
        today - days(20),
        today - days(6),
    )
    n = layer(action_id=never.pk)
    assert (n.reviewer_role, n.last_reviewed_on, n.next_due) == ("registered_manager", None, today - days(3))
    assert layer(action_id=draft.pk).next_due is None, "a draft owes no review, as before"
    t = layer(theme_id=theme.pk)
    assert (t.reviewer_role, t.cadence, t.next_due) == ("registered_manager", "monthly", today - days(9))
    w = layer(theme_id=wide.pk)
    assert (w.reviewer_role, w.cadence) == ("nominated_individual", "quarterly")
    assert w.next_due == timezone.localdate(wide.created_at) + days(92)
    assert FlagNow.objects.get(pk=flag.pk).cause == f"layer:{a.pk}"
