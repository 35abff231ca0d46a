"""Demo oversight reviews at Oakfield House, as data. Idempotent.

- a held, finalised monthly leadership review chaired by the nominated individual, where
  the staffing closure was challenged and refused, with decisions and an action arising;
- the next weekly service review, scheduled for the coming days;
- a weekly review scheduled in the past and never held (the "overdue review" flag's cause).

Everything but the decided closure proposal's agenda item (direct.agenda_item_as_it_stood)
goes through the review services, so the minutes become evidence linked to the actions and
themes discussed, exactly as they would in use.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from governance.models import AgendaItem, OversightReview, ReviewSeries
from governance.reviews import services
from recovery.models import RecoveryAction

from . import direct

SERVICE = "oakfield-house"
K, S = OversightReview.Kind, OversightReview.Status

HELD = dict(
    kind=K.MONTHLY_LEADERSHIP,
    title="Monthly leadership review – {held_on:%B %Y}",
    duration_minutes=90,
    location="Oakfield House, training room",
    chair="ni",
    attendees=("rm", "quality"),
)
# The staffing closure proposal, as the meeting saw, challenged and decided it.
PROPOSAL = "Proposed after two weeks at planned staffing, against a target of four."
CHALLENGES = [
    # who asks, kind, question, (who answers, the answer) or None
    (
        "ni",
        "challenge",
        "The target is four consecutive weeks at plan. Two weeks is a start, not the outcome. "
        "What happened on the uncovered night shifts in weeks 3 to 5?",
        (
            "ni",
            "Priya Shah: two nights were covered by agency staff without an induction; no risk "
            "assessment was recorded for either.",
        ),
    ),
    ("board", "question", "Do night staff say cover has improved, or is this only what the rota shows?", None),
]
DECISION = (
    "not_assured",
    "Closure refused: two weeks at plan, unassessed gaps at night and no staff feedback yet. "
    "Four consecutive weeks, a risk assessment for each exception and night-staff views are needed.",
)
ARISING = (
    "rm",
    "Risk-assess every uncovered or agency-covered night shift and bring the log to the next weekly review.",
    14,  # due, days from today
)
# The next two items on the live agenda: a question from the quality lead, then a decision.
OTHER_ITEMS = 2
OTHER_QUESTION = ("quality", "question", "Which records were sampled, and who chose them?")
OTHER_DECISION = (
    "partly_assured",
    "The trend is moving the right way, but the sample is small; keep weekly sampling.",
)
SUMMARY = (
    "The meeting tested the staffing closure proposal and refused it: the evidence showed activity "
    "and two good weeks, not the sustained outcome agreed. Other items partly assured; sampling continues "
    "weekly."
)
# key, title, days from today, whether it lies ahead (the overdue one was never held)
SCHEDULED = [
    ("upcoming", "Weekly service review", 3, True),
    ("overdue", "Weekly service review (not held)", -8, False),
]
# The provider's monthly leadership review as a recurring series chaired by the NI: its next
# meetings fill her "next reviews", the calendar and the ICS feed.
LEADERSHIP_SERIES = dict(
    kind=K.MONTHLY_LEADERSHIP,
    title="Monthly leadership review",
    frequency=ReviewSeries.Frequency.MONTHLY,
    first_in_days=10,
    time_of_day=datetime.time(14, 0),
    duration_minutes=90,
    location="Oakfield House, training room",
    chair="ni",
    attendees=("rm", "quality", "board"),
)
WEEKLY = dict(
    kind=K.WEEKLY_SERVICE, duration_minutes=45, location="Manager's office", chair="rm", attendees=("deputy", "lead")
)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _create(world, service, spec: dict, *, title: str, when: datetime.datetime) -> OversightReview:
    chair = world.user(spec["chair"])
    return services.review_create(
        actor=chair,
        provider=service.provider,
        service=service,
        kind=spec["kind"],
        title=title,
        scheduled_for=when,
        duration_minutes=spec["duration_minutes"],
        location=spec["location"],
        chair=chair,
        attendees=[world.user(name) for name in spec["attendees"]],
    )


def _staffing_action(plans, service) -> RecoveryAction | None:
    if plans is not None and getattr(plans, "actions", {}).get("staffing"):
        return plans.actions["staffing"]
    refused = RecoveryAction.objects.filter(service=service, transitions__to_status=RecoveryAction.Status.REFUSED)
    return refused.order_by("pk").first()


def _decide(world, item, question, decision, *, at) -> None:
    asker, kind, text = question
    services.item_challenge(actor=world.user(asker), item=item, kind=kind, text=text)
    services.item_decide(actor=world.user("ni"), item=item, decision=decision[0], rationale=decision[1], at=at)


def _held(world, service, staffing: RecoveryAction | None, today: datetime.date) -> OversightReview:
    existing = OversightReview.objects.filter(service=service, kind=HELD["kind"], status=S.FINALISED).first()
    if existing:
        return existing
    ni = world.user("ni")
    refusal = staffing.transitions.filter(to_status=RecoveryAction.Status.REFUSED).first() if staffing else None
    held_on = timezone.localdate(refusal.at) if refusal else today - datetime.timedelta(days=21)
    review = _create(world, service, HELD, title=HELD["title"].format(held_on=held_on), when=_at(held_on, 10))
    services.review_start(actor=ni, review=review, at=_at(held_on, 10))
    if staffing is not None:
        item = direct.agenda_item_as_it_stood(review, staffing, detail=PROPOSAL)
        for asker, kind, text, answer in CHALLENGES:
            challenge = services.item_challenge(actor=world.user(asker), item=item, kind=kind, text=text)
            if answer:
                services.challenge_respond(actor=world.user(answer[0]), challenge=challenge, response=answer[1])
            elif challenge.due_on is not None:
                # Asked at the meeting and due two weeks after it: still unanswered, so overdue.
                due = min(held_on + datetime.timedelta(days=services.REQUEST_DUE_DAYS), today - datetime.timedelta(1))
                direct.backdate(challenge, due_on=due)
        services.item_decide(actor=ni, item=item, decision=DECISION[0], rationale=DECISION[1], at=_at(held_on, 11))
        owner, description, due_in = ARISING
        services.review_action_add(
            actor=ni,
            review=review,
            agenda_item=item,
            description=description,
            owner=world.user(owner),
            due_date=today + datetime.timedelta(days=due_in),
        )
    others = review.agenda_items.exclude(kind=AgendaItem.Kind.CLOSURE_PROPOSAL).order_by("order", "pk")[:OTHER_ITEMS]
    for other in others:
        _decide(world, other, OTHER_QUESTION, OTHER_DECISION, at=_at(held_on, 11))
    services.review_finalise(actor=ni, review=review, summary=SUMMARY, at=_at(held_on, 12))
    return review


def seed(world, plans=None, *, today: datetime.date | None = None) -> dict[str, OversightReview]:
    """Create the demo reviews (or find them, if already there)."""
    today = today or timezone.localdate()
    service = world.services[SERVICE]
    now = timezone.now()
    weekly = OversightReview.objects.filter(service=service, kind=WEEKLY["kind"], status=S.SCHEDULED)
    reviews = {"held": _held(world, service, _staffing_action(plans, service), today)}
    for key, title, days, ahead in SCHEDULED:
        found = weekly.filter(scheduled_for__gte=now) if ahead else weekly.filter(scheduled_for__lt=now)
        when = _at(today + datetime.timedelta(days=days), 10)
        reviews[key] = found.order_by("scheduled_for").first() or _create(
            world, service, WEEKLY, title=title, when=when
        )
    spec = LEADERSHIP_SERIES
    if not ReviewSeries.objects.filter(provider=service.provider, service=None, title=spec["title"]).exists():
        chair = world.user(spec["chair"])
        services.series_create(
            actor=chair,
            provider=service.provider,
            kind=spec["kind"],
            frequency=spec["frequency"],
            starts_on=today + datetime.timedelta(days=spec["first_in_days"]),
            time_of_day=spec["time_of_day"],
            chair=chair,
            title=spec["title"],
            duration_minutes=spec["duration_minutes"],
            location=spec["location"],
            attendees=[world.user(name) for name in spec["attendees"]],
        )
    return reviews
