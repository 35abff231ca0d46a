"""Writes for oversight reviews: schedule, start, record, finalise, amend.

A closure proposal on the agenda is decided by ``item_decide_closure``, which calls the recovery
app's one door (``action_decide_closure``) and only records the outcome on the agenda item.

Keyword-only, typed, atomic, named <entity>_<verb>. Each checks the permission policy:
RUN_REVIEW to schedule, start, decide and finalise; CHALLENGE to raise questions and
challenges. Finalised minutes are locked: later changes go through ``review_amend``, which
needs a reason and appends a ``ReviewAmendment`` (the table refuses updates and deletes).
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from core.choices import Cadence
from core.models import Provider, Role, Service
from evidence.models import EvidenceItem, SourceType
from evidence.services import evidence_create, evidence_update
from governance.flags.services import Scope, flags_reevaluate
from governance.models import (
    AgendaItem,
    AgendaItemReview,
    Challenge,
    OversightReview,
    ReviewActionArising,
    ReviewAmendment,
    ReviewAttendance,
    ReviewSeries,
    ReviewTransition,
)
from governance.reviews.agenda import KIND_ORDER, build_agenda, discussed_subjects, item_owner_ids
from recovery.closure.services import APPROVE as CLOSURE_APPROVE
from recovery.closure.services import action_decide_closure
from recovery.models import FailureTheme, OutcomeMeasure, RecoveryAction, ReviewLayer, ReviewOutcome
from recovery.plan.services import action_create
from recovery.reviewing.services import review_record

logger = logging.getLogger(__name__)
R = OversightReview.Status
V = policy.Verb

DEFAULT_KIND_FOR_SERVICE = OversightReview.Kind.WEEKLY_SERVICE
# Agenda items a person adds by hand (the data never removes them).
HAND_KINDS = (AgendaItem.Kind.OTHER, AgendaItem.Kind.THEME_SUMMARY)
# A request's answer is due this many days after it is raised unless the asker says otherwise.
REQUEST_DUE_DAYS = 14


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _check_not_locked(review: OversightReview) -> None:
    if review.status == R.FINALISED:
        raise ValidationError(
            "These minutes are final. Record any change as an amendment, with the reason.", code="locked"
        )
    if review.status == R.CANCELLED:
        raise ValidationError("This review was cancelled.", code="cancelled")


def _check_started(review: OversightReview) -> None:
    _check_not_locked(review)
    if review.status != R.IN_PROGRESS:
        raise ValidationError("Start the meeting before recording decisions.", code="not_started")


def _check_member(user, review_or_scope, field: str, what: str) -> None:
    if user is None:
        raise ValidationError({field: f"Choose the {what}."})
    if not policy.can(user, V.VIEW, review_or_scope):
        raise ValidationError({field: f"The {what} must be someone with access to this service or provider."})


# --- Scheduling ---------------------------------------------------------------------------


def _transition(
    review: OversightReview, move: str, *, actor, from_status: str, note: str = "", snapshot=None, at=None
) -> ReviewTransition:
    """Append the record of a move (and the audit trail sees the review row change)."""
    return ReviewTransition.objects.create(
        review=review,
        move=move,
        from_status=from_status,
        to_status=review.status,
        note=note,
        snapshot=snapshot or {},
        actor=actor,
        at=at or timezone.now(),
    )


def _check_details(*, scope, kind, scheduled_for, chair, attendees, duration_minutes) -> list:
    errors: dict[str, str] = {}
    if kind not in OversightReview.Kind.values:
        errors["kind"] = "Choose the kind of review."
    if scheduled_for is None:
        errors["scheduled_for"] = "Enter the date and time of the meeting."
    if duration_minutes is not None and not 1 <= duration_minutes <= 24 * 60:
        errors["duration_minutes"] = "Enter the length in minutes, up to a day."
    if errors:
        raise ValidationError(errors)
    _check_member(chair, scope, "chair", "chair")
    attendees = list(attendees or [])
    for person in attendees:
        _check_member(person, scope, "attendees", "attendees")
    return attendees


def _review_new(
    *,
    actor,
    provider: Provider,
    service: Service | None,
    kind: str,
    scheduled_for: datetime.datetime,
    chair,
    title: str,
    duration_minutes: int,
    location: str,
    attendees,
    series=None,
    occurrence_on: datetime.date | None = None,
) -> OversightReview:
    scope = service or provider
    attendees = _check_details(
        scope=scope,
        kind=kind,
        scheduled_for=scheduled_for,
        chair=chair,
        attendees=attendees,
        duration_minutes=duration_minutes,
    )
    title = (title or "").strip() or f"{OversightReview.Kind(kind).label} – {scope}"
    review = OversightReview(
        provider=provider,
        service=service,
        kind=kind,
        title=title,
        scheduled_for=scheduled_for,
        duration_minutes=duration_minutes or 60,
        location=(location or "").strip(),
        chair=chair,
        series=series,
        occurrence_on=occurrence_on,
    )
    review.full_clean()
    review.save()
    if attendees:
        review.attendees.set(attendees)
    _transition(review, ReviewTransition.Move.SCHEDULED, actor=actor, from_status="")
    events.changed(review, reason="review_scheduled")
    return review


@transaction.atomic
def review_create(
    *,
    actor,
    provider: Provider,
    service: Service | None = None,
    kind: str,
    scheduled_for: datetime.datetime,
    chair,
    title: str = "",
    duration_minutes: int = 60,
    location: str = "",
    attendees=(),
) -> OversightReview:
    """Schedule a review of one service, or across the provider when ``service`` is None."""
    if service is not None and service.provider_id != provider.pk:
        raise ValidationError("The service does not belong to this provider.")
    policy.require(actor, V.RUN_REVIEW, service or provider)
    Provider.objects.select_for_update().filter(pk=provider.pk).first()  # one schedule at a time: no twins
    same = OversightReview.objects.filter(provider=provider, service=service, kind=kind, scheduled_for=scheduled_for)
    if scheduled_for is not None and same.exclude(status=R.CANCELLED).exists():  # a double submit
        raise ValidationError(
            {"scheduled_for": "A review of this kind is already scheduled at this time."}, code="duplicate"
        )
    return _review_new(
        actor=actor,
        provider=provider,
        service=service,
        kind=kind,
        scheduled_for=scheduled_for,
        chair=chair,
        title=title,
        duration_minutes=duration_minutes,
        location=location,
        attendees=attendees,
    )


def _locked_for_change(review: OversightReview) -> OversightReview:
    """The review's row, locked, for a change of its details or status."""
    return OversightReview.objects.select_for_update(of=("self",)).get(pk=review.pk)


