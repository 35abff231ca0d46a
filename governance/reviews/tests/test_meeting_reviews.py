"""A decision in a review meeting is a review of its subject: it records on the matching layer,
and the overdue-review flag on that layer resolves."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core import events
from core.models import Role
from governance.flags.services import flags_scan_provider
from governance.models import AgendaItem, AgendaItemReview, Flag, OversightReview
from governance.reviews import services
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.models import RecoveryAction, ReviewOutcome, ReviewRecord
from recovery.tests.factories import ActionFactory, ThemeFactory, proposed_action

TODAY = timezone.localdate
K = OversightReview.Kind


def _action(world, *, days_ago: int, **fields):
    """In progress since ``days_ago`` days, reviewed weekly by the RM and monthly by the NI."""
    return ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.deputy,
        status=RecoveryAction.Status.IN_PROGRESS,
        started_on=TODAY() - datetime.timedelta(days=days_ago),
        layers=[(Role.REGISTERED_MANAGER, "weekly"), (Role.NOMINATED_INDIVIDUAL, "monthly")],
        **fields,
    )


def _meeting(world, kind, chair):
    review = OversightReviewFactory(service=world.service, provider=world.provider, kind=kind, chair=chair)
    services.review_start(actor=chair, review=review)
    return review


def _flag_item(review, layer) -> AgendaItem:
    flag = Flag.objects.get(kind=Flag.Kind.OVERDUE_REVIEW, cause=f"layer:{layer.pk}", resolved_at__isnull=True)
    return review.agenda_items.get(kind=AgendaItem.Kind.FLAG, subject_id=flag.pk)


@pytest.fixture
def heard():
    seen = []

    def listener(subject, *, reason):
        seen.append((type(subject).__name__, subject.pk, reason))

    events.listen(listener)
    yield seen
    events._LISTENERS.remove(listener)


def test_deciding_an_overdue_review_item_records_the_review_and_the_flag_resolves(world, heard):
    action = _action(world, days_ago=20)
    weekly, monthly = action.review_layers.order_by("order")
    flags_scan_provider(provider=world.provider)
    flag = Flag.objects.get(kind=Flag.Kind.OVERDUE_REVIEW, cause=f"layer:{weekly.pk}")
    assert flag.detail.startswith("Weekly RM review overdue")
    review = _meeting(world, K.WEEKLY_SERVICE, world.rm)
    item = _flag_item(review, weekly)

    services.item_decide(actor=world.rm, item=item, decision="assured", rationale="Sampled ten records: on time.")

    record = ReviewRecord.objects.get()
    assert (record.layer, record.action, record.outcome, record.reviewed_by) == (
        weekly,
        action,
        ReviewOutcome.ASSURED,
        world.rm,
    )
    assert record.reviewed_on == TODAY() and review.title in record.place
    assert record.place_url == review.get_absolute_url()
    assert AgendaItemReview.objects.get(record=record).agenda_item == item
    weekly.refresh_from_db()
    assert weekly.next_due == TODAY() + datetime.timedelta(days=7)
    monthly.refresh_from_db()
    assert monthly.last_reviewed_on is None, "the weekly meeting is not the NI's monthly review"
    assert ("RecoveryAction", action.pk, "review") in heard

    result = flags_scan_provider(provider=world.provider)
    flag.refresh_from_db()
    assert flag.resolved_at is not None and result.resolved[Flag.Kind.OVERDUE_REVIEW] == 1

    # Deciding the item again in the same meeting does not count as a second review.
    services.item_decide(actor=world.rm, item=item, decision="partly_assured", rationale="On reflection, mixed.")
    assert ReviewRecord.objects.count() == 1


def test_the_monthly_leadership_review_satisfies_the_ni_layer(world):
    action = _action(world, days_ago=40)
    weekly, monthly = action.review_layers.order_by("order")
    flags_scan_provider(provider=world.provider)
    review = _meeting(world, K.MONTHLY_LEADERSHIP, world.ni)
    item = _flag_item(review, monthly)
    services.item_decide(actor=world.ni, item=item, decision="partly_assured", rationale="Two weeks of data only.")
    record = ReviewRecord.objects.get()
    assert (record.layer, record.outcome) == (monthly, ReviewOutcome.FURTHER_CHECKS)
    flags_scan_provider(provider=world.provider)
    assert not Flag.objects.filter(cause=f"layer:{monthly.pk}", resolved_at__isnull=True).exists()
    assert Flag.objects.filter(cause=f"layer:{weekly.pk}", resolved_at__isnull=True).exists()


def test_a_layer_naming_the_chair_wins_then_the_kind_then_the_chairs_role_then_the_cadence(world):
    action = _action(world, days_ago=40)
    weekly, monthly = action.review_layers.order_by("order")
    layers = [weekly, monthly]
    assert services.meeting_layer(OversightReview(kind=K.WEEKLY_SERVICE, chair=world.ni), layers) == weekly
    assert services.meeting_layer(OversightReview(kind=K.MONTHLY_LEADERSHIP, chair=world.rm), layers) == monthly
    # A quarterly board review names no layer here: the chair's own role decides (the NI).
    assert services.meeting_layer(OversightReview(kind=K.QUARTERLY_BOARD, chair=world.ni), layers) == monthly
    # Nothing by role: the meeting's cadence.
    assert services.meeting_layer(OversightReview(kind=K.QUARTERLY_BOARD, chair=world.board), layers) is None
    type(weekly).objects.filter(pk=weekly.pk).update(reviewer=world.quality, reviewer_role="")
    weekly.refresh_from_db()
    assert services.meeting_layer(OversightReview(kind=K.MONTHLY_LEADERSHIP, chair=world.quality), layers) == weekly


def test_a_closure_decision_in_the_meeting_is_recorded_as_a_decision(world):
    action = proposed_action(world.service, proposer=world.deputy)
    review = _meeting(world, K.WEEKLY_SERVICE, world.rm)
    item = review.agenda_items.get(kind=AgendaItem.Kind.CLOSURE_PROPOSAL)
    services.item_decide_closure(
        actor=world.rm, item=item, decision="refuse", rationale="One week of data.", further_checks="Four more weeks."
    )
    record = ReviewRecord.objects.get(action=action)
    assert record.outcome == ReviewOutcome.DECISION_RECORDED
    assert record.layer.reviewer_role == Role.REGISTERED_MANAGER


def test_items_not_about_an_action_or_theme_record_no_review(world):
    _action(world, days_ago=3)
    review = _meeting(world, K.WEEKLY_SERVICE, world.rm)
    other = AgendaItem.objects.create(review=review, kind=AgendaItem.Kind.OTHER, title="Staff survey")
    services.item_decide(actor=world.rm, item=other, decision="assured", rationale="Good response rate.")
    assert not ReviewRecord.objects.exists()


def test_a_theme_item_records_on_the_theme(world):
    theme = ThemeFactory(service=world.service, owner=world.rm, risk_level="high")
    review = _meeting(world, K.MONTHLY_LEADERSHIP, world.ni)
    item = review.agenda_items.get(kind=AgendaItem.Kind.HIGH_RISK_THEME, subject_id=theme.pk)
    services.item_decide(actor=world.ni, item=item, decision="not_assured", rationale="No re-audit yet.")
    record = ReviewRecord.objects.get(theme=theme)
    assert (record.outcome, record.layer.reviewer_role) == (ReviewOutcome.NOT_ASSURED, Role.NOMINATED_INDIVIDUAL)
