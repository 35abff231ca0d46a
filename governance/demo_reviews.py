"""Demo oversight reviews at Oakfield House. Idempotent.

- a held, finalised monthly leadership review chaired by the nominated individual, where
  the staffing closure was challenged and refused, with decisions and an action arising;
- the next weekly service review, scheduled for the coming days;
- a weekly review scheduled in the past and never held (the "overdue review" flag's cause).

Everything goes through the review services, so the minutes become evidence linked to the
actions and themes discussed, exactly as they would in use.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from governance.models import AgendaItem, OversightReview
from governance.reviews import services as services
from recovery.models import RecoveryAction

SERVICE = "oakfield-house"
K = OversightReview.Kind
S = OversightReview.Status


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _staffing_action(recovery_demo, service) -> RecoveryAction | None:
    if recovery_demo is not None and getattr(recovery_demo, "actions", {}).get("staffing"):
        return recovery_demo.actions["staffing"]
    refused = RecoveryAction.objects.filter(service=service, transitions__to_status=RecoveryAction.Status.REFUSED)
    return refused.order_by("pk").first()


def _held_review(world, service, staffing: RecoveryAction | None, today: datetime.date) -> OversightReview:
    existing = OversightReview.objects.filter(service=service, kind=K.MONTHLY_LEADERSHIP, status=S.FINALISED).first()
    if existing:
        return existing
    ni, rm = world.users["ni@oakfield.example"], world.users["rm@oakfield.example"]
    quality, board = world.users["quality@oakfield.example"], world.users["board@oakfield.example"]
    refusal = staffing.transitions.filter(to_status=RecoveryAction.Status.REFUSED).first() if staffing else None
    held_on = timezone.localdate(refusal.at) if refusal else today - datetime.timedelta(days=21)
    review = services.review_create(
        actor=ni,
        provider=service.provider,
        service=service,
        kind=K.MONTHLY_LEADERSHIP,
        title=f"Monthly leadership review – {held_on:%B %Y}",
        scheduled_for=_at(held_on, 10),
        duration_minutes=90,
        location="Oakfield House, training room",
        chair=ni,
        attendees=[rm, quality],
    )
    services.review_start(actor=ni, review=review, at=_at(held_on, 10))
    if staffing is not None:
        # The proposal the meeting decided is no longer pending, so the live agenda no longer
        # lists it: it is kept here as it stood in front of the meeting.
        item, _ = AgendaItem.objects.get_or_create(
            review=review,
            kind=AgendaItem.Kind.CLOSURE_PROPOSAL,
            subject_type="action",
            subject_id=staffing.pk,
            defaults={
                "order": 0,
                "title": f"Closure proposed: {staffing.title}",
                "subject_url": staffing.get_absolute_url(),
                "snapshot": {
                    "service_id": service.pk,
                    "service": service.name,
                    "risk": staffing.get_risk_level_display(),
                    "action_id": staffing.pk,
                    "detail": "Proposed after two weeks at planned staffing, against a target of four.",
                },
            },
        )
        services.item_challenge(
            actor=ni,
            item=item,
            kind="challenge",
            text="The target is four consecutive weeks at plan. Two weeks is a start, not the outcome. "
            "What happened on the uncovered night shifts in weeks 3 to 5?",
        )
        challenge = item.challenges.order_by("pk").last()
        services.challenge_respond(
            actor=ni,
            challenge=challenge,
            response="Priya Shah: two nights were covered by agency staff without an induction; no risk "
            "assessment was recorded for either.",
        )
        services.item_challenge(
            actor=board,
            item=item,
            kind="question",
            text="Do night staff say cover has improved, or is this only what the rota shows?",
        )
        services.item_decide(
            actor=ni,
            item=item,
            decision="not_assured",
            at=_at(held_on, 11),
            rationale="Closure refused: two weeks at plan, unassessed gaps at night and no staff feedback yet. "
            "Four consecutive weeks, a risk assessment for each exception and night-staff views are needed.",
        )
        services.review_action_add(
            actor=ni,
            review=review,
            agenda_item=item,
            description="Risk-assess every uncovered or agency-covered night shift and bring the log to the next "
            "weekly review.",
            owner=rm,
            due_date=today + datetime.timedelta(days=14),
        )
    for other in review.agenda_items.exclude(kind=AgendaItem.Kind.CLOSURE_PROPOSAL).order_by("order", "pk")[:2]:
        services.item_challenge(
            actor=quality, item=other, kind="question", text="Which records were sampled, and who chose them?"
        )
        services.item_decide(
            actor=ni,
            item=other,
            decision="partly_assured",
            at=_at(held_on, 11),
            rationale="The trend is moving the right way, but the sample is small; keep weekly sampling.",
        )
    services.review_finalise(
        actor=ni,
        review=review,
        summary="The meeting tested the staffing closure proposal and refused it: the evidence showed activity "
        "and two good weeks, not the sustained outcome agreed. Other items partly assured; sampling continues "
        "weekly.",
        at=_at(held_on, 12),
    )
    return review


def _scheduled(world, service, *, when: datetime.datetime, title: str) -> OversightReview:
    rm = world.users["rm@oakfield.example"]
    review = services.review_create(
        actor=rm,
        provider=service.provider,
        service=service,
        kind=K.WEEKLY_SERVICE,
        title=title,
        scheduled_for=when,
        duration_minutes=45,
        location="Manager's office",
        chair=rm,
        attendees=[world.users["deputy@oakfield.example"], world.users["lead@oakfield.example"]],
    )
    return review


def seed(core_world, recovery_demo=None, *, today: datetime.date | None = None) -> dict[str, OversightReview]:
    """Create the demo reviews (or find them, if already there)."""
    today = today or timezone.localdate()
    service = core_world.services[SERVICE]
    now = timezone.now()
    weekly = OversightReview.objects.filter(service=service, kind=K.WEEKLY_SERVICE, status=S.SCHEDULED)
    held = _held_review(core_world, service, _staffing_action(recovery_demo, service), today)
    upcoming = weekly.filter(scheduled_for__gte=now).order_by("scheduled_for").first() or _scheduled(
        core_world, service, when=_at(today + datetime.timedelta(days=3), 10), title="Weekly service review"
    )
    overdue = weekly.filter(scheduled_for__lt=now).order_by("scheduled_for").first() or _scheduled(
        core_world,
        service,
        when=_at(today - datetime.timedelta(days=8), 10),
        title="Weekly service review (not held)",
    )
    return {"held": held, "upcoming": upcoming, "overdue": overdue}
