"""The demo reviews: a held monthly review, an upcoming weekly one, an overdue one. Idempotent."""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo import evidence as evidence_demo
from demo import reviews as demo_reviews
from demo import stories as recovery_demo
from demo import world as demo_world
from governance.models import AgendaItem, Challenge, OversightReview


@pytest.mark.django_db
def test_the_demo_reviews_tell_their_story_and_seed_twice_without_duplicates():
    world = demo_world.seed()
    evidence_demo.seed(world)
    recovery = recovery_demo.seed(world)
    first = demo_reviews.seed(world, recovery)
    counts = (OversightReview.objects.count(), AgendaItem.objects.count(), Challenge.objects.count())
    again = demo_reviews.seed(world, recovery)
    assert (OversightReview.objects.count(), AgendaItem.objects.count(), Challenge.objects.count()) == counts
    assert {k: v.pk for k, v in first.items()} == {k: v.pk for k, v in again.items()}

    held = first["held"]
    assert held.status == OversightReview.Status.FINALISED and held.kind == OversightReview.Kind.MONTHLY_LEADERSHIP
    assert held.service.name == "Oakfield House"
    staffing = recovery.actions["staffing"]
    refusal = held.agenda_items.get(kind=AgendaItem.Kind.CLOSURE_PROPOSAL, subject_id=staffing.pk)
    assert refusal.decision == "not_assured" and "refused" in refusal.rationale
    assert refusal.challenges.filter(raised_by__email="board@oakfield.example").exists()
    assert held.minutes_evidence in staffing.evidence.all()

    now = timezone.now()
    assert first["upcoming"].status == OversightReview.Status.SCHEDULED and first["upcoming"].scheduled_for > now
    assert first["overdue"].status == OversightReview.Status.SCHEDULED and first["overdue"].scheduled_for < now