def _refresh(caller: OversightReview, fresh: OversightReview, *names: str) -> OversightReview:
    for name in names:
        setattr(caller, name, getattr(fresh, name))
    return caller


@transaction.atomic
def review_update(
    *,
    actor,
    review: OversightReview,
    kind: str,
    scheduled_for: datetime.datetime,
    chair,
    title: str = "",
    duration_minutes: int = 60,
    location: str = "",
    attendees=(),
    reason: str = "",
) -> OversightReview:
    """Change a scheduled meeting's details. A new date or time is a move: kept on the record
    with the old and new times and the reason given."""
    policy.require(actor, V.RUN_REVIEW, review)
    fresh = _locked_for_change(review)
    _check_not_locked(fresh)
    if fresh.status != R.SCHEDULED:
        raise ValidationError(
            "This meeting has started: its details can no longer change. Record what happens in the minutes.",
            code="started",
        )
    attendees = _check_details(
        scope=fresh.service or fresh.provider,
        kind=kind,
        scheduled_for=scheduled_for,
        chair=chair,
        attendees=attendees,
        duration_minutes=duration_minutes,
    )
    reason = (reason or "").strip()
    limits.check(ReviewTransition, report_as={"note": "reason"}, note=reason)
    moved = fresh.scheduled_for != scheduled_for
    before = fresh.scheduled_for
    fresh.kind, fresh.scheduled_for, fresh.chair = kind, scheduled_for, chair
    fresh.title = (title or "").strip() or fresh.title
    fresh.duration_minutes = duration_minutes or 60
    fresh.location = (location or "").strip()
    fresh.full_clean()
    fresh.save()
    fresh.attendees.set(attendees)
    if moved:
        _transition(
            fresh,
            ReviewTransition.Move.RESCHEDULED,
            actor=actor,
            from_status=R.SCHEDULED,
            note=reason,
            snapshot={"from": before.isoformat(), "to": scheduled_for.isoformat()},
        )
        events.changed(fresh, reason="review")
    return _refresh(review, fresh, "kind", "scheduled_for", "chair", "title", "duration_minutes", "location")


@transaction.atomic
def review_cancel(
    *, actor, review: OversightReview, reason: str, at: datetime.datetime | None = None
) -> OversightReview:
    """Scheduled or in progress -> cancelled, with the reason; the meeting stays on the record."""
    policy.require(actor, V.RUN_REVIEW, review)
    reason = _required(reason, "reason", "Say why the meeting is cancelled.")
    limits.check(OversightReview, report_as={"cancel_reason": "reason"}, cancel_reason=reason)
    fresh = _locked_for_change(review)
    if fresh.status == R.CANCELLED:
        raise ValidationError("This meeting was already cancelled.", code="cancelled")
    if fresh.status == R.FINALISED:
        raise ValidationError("These minutes are final: a held meeting cannot be cancelled.", code="locked")
    before = fresh.status
    fresh.status, fresh.cancelled_at, fresh.cancelled_by = R.CANCELLED, at or timezone.now(), actor
    fresh.cancel_reason = reason
    fresh.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    _transition(fresh, ReviewTransition.Move.CANCELLED, actor=actor, from_status=before, note=reason, at=at)
    events.changed(fresh, reason="review")
    return _refresh(review, fresh, "status", "cancelled_at", "cancelled_by", "cancel_reason")


# --- The agenda ---------------------------------------------------------------------------


def _recorded_ids(review: OversightReview) -> set[int]:
    """Agenda items the meeting has recorded something against (they are never dropped)."""
    return set(
        review.agenda_items.annotate(nc=Count("challenges", distinct=True), na=Count("actions_arising", distinct=True))
        .filter(Q(nc__gt=0) | Q(na__gt=0) | ~Q(decision=""))
        .values_list("pk", flat=True)
    )


def _refresh_flags(review: OversightReview, today: datetime.date | None) -> None:
    """Bring the flags of the review's scope up to date before they go on its agenda.

    The flags follow events in a background job and the daily scan; an agenda built from them
    must not wait for either (a closed action's "Overdue review" must not be put in front of
    the meeting). A service's review re-evaluates that service; a review across the provider,
    the whole provider (the scan's cost).
    """
    scope = Scope(review.service_id) if review.service_id is not None else None
    flags_reevaluate(provider=review.provider, scope=scope, today=today)


