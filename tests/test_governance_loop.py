"""Issue 10's loop, end to end in-process: a decision in a meeting is a review, the overdue-review
flag resolves after commit without a scan, and a closed action leaves the next agenda's flags."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.models import Role
from governance.flags.services import flags_scan_provider
from governance.models import AgendaItem, Flag, OversightReview
from governance.reviews import services as review_services
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory

pytestmark = pytest.mark.django_db
K = OversightReview.Kind


def _overdue_action(world, **fields):
    return ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.deputy,
        status=RecoveryAction.Status.IN_PROGRESS,
        started_on=timezone.localdate() - datetime.timedelta(days=20),
        layers=[(Role.REGISTERED_MANAGER, "weekly")],
        **fields,
    )


def test_deciding_the_overdue_review_item_resolves_its_flag_after_commit_without_a_scan(
    world, django_capture_on_commit_callbacks
):
    action = _overdue_action(world)
    flags_scan_provider(provider=world.provider)  # yesterday's safety-net scan raised it
    flag = Flag.objects.get(kind=Flag.Kind.OVERDUE_REVIEW, subject_id=action.pk, resolved_at__isnull=True)
    review = OversightReviewFactory(
        service=world.service, provider=world.provider, kind=K.WEEKLY_SERVICE, chair=world.rm
    )
    with django_capture_on_commit_callbacks(execute=True):
        review_services.review_start(actor=world.rm, review=review)
    item = review.agenda_items.get(kind=AgendaItem.Kind.FLAG, subject_id=flag.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review_services.item_decide(actor=world.rm, item=item, decision="assured", rationale="Ten records sampled.")
    assert callbacks, "the decision schedules the flags' re-evaluation after commit"
    flag.refresh_from_db()
    assert flag.resolved_at is not None  # no scan ran since the decision


def test_a_closed_action_is_not_on_the_next_agenda_as_overdue(world, django_capture_on_commit_callbacks):
    action = _overdue_action(world, due_date=timezone.localdate() - datetime.timedelta(days=3))
    flags_scan_provider(provider=world.provider)
    assert Flag.objects.filter(subject_type="action", subject_id=action.pk, resolved_at__isnull=True).exists()
    # Closed by a path that announces nothing (as a stale flag would see it): the agenda still
    # shows the flags as they are when it is built.
    RecoveryAction.objects.filter(pk=action.pk).update(status=RecoveryAction.Status.CLOSED)
    review = OversightReviewFactory(
        service=world.service, provider=world.provider, kind=K.WEEKLY_SERVICE, chair=world.rm
    )
    with django_capture_on_commit_callbacks(execute=True):
        review_services.review_start(actor=world.rm, review=review)
    titles = [str(item) for item in review.agenda_items.filter(kind=AgendaItem.Kind.FLAG)]
    assert titles and not [t for t in titles if t.startswith("Overdue")], titles
    # (Closed with no evidence, it is now an unsupported closure instead: that one is on the agenda.)
    assert any(t.startswith("Unsupported closure") for t in titles)
    assert not Flag.objects.filter(
        subject_type="action",
        subject_id=action.pk,
        kind__in=[Flag.Kind.OVERDUE_REVIEW, Flag.Kind.OVERDUE_ACTION],
        resolved_at__isnull=True,
    ).exists()
