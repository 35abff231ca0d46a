"""Writes for review routes: default layers, editing them, and recording a review.

``review_record`` is the one door for "this was reviewed": a meeting's agenda item
(governance, ``governance.reviews.services``) and the "Record a review" form on the action and
theme pages both call it. It appends a ``ReviewRecord``, moves the layer's last reviewed and
next due dates, and announces the change (``core.events.changed(subject, reason="review")``)
so the overdue-review flag on that layer resolves.

Default routes come from the subject's risk when it is created (``DEFAULT_ACTION_ROUTES``,
``DEFAULT_THEME_ROUTES``); a later risk change leaves the route as it is (people edit it on
the page, and each edit is in the audit trail).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from core.choices import CADENCE_DAYS, Cadence, RiskLevel
from core.models import Role
from recovery.plan.models import FailureTheme, RecoveryAction
from recovery.reviewing.models import ReviewLayer, ReviewOutcome, ReviewRecord

V = policy.Verb
Subject = RecoveryAction | FailureTheme

# (reviewer role, cadence) per layer, in the order the layers are shown.
DEFAULT_ACTION_ROUTES: dict[str, list[tuple[str, str]]] = {
    RiskLevel.HIGH: [
        (Role.REGISTERED_MANAGER, Cadence.WEEKLY),
        (Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY),
        (Role.BOARD_MEMBER, Cadence.QUARTERLY),
    ],
    RiskLevel.MEDIUM: [
        (Role.REGISTERED_MANAGER, Cadence.WEEKLY),
        (Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY),
    ],
    RiskLevel.LOW: [(Role.REGISTERED_MANAGER, Cadence.MONTHLY)],
}
DEFAULT_THEME_ROUTES: dict[str, list[tuple[str, str]]] = {
    RiskLevel.HIGH: [(Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY), (Role.BOARD_MEMBER, Cadence.QUARTERLY)],
    RiskLevel.MEDIUM: [(Role.NOMINATED_INDIVIDUAL, Cadence.MONTHLY)],
    RiskLevel.LOW: [(Role.NOMINATED_INDIVIDUAL, Cadence.QUARTERLY)],
}

# Outcomes a review outside a meeting can record ("decision recorded" is a meeting's closure decision).
OUTSIDE_MEETING_OUTCOMES = (ReviewOutcome.ASSURED, ReviewOutcome.NOT_ASSURED, ReviewOutcome.FURTHER_CHECKS)

# When a subject has no layer left, the governance cycle falls back to the old defaults.
DEFAULT_CYCLE = {"action": Cadence.WEEKLY, "theme": Cadence.MONTHLY}


def _subject_kwargs(subject: Subject) -> dict:
    return {"action": subject} if isinstance(subject, RecoveryAction) else {"theme": subject}


def anchor_of(subject: Subject) -> datetime.date | None:
    """The day a layer's first review is counted from: an action's start, a theme's creation."""
    if isinstance(subject, RecoveryAction):
        return subject.started_on
    return timezone.localdate(subject.created_at) if subject.created_at else timezone.localdate()


def cycle_days(layers, *, subject_type: str) -> int:
    """One governance cycle for a subject: its route's first active layer's cadence, in days.

    Used for the keep-visible period of a closed theme and the follow-up window after an
    action's closure. ``layers`` are the subject's loaded layers (any order).
    """
    active = sorted((la for la in layers if la.retired_at is None), key=lambda la: (la.order, la.pk or 0))
    cadence = active[0].cadence if active else DEFAULT_CYCLE[subject_type]
    return CADENCE_DAYS[cadence]


def _check_reviewer(reviewer_role: str, reviewer, subject: Subject) -> dict[str, str]:
    errors: dict[str, str] = {}
    if reviewer_role and reviewer_role not in Role.values:
        errors["reviewer_role"] = "Choose a role."
    if not reviewer_role and reviewer is None:
        errors["reviewer_role"] = "Choose who reviews: a role, or a named person."
    if reviewer is not None and not policy.can(reviewer, V.VIEW, subject):
        errors["reviewer"] = "The reviewer must be someone with access to this service or provider."
    return errors


