"""Writes for sharing leadership learning across a provider's services."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import limits
from core import permissions as policy
from core.models import Service
from recovery.learning.models import LearningShare
from recovery.models import LeadershipLearning


def shareable_services(actor, learning: LeadershipLearning):
    """The provider's other services ``actor`` can see: the only ones a learning is offered to."""
    qs = policy.objects_for(actor, Service.objects.filter(provider_id=learning.provider_id), policy.Verb.VIEW)
    if learning.service_id:
        qs = qs.exclude(pk=learning.service_id)
    return qs.order_by("name")


@transaction.atomic
def learning_share(
    *, actor, learning: LeadershipLearning, services: Iterable[Service], note: str = ""
) -> list[LearningShare]:
    """Offer ``learning`` to other services of its provider; returns the shares made.

    A service it was already shared with is left as it is (a double submit shares nothing
    twice). A service of another provider, or one the sharer cannot see, is refused.
    """
    policy.require(actor, policy.Verb.EDIT_PLAN, learning)
    services = list(services)
    if not services:
        raise ValidationError({"services": "Choose at least one service to share the learning with."})
    allowed = set(shareable_services(actor, learning).values_list("pk", flat=True))
    if any(s.pk not in allowed for s in services):
        raise ValidationError({"services": "Choose services of this provider, other than the learning's own."})
    note = (note or "").strip()
    limits.check(LearningShare, note=note)
    already = set(LearningShare.objects.filter(learning=learning).values_list("service_id", flat=True))
    made = []
    for service in services:
        if service.pk in already:
            continue
        try:
            with transaction.atomic():
                share = LearningShare.objects.create(
                    learning=learning, provider_id=learning.provider_id, service=service, note=note, shared_by=actor
                )
        except IntegrityError:  # shared at the same moment by someone else: that one stands
            continue
        made.append(share)
    return made


@transaction.atomic
def learning_share_respond(*, actor, share: LearningShare, applies: bool, what_changed: str) -> LearningShare:
    """The receiving service says whether the learning applies and what it changed (or why not).

    Answered once: the row is locked, and a second answer (a double submit, or two people at
    once) is refused with who answered and when, unless it repeats the first exactly.
    """
    policy.require(actor, policy.Verb.EDIT_PLAN, share)
    what_changed = (what_changed or "").strip()
    if not what_changed:
        raise ValidationError(
            {
                "what_changed": "Say what you changed because of it."
                if applies
                else "Say why it does not apply at this service."
            }
        )
    limits.check(LearningShare, what_changed=what_changed)
    fresh = LearningShare.objects.select_for_update().get(pk=share.pk)
    if fresh.answered:
        if (fresh.applies, fresh.what_changed) == (applies, what_changed):
            return fresh
        when = f"{fresh.responded_at.day} {fresh.responded_at:%b %Y}"
        raise ValidationError(f"{fresh.responded_by} already answered this on {when}: {fresh.outcome_label.lower()}.")
    fresh.applies, fresh.what_changed = applies, what_changed
    fresh.responded_by, fresh.responded_at = actor, timezone.now()
    fresh.save(update_fields=["applies", "what_changed", "responded_by", "responded_at", "updated_at"])
    return fresh