def _materialise(review: OversightReview, today: datetime.date | None = None) -> list[AgendaItem]:
    _refresh_flags(review, today)
    entries = build_agenda(review, today=today)
    current = list(review.agenda_items.all())
    by_hand = sorted((i for i in current if i.kind in HAND_KINDS), key=lambda i: (i.order, i.pk))
    existing = {(i.kind, i.subject_type, i.subject_id): i for i in current if i.kind not in HAND_KINDS}
    recorded = _recorded_ids(review)
    live_keys = set()
    for order, entry in enumerate(entries, start=1):
        live_keys.add(entry.key)
        item = existing.get(entry.key)
        if item is None:
            AgendaItem.objects.create(
                review=review,
                order=order,
                kind=entry.kind,
                subject_type=entry.subject_type,
                subject_id=entry.subject_id,
                title=entry.title[:250],
                subject_url=entry.subject_url[:250],
                snapshot=entry.snapshot,
            )
        elif item.pk in recorded:
            # What was in front of the meeting when it recorded stays as it was.
            if item.order != order:
                item.order = order
                item.save(update_fields=["order"])
        else:
            item.order, item.title, item.snapshot = order, entry.title[:250], entry.snapshot
            item.subject_url = entry.subject_url[:250]
            item.save(update_fields=["order", "title", "snapshot", "subject_url"])
    for key, item in existing.items():
        if key not in live_keys and item.pk not in recorded:
            item.delete()  # no longer true and nobody recorded on it
    # Items added by hand stay, after the ones the data put there, in the order they were added.
    for n, item in enumerate(by_hand, start=len(entries) + 1):
        if item.order != n:
            item.order = n
            item.save(update_fields=["order"])
    # Items kept only because they were recorded go after the live ones, in their kind's place.
    return list(review.agenda_items.order_by("order", "pk"))


@transaction.atomic
def review_start(*, actor, review: OversightReview, at: datetime.datetime | None = None) -> OversightReview:
    """Scheduled -> in progress; the agenda is fixed from the data at this moment."""
    policy.require(actor, V.RUN_REVIEW, review)
    fresh = OversightReview.objects.select_for_update().get(pk=review.pk)
    _check_not_locked(fresh)
    if fresh.status != R.SCHEDULED:
        raise ValidationError("This meeting has already started.", code="started")
    at = at or timezone.now()
    fresh.status, fresh.started_at = R.IN_PROGRESS, at
    fresh.save(update_fields=["status", "started_at"])
    _transition(fresh, ReviewTransition.Move.STARTED, actor=actor, from_status=R.SCHEDULED, at=at)
    events.changed(fresh, reason="review")
    review.status, review.started_at = fresh.status, fresh.started_at
    events.changed(review, reason="review_started")  # a meeting held is no longer "not held"
    _materialise(review, today=timezone.localdate(at))
    return review


@transaction.atomic
def agenda_refresh(*, actor, review: OversightReview, today: datetime.date | None = None) -> list[AgendaItem]:
    """Bring the agenda up to date: add what is new, drop what cleared, keep what was recorded."""
    policy.require(actor, V.RUN_REVIEW, review)
    _check_not_locked(review)
    return _materialise(review, today=today)


# --- Recording in the meeting -------------------------------------------------------------

RAISABLE_KINDS = (Challenge.Kind.QUESTION, Challenge.Kind.CHALLENGE, Challenge.Kind.EVIDENCE_REQUEST)


def _may_answer(person, provider_id: int, service_id: int | None) -> bool:
    scope = Service.objects.filter(pk=service_id).first() if service_id else Provider.objects.get(pk=provider_id)
    return policy.can(person, V.VIEW, scope)


def _check_due(due_on: datetime.date | None, today: datetime.date) -> datetime.date:
    if due_on is None:
        return today + datetime.timedelta(days=REQUEST_DUE_DAYS)
    if due_on < today:
        raise ValidationError({"due_on": "The answer cannot be due in the past."})
    return due_on


def default_addressee_id(item: AgendaItem) -> int | None:
    """Whoever owns what the item is about answers by default (one of them, the action's or
    theme's owner first), or nobody when it has no owner."""
    owners = item_owner_ids([item]).get(item.pk, set()) - {item.added_by_id}
    return min(owners) if owners else item.added_by_id


@transaction.atomic
def item_challenge(
    *,
    actor,
    item: AgendaItem,
    kind: str,
    text: str,
    addressed_to=None,
    due_on: datetime.date | None = None,
) -> Challenge:
    """A question, challenge or request for evidence on one agenda item, addressed to the
    person who must answer (by default the item's owner) with a date for the answer."""
    review = item.review
    policy.require(actor, V.CHALLENGE, review)
    _check_not_locked(review)
    if kind not in RAISABLE_KINDS:
        raise ValidationError({"kind": "Choose question, challenge or request for evidence."})
    text = _required(text, "text", "Write the question or challenge.")
    limits.check(Challenge, text=text)
    service_id = item.snapshot.get("service_id", review.service_id)
    today = timezone.localdate()
    due_on = _check_due(due_on, today)
    if addressed_to is None:
        pk = default_addressee_id(item)
        addressed_to = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
        if addressed_to is not None and not _may_answer(addressed_to, review.provider_id, service_id):
            addressed_to = None  # an owner who has left: the meeting answers it
    elif not _may_answer(addressed_to, review.provider_id, service_id):
        raise ValidationError({"addressed_to": "Address it to someone with access to this service or provider."})
    _locked_for_change(review)  # one at a time, so a double submit finds the first
    if item.challenges.filter(raised_by=actor, text=text, responded_at__isnull=True).exists():  # a double submit
        raise ValidationError({"text": "You have already raised this on this item."}, code="duplicate")
    action_id = item.subject_id if item.subject_type == "action" else item.snapshot.get("action_id")
    challenge = Challenge.objects.create(
        provider_id=review.provider_id,
        service_id=service_id,
        review=review,
        agenda_item=item,
        action_id=action_id,
        kind=kind,
        text=text,
        raised_by=actor,
        addressed_to=addressed_to,
        due_on=due_on if addressed_to is not None else None,
    )
    events.changed(challenge, reason="request")
    return challenge


def can_respond(user, challenge: Challenge) -> bool:
    """The person a request is addressed to answers it; the person running a meeting records
    an answer given there; on a closure proposal, someone working on the action answers."""
    if challenge.addressed_to_id is not None and challenge.addressed_to_id == user.pk:
        return policy.can(user, V.VIEW, challenge)
    if challenge.review_id is not None:
        open_meeting = challenge.review.status in (R.SCHEDULED, R.IN_PROGRESS)
        return open_meeting and policy.can(user, V.RUN_REVIEW, challenge.review)
    if challenge.action_id is not None:
        return policy.can(user, V.PROPOSE_CLOSURE, challenge.action)
    return False


