"""Factories for oversight reviews, their agenda and challenges, and closure proposals to decide."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from core.choices import RiskLevel
from core.tests.factories import ServiceFactory, UserFactory
from evidence.tests.factories import EvidenceFactory
from governance.models import AgendaItem, Challenge, OversightReview
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory


class OversightReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OversightReview

    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider if o.service else None)
    kind = OversightReview.Kind.WEEKLY_SERVICE
    title = factory.Sequence(lambda n: f"Weekly service review {n}")
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    chair = factory.SubFactory(UserFactory)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    review = factory.SubFactory(OversightReviewFactory, status=OversightReview.Status.IN_PROGRESS)
    kind = AgendaItem.Kind.OTHER
    title = factory.Sequence(lambda n: f"Agenda item {n}")
    snapshot = factory.LazyAttribute(lambda o: {"service_id": o.review.service_id})


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    agenda_item = factory.SubFactory(AgendaItemFactory)
    review = factory.LazyAttribute(lambda o: o.agenda_item.review)
    provider = factory.LazyAttribute(lambda o: o.review.provider)
    service = factory.LazyAttribute(lambda o: o.review.service)
    kind = Challenge.Kind.CHALLENGE
    text = "What did the re-audit show?"
    raised_by = factory.SubFactory(UserFactory)


def in_progress_review(service, **kwargs) -> OversightReview:
    return OversightReviewFactory(
        service=service,
        provider=service.provider,
        status=OversightReview.Status.IN_PROGRESS,
        started_at=timezone.now(),
        **kwargs,
    )


def proposed_action(service, proposer, *, risk: str = RiskLevel.MEDIUM, days_ago: int = 1, **kwargs) -> RecoveryAction:
    """An action awaiting a closure decision, with impact evidence dated after it started."""
    today = timezone.localdate()
    theme = ThemeFactory(service=service, provider=service.provider, owner=proposer)
    action = ActionFactory(
        theme=theme,
        service=service,
        provider=service.provider,
        owner=proposer,
        risk_level=risk,
        status=RecoveryAction.Status.CLOSURE_PROPOSED,
        started_on=today - datetime.timedelta(days=40),
        proposed_by=proposer,
        proposed_at=timezone.now() - datetime.timedelta(days=days_ago),
        closure_note="Sampled records show escalation on time for four weeks.",
        closure_justification="Measured by weekly sampling; see the audit.",
        **kwargs,
    )
    action.evidence.add(EvidenceFactory(service=service, provider=service.provider, title="Re-audit of escalation"))
    return action
