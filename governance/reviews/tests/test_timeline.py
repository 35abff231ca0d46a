"""Challenges and review decisions about an action appear on its concern-to-outcome timeline."""

import datetime

from django.urls import reverse

from governance.models import AgendaItem, Challenge, OversightReview
from recovery.tests.factories import ActionFactory


def test_challenges_and_decisions_are_on_the_action_timeline(world, client):
    action = ActionFactory(theme__service=world.service, theme__provider=world.provider)
    review = OversightReview.objects.create(
        provider=world.provider,
        service=world.service,
        kind=OversightReview.Kind.MONTHLY_LEADERSHIP,
        title="Monthly leadership review",
        scheduled_for=datetime.datetime(2026, 10, 14, 10, tzinfo=datetime.UTC),
        chair=world.ni,
    )
    item = AgendaItem.objects.create(
        review=review,
        kind=AgendaItem.Kind.CLOSURE_PROPOSAL,
        subject_type="action",
        subject_id=action.pk,
        title=action.title,
        decision=AgendaItem.Decision.NOT_ASSURED,
        rationale="Only training records so far.",
        decided_by=world.ni,
        decided_at=datetime.datetime(2026, 10, 14, 10, 30, tzinfo=datetime.UTC),
    )
    Challenge.objects.create(
        provider=world.provider,
        service=world.service,
        review=review,
        agenda_item=item,
        text="Where is the re-audit of night records?",
        raised_by=world.board,
    )
    Challenge.objects.create(
        provider=world.provider,
        service=world.service,
        action=action,
        kind=Challenge.Kind.EVIDENCE_REQUEST,
        text="Add an observation of practice.",
        raised_by=world.ni,
    )
    client.force_login(world.rm)
    html = client.get(reverse("recovery:action_detail", kwargs={"pk": action.pk})).content.decode()
    assert "Where is the re-audit of night records?" in html
    assert "Add an observation of practice." in html
    assert "Not assured at Monthly leadership review" in html
    assert "Only training records so far." in html