def _check_evidence(challenge: Challenge, evidence) -> list[EvidenceItem]:
    """Evidence linked to an answer comes from the same service (or the provider's own)."""
    evidence = list(evidence or [])
    for item in evidence:
        same_service = challenge.service_id is None or item.service_id in (None, challenge.service_id)
        if item.provider_id != challenge.provider_id or not same_service or item.is_removed:
            raise ValidationError({"evidence": "Link evidence of this service only."})
    return evidence


@transaction.atomic
def challenge_respond(*, actor, challenge: Challenge, response: str, evidence=()) -> Challenge:
    """Answer a request or challenge: the text and any evidence items it points to. Once
    answered it stays answered (a second answer is refused, not written over)."""
    fresh = Challenge.objects.select_for_update(of=("self",)).select_related("review", "action").get(pk=challenge.pk)
    if not can_respond(actor, fresh):
        if fresh.review_id is not None:
            policy.require(actor, V.RUN_REVIEW, fresh.review)
        if fresh.addressed_to_id is not None:
            raise ValidationError(f"This is for {fresh.addressed_to} to answer.", code="not_addressee")
        if fresh.review_id is not None:
            _check_not_locked(fresh.review)
        raise PermissionDenied("You may not answer this.")
    if fresh.is_answered:
        raise ValidationError(
            f"This was already answered by {fresh.responded_by} on {timezone.localdate(fresh.responded_at):%d %b %Y}.",
            code="answered",
        )
    response = _required(response, "response", "Write the answer.")
    limits.check(Challenge, response=response)
    evidence = _check_evidence(fresh, evidence)
    fresh.response, fresh.responded_by, fresh.responded_at = response, actor, timezone.now()
    fresh.save(update_fields=["response", "responded_by", "responded_at"])
    if evidence:
        fresh.evidence.set(evidence)
    events.changed(fresh, reason="request")
    return _refresh(challenge, fresh, "response", "responded_by", "responded_at")


OWN_ITEM_MESSAGE = (
    "You own what this item is about, so someone else in the meeting records the assurance decision on it."
)


def owns_item(user, item: AgendaItem) -> bool:
    return user.pk in item_owner_ids([item]).get(item.pk, set())


def check_not_owner(user, item: AgendaItem) -> None:
    """Nobody gives the assurance decision on their own item (the action's or theme's owner,
    whoever must answer a request, whoever put the item on the agenda)."""
    if owns_item(user, item):
        raise ValidationError(OWN_ITEM_MESSAGE, code="own_item")


@transaction.atomic
def item_decide(
    *, actor, item: AgendaItem, decision: str, rationale: str, at: datetime.datetime | None = None
) -> AgendaItem:
    """Assured, partly assured or not assured, always with the reason (``at``: when, for imports)."""
    review = item.review
    policy.require(actor, V.RUN_REVIEW, review)
    _check_started(review)
    check_not_owner(actor, item)
    errors = {}
    if decision not in AgendaItem.Decision.values:
        errors["decision"] = "Choose assured, partly assured or not assured."
    if not (rationale or "").strip():
        errors["rationale"] = "Say why: what evidence the meeting tested and what it showed."
    else:
        errors.update(limits.problems(AgendaItem, rationale=rationale.strip()))
    if errors:
        raise ValidationError(errors)
    item.decision, item.rationale = decision, rationale.strip()
    item.decided_by, item.decided_at = actor, at or timezone.now()
    item.save(update_fields=["decision", "rationale", "decided_by", "decided_at"])
    item_record_layer_review(actor=actor, item=item, outcome=MEETING_OUTCOMES[decision], at=item.decided_at)
    announce_item(item, reason="review_decision")
    return item


def announce_item(item: AgendaItem, *, reason: str) -> None:
    """A decision on an agenda item may change the flags of what it is about.

    The item (its review's scope) and, for a review across the provider, the actions and
    themes it was about, each at its own service.
    """
    events.changed(item, reason=reason)
    action_ids, theme_ids = discussed_subjects([item])
    for action in RecoveryAction.objects.filter(provider_id=item.review.provider_id, pk__in=action_ids):
        events.changed(action, reason=reason)
    for theme in FailureTheme.objects.filter(provider_id=item.review.provider_id, pk__in=theme_ids):
        events.changed(theme, reason=reason)


def closure_action_for(item: AgendaItem) -> RecoveryAction | None:
    """The action a closure-proposal item is about, while it still awaits a decision."""
    if item.kind != AgendaItem.Kind.CLOSURE_PROPOSAL or item.subject_type != "action":
        return None
    return (
        RecoveryAction.objects.select_related("theme")
        .filter(pk=item.subject_id, provider_id=item.review.provider_id, status=RecoveryAction.Status.CLOSURE_PROPOSED)
        .first()
    )


@transaction.atomic
def item_decide_closure(
    *,
    actor,
    item: AgendaItem,
    decision: str,
    rationale: str,
    further_checks: str = "",
    at: datetime.datetime | None = None,
) -> AgendaItem:
    """The meeting decides a closure proposal on its agenda.

    The decision itself is the recovery app's (``action_decide_closure``: its decider rules, its
    lock, its transition and audit entry); governance only records it on the agenda item, so
    the minutes show it: approved is "assured" the action can close, refused "not assured".
    """
    review = item.review
    policy.require(actor, V.RUN_REVIEW, review)
    _check_started(review)
    check_not_owner(actor, item)
    action = closure_action_for(item)
    if action is None:
        raise ValidationError("This item is not a closure proposal awaiting a decision.", code="decided")
    at = at or timezone.now()
    action_decide_closure(
        actor=actor,
        action=action,
        decision=decision,
        rationale=rationale,
        further_checks=further_checks,
        at=at,
        review_item=item,
    )
    if decision == CLOSURE_APPROVE:
        item.decision, item.rationale = AgendaItem.Decision.ASSURED, f"Closure approved: {rationale.strip()}"
    else:
        item.decision = AgendaItem.Decision.NOT_ASSURED
        item.rationale = f"Closure refused: {rationale.strip()} Further checks: {further_checks.strip()}"
    item.decided_by, item.decided_at = actor, at
    item.save(update_fields=["decision", "rationale", "decided_by", "decided_at"])
    item_record_layer_review(actor=actor, item=item, outcome=ReviewOutcome.DECISION_RECORDED, at=at)
    events.changed(item, reason="review")
    return item