def layers_create_default(*, subject: Subject) -> list[ReviewLayer]:
    """The default route for a new action or theme, from its risk (called by the create services)."""
    routes = DEFAULT_ACTION_ROUTES if isinstance(subject, RecoveryAction) else DEFAULT_THEME_ROUTES
    anchor = anchor_of(subject)
    layers = []
    for order, (role, cadence) in enumerate(routes.get(subject.risk_level, routes[RiskLevel.MEDIUM]), start=1):
        layer = ReviewLayer(
            provider_id=subject.provider_id,
            service_id=subject.service_id,
            reviewer_role=role,
            cadence=cadence,
            order=order,
            **_subject_kwargs(subject),
        )
        layer.next_due = layer.due_after(anchor) if anchor else None
        layers.append(layer)
    # One INSERT for the route (the plan import creates hundreds of actions). Derived from the
    # subject's risk, whose creation is in the trail; later edits are logged one by one.
    return ReviewLayer.objects.bulk_create(layers)


def layers_start(*, action: RecoveryAction) -> None:
    """An action has started: each layer not yet reviewed is due one cadence after the start."""
    for layer in ReviewLayer.objects.filter(action=action, next_due__isnull=True, last_reviewed_on__isnull=True):
        layer.next_due = layer.due_after(action.started_on)
        layer.save(update_fields=["next_due", "updated_at"])


@transaction.atomic
def layer_add(*, actor, subject: Subject, cadence: str, reviewer_role: str = "", reviewer=None) -> ReviewLayer:
    """A further layer on a subject's review route."""
    policy.require(actor, V.EDIT_PLAN, subject)
    errors = _check_reviewer(reviewer_role, reviewer, subject)
    if cadence not in Cadence.values:
        errors["cadence"] = "Choose how often."
    if errors:
        raise ValidationError(errors)
    last = ReviewLayer.objects.filter(**_subject_kwargs(subject)).order_by("-order").values_list("order", flat=True)
    layer = ReviewLayer(
        provider_id=subject.provider_id,
        service_id=subject.service_id,
        reviewer_role=reviewer_role or "",
        reviewer=reviewer,
        cadence=cadence,
        order=(last.first() or 0) + 1,
        **_subject_kwargs(subject),
    )
    # A layer added to a route already running is first due one cadence from today.
    layer.next_due = layer.due_after(timezone.localdate()) if anchor_of(subject) else None
    layer.save()
    events.changed(subject, reason="review_route")
    return layer


@transaction.atomic
def layer_update(*, actor, layer: ReviewLayer, cadence: str, reviewer_role: str = "", reviewer=None) -> ReviewLayer:
    """Change who reviews or how often; the next due moves with the cadence."""
    subject = layer.subject
    policy.require(actor, V.EDIT_PLAN, subject)
    errors = _check_reviewer(reviewer_role, reviewer, subject)
    if cadence not in Cadence.values:
        errors["cadence"] = "Choose how often."
    if errors:
        raise ValidationError(errors)
    locked = ReviewLayer.objects.select_for_update().get(pk=layer.pk)
    if locked.retired_at is not None:
        raise ValidationError("This layer has been removed from the route.")
    locked.reviewer_role, locked.reviewer, locked.cadence = reviewer_role or "", reviewer, cadence
    anchor = anchor_of(subject)
    start = locked.last_reviewed_on or (max(anchor, timezone.localdate(locked.created_at)) if anchor else None)
    locked.next_due = locked.due_after(start) if start else None
    locked.save()  # auditlog records old -> new
    events.changed(subject, reason="review_route")
    return locked


