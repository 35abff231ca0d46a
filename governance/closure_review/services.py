"""The closure-review screen's own write: asking for further evidence before deciding.

Approving and refusing are not governance's: the screen calls the recovery app's one door,
``recovery.closure.services.action_decide_closure``. Asking for more evidence records a
challenge (a governance record) on the action and leaves the proposal pending.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import events, limits
from governance.models import Challenge
from governance.reviews.services import REQUEST_DUE_DAYS
from recovery.closure.services import check_decider
from recovery.models import RecoveryAction


@transaction.atomic
def closure_request_evidence(*, actor, action: RecoveryAction, text: str) -> Challenge:
    """Ask the people working on the action for further evidence before deciding."""
    fresh = RecoveryAction.objects.select_for_update().get(pk=action.pk)
    if fresh.status != RecoveryAction.Status.CLOSURE_PROPOSED:
        raise ValidationError("This action is no longer awaiting a closure decision.", code="decided")
    check_decider(actor, fresh)  # only someone who may decide it asks for more before deciding
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Say what further evidence you need, and why."})
    limits.check(Challenge, text=text)
    challenge = Challenge.objects.create(
        provider_id=fresh.provider_id,
        service_id=fresh.service_id,
        action=fresh,
        kind=Challenge.Kind.EVIDENCE_REQUEST,
        text=text,
        raised_by=actor,
        # The action's owner answers, by the usual date for a request (see reviews/services.py).
        addressed_to_id=fresh.owner_id,
        due_on=timezone.localdate() + datetime.timedelta(days=REQUEST_DUE_DAYS),
    )
    events.changed(challenge, reason="request")
    return challenge