# --- A decision in a meeting is a review of its subject -----------------------------------

# An agenda decision as a review outcome: partly assured means further checks are needed.
MEETING_OUTCOMES = {
    AgendaItem.Decision.ASSURED: ReviewOutcome.ASSURED,
    AgendaItem.Decision.PARTLY_ASSURED: ReviewOutcome.FURTHER_CHECKS,
    AgendaItem.Decision.NOT_ASSURED: ReviewOutcome.NOT_ASSURED,
}
# The reviewer role and cadence each kind of meeting stands for.
KIND_ROLE = {
    OversightReview.Kind.WEEKLY_SERVICE: Role.REGISTERED_MANAGER,
    OversightReview.Kind.MONTHLY_LEADERSHIP: Role.NOMINATED_INDIVIDUAL,
    OversightReview.Kind.QUARTERLY_PROVIDER: Role.BOARD_MEMBER,
    OversightReview.Kind.QUARTERLY_BOARD: Role.BOARD_MEMBER,
}
KIND_CADENCE = {
    OversightReview.Kind.WEEKLY_SERVICE: Cadence.WEEKLY,
    OversightReview.Kind.MONTHLY_LEADERSHIP: Cadence.MONTHLY,
    OversightReview.Kind.QUARTERLY_PROVIDER: Cadence.QUARTERLY,
    OversightReview.Kind.QUARTERLY_BOARD: Cadence.QUARTERLY,
}


def item_review_subject(item: AgendaItem) -> RecoveryAction | FailureTheme | None:
    """The action or theme an agenda item is about (directly, or the subject of a flag item),
    within the meeting's scope; None for anything else (a measure, an audit, other business)."""
    kind, pk = item.subject_type, item.subject_id
    if kind == "flag":
        kind, pk = item.snapshot.get("subject_type"), item.snapshot.get("subject_id")
    model = {"action": RecoveryAction, "theme": FailureTheme}.get(kind)
    if model is None or not pk:
        return None
    scope = Q(provider_id=item.review.provider_id)
    if item.review.service_id is not None:
        scope &= Q(service_id=item.review.service_id)
    return model.objects.filter(scope, pk=pk).first()


def meeting_layer(review: OversightReview, layers: list[ReviewLayer]) -> ReviewLayer | None:
    """Which layer of a subject's route a meeting's decision satisfies, first match wins:

    1. a layer naming the meeting's chair as its reviewer;
    2. a layer whose reviewer role is the one the meeting's kind stands for (weekly service
       review: registered manager; monthly leadership review: nominated individual; quarterly
       provider or board review: provider board);
    3. a layer whose reviewer role the chair holds at the subject's service or provider;
    4. a layer at the cadence of the meeting's kind.
    None when no layer matches: the decision stays in the minutes and no layer moves.
    """
    layers = sorted((la for la in layers if la.retired_at is None), key=lambda la: (la.order, la.pk))
    if not layers:
        return None
    chair_id = review.chair_id
    for layer in layers:
        if layer.reviewer_id and layer.reviewer_id == chair_id:
            return layer
    kind_role = KIND_ROLE.get(review.kind)
    for layer in layers:
        if not layer.reviewer_id and layer.reviewer_role == kind_role:
            return layer
    subject = layers[0].subject
    chair_roles = policy.access_for(review.chair).roles_at(subject.provider_id, subject.service_id)
    for layer in layers:
        if not layer.reviewer_id and layer.reviewer_role in chair_roles:
            return layer
    kind_cadence = KIND_CADENCE.get(review.kind)
    for layer in layers:
        if layer.cadence == kind_cadence:
            return layer
    return None


def item_record_layer_review(*, actor, item: AgendaItem, outcome: str, at: datetime.datetime | None = None):
    """Record the meeting's decision on ``item`` as a review of its subject's matching layer.

    Called inside the decision's transaction by ``item_decide`` and ``item_decide_closure``
    (RUN_REVIEW already checked). One review per item and layer: deciding the item again in
    the same meeting does not add a second. Returns the record, or None when the item is not
    about an action or theme or no layer matches (``meeting_layer``).
    """
    subject = item_review_subject(item)
    if subject is None:
        return None
    review = item.review
    layer = meeting_layer(review, list(subject.review_layers.select_related("reviewer")))
    if layer is None:
        return None
    if AgendaItemReview.objects.filter(agenda_item=item, record__layer=layer).exists():
        return None
    held_on = min(timezone.localdate(review.started_at or at or timezone.now()), timezone.localdate())
    record = review_record(
        actor=actor,
        layer=layer,
        reviewed_on=held_on,
        outcome=outcome,
        looked_at=limits.clip(f"{item.title}. {item.rationale}", limits.NOTE),
        # The meeting reviewed it under its chair; a chair without access here (a guest) is not the reviewer.
        reviewed_by=review.chair if policy.can(review.chair, V.VIEW, subject) else actor,
        place=f"{review.title} ({held_on.day} {held_on:%b %Y}): {item.title}",
        place_url=review.get_absolute_url(),
        check_permission=False,
    )
    AgendaItemReview.objects.create(agenda_item=item, record=record)
    return record