@transaction.atomic
def layer_retire(*, actor, layer: ReviewLayer) -> ReviewLayer:
    """Take a layer off the route. Its review records stay in the history."""
    subject = layer.subject
    policy.require(actor, V.EDIT_PLAN, subject)
    locked = ReviewLayer.objects.select_for_update().get(pk=layer.pk)
    if locked.retired_at is None:
        locked.retired_at = timezone.now()
        locked.save(update_fields=["retired_at", "updated_at"])
        events.changed(subject, reason="review_route")
    return locked


def may_record_review(user, layer: ReviewLayer) -> bool:
    """Who may record a review on a layer: someone who runs reviews here, or the layer's reviewer
    (the named person, or someone holding the layer's role at the subject's service or provider)."""
    subject = layer.subject
    if not policy.can(user, V.VIEW, subject):
        return False
    if policy.can(user, V.RUN_REVIEW, subject):
        return True
    if layer.reviewer_id:
        return layer.reviewer_id == user.pk
    return layer.reviewer_role in policy.access_for(user).roles_at(subject.provider_id, subject.service_id)


@transaction.atomic
def review_record(
    *,
    actor,
    layer: ReviewLayer,
    reviewed_on: datetime.date,
    outcome: str,
    looked_at: str,
    reviewed_by=None,
    place: str = "",
    place_url: str = "",
    check_permission: bool = True,
) -> ReviewRecord:
    """Record that ``layer``'s subject was reviewed: append the record, move the layer's dates.

    ``reviewed_by`` defaults to ``actor``. ``place`` names the meeting and item (empty: outside
    a meeting). A review dated before the layer's last one is kept in the history and leaves
    the dates as they are. ``check_permission=False`` is for a caller that has checked already
    (a review meeting: RUN_REVIEW on the meeting).
    """
    subject = layer.subject
    if check_permission and not may_record_review(actor, layer):
        raise PermissionDenied("You may not record a review on this layer.")
    reviewed_by = reviewed_by or actor
    looked_at = (looked_at or "").strip()
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if reviewed_on is None:
        errors["reviewed_on"] = "Enter the day the review took place."
    elif reviewed_on > today:
        errors["reviewed_on"] = "A review cannot be recorded before it has happened: the date is in the future."
    elif reviewed_on < (anchor_of(subject) or timezone.localdate(subject.created_at)) - datetime.timedelta(days=366):
        errors["reviewed_on"] = "That date is long before this was on the plan. Check the year."
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = "Choose the outcome: assured, not assured or further checks needed."
    if not looked_at:
        errors["looked_at"] = "Say what was looked at: the records, evidence or practice the review tested."
    else:
        errors.update(limits.problems(ReviewRecord, looked_at=looked_at))
    if reviewed_by is not None and not policy.can(reviewed_by, V.VIEW, subject):
        errors["reviewed_by"] = "The reviewer must be someone with access to this service or provider."
    if errors:
        raise ValidationError(errors)
    locked = ReviewLayer.objects.select_for_update().get(pk=layer.pk)
    if locked.retired_at is not None:
        raise ValidationError("This layer has been removed from the route; record the review on a current layer.")
    record = ReviewRecord.objects.create(
        provider_id=subject.provider_id,
        service_id=subject.service_id,
        layer=locked,
        reviewed_on=reviewed_on,
        reviewed_by=reviewed_by,
        outcome=outcome,
        looked_at=looked_at,
        place=(place or "")[:250],
        place_url=(place_url or "")[:250],
        recorded_by=actor,
        **_subject_kwargs(subject),
    )
    if locked.last_reviewed_on is None or reviewed_on >= locked.last_reviewed_on:
        locked.last_reviewed_on = reviewed_on
        locked.next_due = locked.due_after(reviewed_on)
        locked.save(update_fields=["last_reviewed_on", "next_due", "updated_at"])
    layer.last_reviewed_on, layer.next_due = locked.last_reviewed_on, locked.next_due
    events.changed(subject, reason="review")
    return record
