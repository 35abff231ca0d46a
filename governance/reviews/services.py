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

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from core.models import Provider, Service
from evidence.models import SourceType
from evidence.services import evidence_create
from governance.flags.services import Scope, flags_reevaluate
from governance.models import AgendaItem, Challenge, OversightReview, ReviewActionArising, ReviewAmendment
from governance.reviews.agenda import KIND_ORDER, build_agenda, discussed_subjects
from recovery.closure.services import APPROVE as CLOSURE_APPROVE
from recovery.closure.services import action_decide_closure
from recovery.models import FailureTheme, OutcomeMeasure, RecoveryAction
from recovery.plan.services import action_create

R = OversightReview.Status
V = policy.Verb

DEFAULT_KIND_FOR_SERVICE = OversightReview.Kind.WEEKLY_SERVICE


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
    scope = service or provider
    policy.require(actor, V.RUN_REVIEW, scope)
    errors: dict[str, str] = {}
    if kind not in OversightReview.Kind.values:
        errors["kind"] = "Choose the kind of review."
    if scheduled_for is None:
        errors["scheduled_for"] = "Enter the date and time of the meeting."
    if errors:
        raise ValidationError(errors)
    _check_member(chair, scope, "chair", "chair")
    attendees = list(attendees or [])
    for person in attendees:
        _check_member(person, scope, "attendees", "attendees")
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
    )
    review.full_clean()
    review.save()
    if attendees:
        review.attendees.set(attendees)
    events.changed(review, reason="review_scheduled")
    return review


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
    existing = {(i.kind, i.subject_type, i.subject_id): i for i in review.agenda_items.all()}
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
        if key not in live_keys and item.pk not in recorded and item.kind != AgendaItem.Kind.OTHER:
            item.delete()  # no longer true and nobody recorded on it
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


@transaction.atomic
def item_challenge(*, actor, item: AgendaItem, kind: str, text: str) -> Challenge:
    """A question, challenge or request for evidence on one agenda item."""
    review = item.review
    policy.require(actor, V.CHALLENGE, review)
    _check_not_locked(review)
    if kind not in RAISABLE_KINDS:
        raise ValidationError({"kind": "Choose question, challenge or request for evidence."})
    text = _required(text, "text", "Write the question or challenge.")
    limits.check(Challenge, text=text)
    action_id = item.subject_id if item.subject_type == "action" else item.snapshot.get("action_id")
    return Challenge.objects.create(
        provider_id=review.provider_id,
        service_id=item.snapshot.get("service_id", review.service_id),
        review=review,
        agenda_item=item,
        action_id=action_id,
        kind=kind,
        text=text,
        raised_by=actor,
    )


def can_respond(user, challenge: Challenge) -> bool:
    if challenge.review_id is not None:
        return policy.can(user, V.RUN_REVIEW, challenge.review)
    if challenge.action_id is not None:
        return policy.can(user, V.PROPOSE_CLOSURE, challenge.action)
    return False


@transaction.atomic
def challenge_respond(*, actor, challenge: Challenge, response: str) -> Challenge:
    """Record the answer given. In a review the person running it records it; on a closure
    proposal, someone who works on the action answers the request."""
    if challenge.review_id is not None:
        policy.require(actor, V.RUN_REVIEW, challenge.review)
        _check_not_locked(challenge.review)
    else:
        policy.require(actor, V.PROPOSE_CLOSURE, challenge.action)
    challenge.response = _required(response, "response", "Write the response given.")
    limits.check(Challenge, response=challenge.response)
    challenge.responded_by, challenge.responded_at = actor, timezone.now()
    challenge.save(update_fields=["response", "responded_by", "responded_at"])
    return challenge


@transaction.atomic
def item_decide(
    *, actor, item: AgendaItem, decision: str, rationale: str, at: datetime.datetime | None = None
) -> AgendaItem:
    """Assured, partly assured or not assured, always with the reason (``at``: when, for imports)."""
    review = item.review
    policy.require(actor, V.RUN_REVIEW, review)
    _check_started(review)
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
    return item


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
    return ReviewAmendment.objects.create(review=review, reason=reason, changes=changes, amended_by=actor)