def _theme_for_item(item: AgendaItem | None) -> FailureTheme | None:
    if item is None:
        return None
    if item.subject_type == "theme":
        return FailureTheme.objects.filter(pk=item.subject_id).first()
    action_id = item.subject_id if item.subject_type == "action" else item.snapshot.get("action_id")
    if item.subject_type == "flag" and item.snapshot.get("subject_type") == "theme":
        return FailureTheme.objects.filter(pk=item.snapshot.get("subject_id")).first()
    if item.subject_type == "flag" and item.snapshot.get("subject_type") == "action":
        action_id = item.snapshot.get("subject_id")
    if item.subject_type == "measure" and action_id is None:
        action_id = OutcomeMeasure.objects.filter(pk=item.subject_id).values_list("action_id", flat=True).first()
    if action_id:
        action = RecoveryAction.objects.select_related("theme").filter(pk=action_id).first()
        return action.theme if action else None
    return None


@transaction.atomic
def review_action_add(
    *,
    actor,
    review: OversightReview,
    description: str,
    owner,
    due_date: datetime.date,
    agenda_item: AgendaItem | None = None,
    create_recovery_action: bool = False,
) -> ReviewActionArising:
    """An action agreed in the meeting; optionally also a draft action on the recovery plan."""
    policy.require(actor, V.RUN_REVIEW, review)
    _check_not_locked(review)
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = "Say what has to be done."
    if due_date is None:
        errors["due_date"] = "Enter the date it is due."
    elif due_date < timezone.localdate():
        errors["due_date"] = "The due date cannot be in the past."
    if agenda_item is not None and agenda_item.review_id != review.pk:
        errors["agenda_item"] = "That item is on another review's agenda."
    errors.update(limits.problems(ReviewActionArising, description=description))
    if errors:
        raise ValidationError(errors)
    _check_member(owner, review, "owner", "owner")
    recovery_action = None
    if create_recovery_action:
        theme = _theme_for_item(agenda_item)
        if theme is None:
            raise ValidationError(
                {
                    "create_recovery_action": "Link this to an agenda item about a theme, action or measure "
                    "so the new action has a place on the recovery plan."
                }
            )
        recovery_action = action_create(
            actor=actor,
            theme=theme,
            title=description[:200],
            baseline_issue=f"Agreed at {review.title}: {description}",
            owner=owner,
            due_date=due_date,
        )
    return ReviewActionArising.objects.create(
        review=review,
        agenda_item=agenda_item,
        description=description,
        owner=owner,
        due_date=due_date,
        recovery_action=recovery_action,
    )


# --- Finalising and amending --------------------------------------------------------------


# Long minutes do not fit an evidence item's description; the review's page keeps all of them.
MINUTES_CONTINUED = "\n… The minutes continue on the review's page."


def minutes_text(review: OversightReview) -> str:
    """Plain-text minutes: the summary, then each item with its challenges, decision and actions."""
    items = review.agenda_items.prefetch_related("challenges", "actions_arising__owner").order_by("order", "pk")
    lines = [review.summary.strip(), ""]
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    for n, item in enumerate(sorted(items, key=lambda i: (i.order, order.get(i.kind, 99), i.pk)), start=1):
        lines.append(f"{n}. {item.title}")
        for c in item.challenges.all():
            lines.append(f"   {c.get_kind_display()}: {c.text}")
            if c.response:
                lines.append(f"   Response: {c.response}")
        if item.decision:
            lines.append(f"   Decision: {item.get_decision_display()} – {item.rationale}")
        else:
            lines.append("   No decision recorded.")
        for a in item.actions_arising.all():
            lines.append(f"   Action: {a.description} (owner {a.owner}, due {a.due_date:%d %b %Y})")
    return "\n".join(lines).strip()


@transaction.atomic
def review_finalise(
    *, actor, review: OversightReview, summary: str, at: datetime.datetime | None = None
) -> OversightReview:
    """Lock the minutes and keep them as evidence linked to what the meeting discussed."""
    policy.require(actor, V.RUN_REVIEW, review)
    caller = review
    review = (
        OversightReview.objects.select_for_update(of=("self",)).select_related("provider", "service").get(pk=review.pk)
    )
    _check_started(review)
    review.summary = _required(summary, "summary", "Write a short summary of what the meeting found and agreed.")
    limits.check(OversightReview, summary=review.summary)
    at = at or timezone.now()
    held_on = timezone.localdate(review.started_at or at)
    review.save(update_fields=["summary"])
    evidence = evidence_create(
        actor=actor,
        provider=review.provider,
        service=review.service,
        title=f"Minutes: {review.title} ({held_on.day} {held_on:%b %Y})",
        refers_to=min(held_on, timezone.localdate()),
        source_type=SourceType.GOVERNANCE_MINUTES,
        recorded_in="Governance minutes (oversight reviews)",
        description=limits.clip(minutes_text(review), limits.NARRATIVE, marker=MINUTES_CONTINUED),
        check_permission=False,
    )
    review.status, review.finalised_at, review.finalised_by = R.FINALISED, at, actor
    review.minutes_evidence = evidence
    review.save(update_fields=["status", "finalised_at", "finalised_by", "minutes_evidence"])
    _transition(review, ReviewTransition.Move.FINALISED, actor=actor, from_status=R.IN_PROGRESS, at=at)
    recorded = review.agenda_items.filter(pk__in=_recorded_ids(review))
    action_ids, theme_ids = discussed_subjects(recorded)
    scope = Q(provider_id=review.provider_id)
    if review.service_id is not None:
        scope &= Q(service_id=review.service_id)
    for action in RecoveryAction.objects.filter(scope, pk__in=action_ids):
        action.evidence.add(evidence)
    for theme in FailureTheme.objects.filter(scope, pk__in=theme_ids):
        theme.evidence.add(evidence)
    for name in ("summary", "status", "finalised_at", "finalised_by", "minutes_evidence"):
        setattr(caller, name, getattr(review, name))
    events.changed(review, reason="review_finalised")
    for item in recorded:
        announce_item(item, reason="review_decision")
    return caller


@transaction.atomic
def review_amend(
    *,
    actor,
    review: OversightReview,
    reason: str,
    summary: str | None = None,
    item: AgendaItem | None = None,
    decision: str | None = None,
    rationale: str | None = None,
) -> ReviewAmendment:
    """Change finalised minutes: the summary and/or one item's decision, with the reason kept."""
    policy.require(actor, V.RUN_REVIEW, review)
    if review.status != R.FINALISED:
        raise ValidationError("Only finalised minutes are amended; until then, edit them directly.")
    reason = _required(reason, "reason", "Say why the minutes need to change.")
    limits.check(ReviewAmendment, reason=reason)
    limits.check(OversightReview, summary=(summary or "").strip())
    limits.check(AgendaItem, rationale=(rationale or "").strip())
    changes: dict = {}
    if summary is not None and summary.strip() and summary.strip() != review.summary:
        changes["summary"] = [review.summary, summary.strip()]
        review.summary = summary.strip()
        review.save(update_fields=["summary"])
    if item is not None:
        if item.review_id != review.pk:
            raise ValidationError({"item": "That item is on another review's agenda."})
        new_decision = decision or item.decision
        new_rationale = (rationale or "").strip() or item.rationale
        if new_decision not in AgendaItem.Decision.values:
            raise ValidationError({"decision": "Choose assured, partly assured or not assured."})
        if not new_rationale:
            raise ValidationError({"rationale": "A decision needs its reason."})
        item_changes = {}
        if new_decision != item.decision:
            item_changes["decision"] = [item.decision, new_decision]
        if new_rationale != item.rationale:
            item_changes["rationale"] = [item.rationale, new_rationale]
        if item_changes:
            changes["items"] = {str(item.pk): {"title": item.title, **item_changes}}
            item.decision, item.rationale = new_decision, new_rationale
            if not item.decided_by_id:
                item.decided_by, item.decided_at = actor, timezone.now()
            item.save(update_fields=["decision", "rationale", "decided_by", "decided_at"])
            announce_item(item, reason="review_decision")
    if not changes:
        raise ValidationError("Nothing was changed: edit the summary or an item's decision.")
    amendment = ReviewAmendment.objects.create(review=review, reason=reason, changes=changes, amended_by=actor)
    _refresh_minutes_evidence(actor=actor, review=review, amendment=amendment)
    return amendment


def _refresh_minutes_evidence(*, actor, review: OversightReview, amendment: ReviewAmendment) -> None:
    """The kept copy of locked minutes follows each amendment: the evidence item's text is the
    minutes as amended, saying when and why they changed."""
    item = review.minutes_evidence
    if item is None:
        return
    amended_on = timezone.localdate(amendment.amended_at)
    note = f"\\n\\nAmended on {amended_on.day} {amended_on:%b %Y} by {actor}: {amendment.reason}"
    text = minutes_text(review)
    room = limits.NARRATIVE - len(note)
    evidence_update(
        actor=actor,
        item=item,
        title=item.title,
        refers_to=item.refers_to,
        source_type=item.source_type,
        category=item.category,
        nature=item.nature,
        nature_override_reason=item.nature_override_reason,
        recorded_in=item.recorded_in,
        description=limits.clip(text, room, marker=MINUTES_CONTINUED) + note,
        framework_items=list(item.framework_items.all()),
    )


# --- Items added by hand ------------------------------------------------------------------


@transaction.atomic
def item_add(*, actor, review: OversightReview, kind: str, title: str, detail: str = "") -> AgendaItem:
    """Put an item on the agenda by hand: other business, or a theme summary (the month's
    safeguarding themes). Whoever adds it owns it, so another member decides on it."""
    policy.require(actor, V.RUN_REVIEW, review)
    fresh = _locked_for_change(review)
    _check_not_locked(fresh)
    errors: dict[str, str] = {}
    if kind not in HAND_KINDS:
        errors["kind"] = "Choose other business or a theme summary."
    title = (title or "").strip()
    detail = (detail or "").strip()
    if not title:
        errors["title"] = "Say what the item is."
    errors.update(limits.problems(AgendaItem, title=title))
    if len(detail) > limits.NARRATIVE:
        errors["detail"] = limits.too_long_message(limits.NARRATIVE, len(detail))
    if errors:
        raise ValidationError(errors)
    if fresh.agenda_items.filter(kind__in=HAND_KINDS, title=title).exists():
        raise ValidationError({"title": "An item with this title is already on the agenda."}, code="duplicate")
    last = fresh.agenda_items.order_by("-order").values_list("order", flat=True).first() or 0
    return AgendaItem.objects.create(
        review=fresh,
        order=last + 1,
        kind=kind,
        title=title,
        snapshot={
            "service_id": fresh.service_id,
            "service": str(fresh.service or "Across the provider"),
            "detail": detail,
        },
        added_by=actor,
    )


# --- Attendance ---------------------------------------------------------------------------


def invited_ids(review: OversightReview) -> set[int]:
    return {review.chair_id, *review.attendees.values_list("pk", flat=True)}


@transaction.atomic
def attendance_record(*, actor, review: OversightReview, person, status: str) -> ReviewAttendance:
    """Present, apologies or absent, for one invited person; recording again changes it."""
    policy.require(actor, V.RUN_REVIEW, review)
    fresh = _locked_for_change(review)
    _check_not_locked(fresh)
    if status not in ReviewAttendance.Status.values:
        raise ValidationError({"status": "Choose present, apologies or absent."})
    if person is None or person.pk not in invited_ids(fresh):
        raise ValidationError({"person": "Only people invited to this meeting have attendance recorded."})
    row, _ = ReviewAttendance.objects.update_or_create(
        review=fresh, person=person, defaults={"status": status, "recorded_by": actor}
    )
    return row


# --- Recurring series ---------------------------------------------------------------------

# How far ahead a series plans its meetings (the daily beat task keeps the horizon rolling).
SERIES_HORIZON_DAYS = 120
SERIES_MONTHS = {ReviewSeries.Frequency.MONTHLY: 1, ReviewSeries.Frequency.QUARTERLY: 3}


def _add_months(day: datetime.date, months: int, anchor_day: int) -> datetime.date:
    import calendar as pycalendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(anchor_day, pycalendar.monthrange(year, month)[1]))


def series_dates(series: ReviewSeries, *, since: datetime.date, until: datetime.date) -> list[datetime.date]:
    """The days the series meets from ``since`` to ``until`` (both included)."""
    days, day, n = [], series.starts_on, 0
    while day <= until:
        if day >= since:
            days.append(day)
        n += 1
        if series.frequency == ReviewSeries.Frequency.WEEKLY:
            day = series.starts_on + datetime.timedelta(weeks=n)
        else:
            day = _add_months(series.starts_on, SERIES_MONTHS[series.frequency] * n, series.starts_on.day)
    return days


@transaction.atomic
def series_fill(*, series: ReviewSeries, today: datetime.date | None = None) -> list[OversightReview]:
    """Plan the series' meetings from today to the horizon. Safe to run again: a day the series
    already planned (even one moved or cancelled since) is never planned twice."""
    series = (
        ReviewSeries.objects.select_for_update(of=("self",))
        .select_related("provider", "service", "chair")
        .get(pk=series.pk)
    )
    if not series.active:
        return []
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=SERIES_HORIZON_DAYS)
    planned = set(series.reviews.values_list("occurrence_on", flat=True))
    attendees = list(series.attendees.all())
    tz = timezone.get_current_timezone()
    created = []
    for day in series_dates(series, since=today, until=until):
        if day in planned:
            continue
        created.append(
            _review_new(
                actor=None,  # planned by the series, not by a person today
                provider=series.provider,
                service=series.service,
                kind=series.kind,
                scheduled_for=datetime.datetime.combine(day, series.time_of_day, tzinfo=tz),
                chair=series.chair,
                title=series.title,
                duration_minutes=series.duration_minutes,
                location=series.location,
                attendees=attendees,
                series=series,
                occurrence_on=day,
            )
        )
    series.planned_until = until
    series.save(update_fields=["planned_until"])
    return created


def series_fill_all(*, today: datetime.date | None = None) -> int:
    """The beat task's work: roll every active series' horizon forward. Returns meetings added."""
    added = 0
    for pk in ReviewSeries.objects.filter(active=True).values_list("pk", flat=True):
        try:
            added += len(series_fill(series=ReviewSeries(pk=pk), today=today))
        except ValidationError as exc:  # e.g. the chair has left: the series waits for a new chair
            logger.warning("Review series %s not planned: %s", pk, " ".join(exc.messages))
    return added


@transaction.atomic
def series_create(
    *,
    actor,
    provider: Provider,
    service: Service | None = None,
    kind: str,
    frequency: str,
    starts_on: datetime.date,
    time_of_day: datetime.time,
    chair,
    title: str = "",
    duration_minutes: int = 60,
    location: str = "",
    attendees=(),
) -> ReviewSeries:
    """A recurring review of a service or across the provider; its meetings are planned at once
    up to the horizon."""
    if service is not None and service.provider_id != provider.pk:
        raise ValidationError("The service does not belong to this provider.")
    scope = service or provider
    policy.require(actor, V.RUN_REVIEW, scope)
    errors: dict[str, str] = {}
    if frequency not in ReviewSeries.Frequency.values:
        errors["frequency"] = "Choose how often it meets."
    if starts_on is None:
        errors["starts_on"] = "Enter the day of the first meeting."
    elif starts_on < timezone.localdate():
        errors["starts_on"] = "The first meeting cannot be in the past."
    if time_of_day is None:
        errors["time_of_day"] = "Enter the time the meetings start."
    if errors:
        raise ValidationError(errors)
    attendees = _check_details(
        scope=scope,
        kind=kind,
        scheduled_for=starts_on,
        chair=chair,
        attendees=attendees,
        duration_minutes=duration_minutes,
    )
    title = (title or "").strip() or f"{OversightReview.Kind(kind).label} – {scope}"
    Provider.objects.select_for_update().filter(pk=provider.pk).first()
    twin = ReviewSeries.objects.filter(
        provider=provider, service=service, kind=kind, frequency=frequency, starts_on=starts_on, active=True
    )
    if twin.exists():  # a double submit
        raise ValidationError({"starts_on": "This series is already set up."}, code="duplicate")
    series = ReviewSeries(
        provider=provider,
        service=service,
        kind=kind,
        title=title,
        frequency=frequency,
        starts_on=starts_on,
        time_of_day=time_of_day,
        duration_minutes=duration_minutes or 60,
        location=(location or "").strip(),
        chair=chair,
        created_by=actor,
    )
    series.full_clean()
    series.save()
    series.attendees.set(attendees)
    series_fill(series=series)
    return series


@transaction.atomic
def series_stop(*, actor, series: ReviewSeries, reason: str) -> ReviewSeries:
    """No more meetings: the series stops planning and its future unheld meetings are
    cancelled with the reason (held ones stay as they are)."""
    policy.require(actor, V.RUN_REVIEW, series.service or series.provider)
    reason = _required(reason, "reason", "Say why the series stops.")
    limits.check(OversightReview, report_as={"cancel_reason": "reason"}, cancel_reason=reason)
    fresh = ReviewSeries.objects.select_for_update().get(pk=series.pk)
    if not fresh.active:
        raise ValidationError("This series has already stopped.", code="stopped")
    fresh.active = False
    fresh.save(update_fields=["active"])
    for review in fresh.reviews.filter(status=R.SCHEDULED, scheduled_for__gte=timezone.now()):
        review_cancel(actor=actor, review=review, reason=reason)
    series.active = False
    return series
