"""What a closure decision rests on cannot be changed under it (issue 12, finding 1).

Reproduced on the demo: the deputy proposed high-risk A-1, the registered manager could not
decide it, edited its risk to low and then approved it; the snapshot said "low" and no flag
was raised.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.choices import RiskLevel
from evidence.tests.factories import EvidenceFactory
from governance.flags.rules import compute_flags
from governance.models import Flag
from recovery.closure import services as closure
from recovery.measures.services import measure_update
from recovery.models import ActionTransition, RecoveryAction
from recovery.plan.services import PROPOSAL_LOCK, action_update
from recovery.tests.factories import MeasureFactory, in_progress_action, proposed_action

pytestmark = pytest.mark.django_db
S = RecoveryAction.Status


def _edit_data(world, action, **over):
    data = {
        "title": action.title,
        "baseline_issue": action.baseline_issue,
        "intended_outcome": action.intended_outcome or "Escalation within the shift.",
        "measurable_target": action.measurable_target,
        "owner": action.owner_id,
        "due_date": action.due_date.isoformat(),
        "risk_level": action.risk_level,
        "evidence_required": action.evidence_required,
    }
    data.update(over)
    return data


def test_edit_then_decide_no_longer_bypasses_the_nominated_individual(world, client):
    action = proposed_action(world.service, proposer=world.deputy, risk_level=RiskLevel.HIGH, owner=world.deputy)
    client.force_login(world.rm)
    decide = reverse("recovery:action_decide", kwargs={"pk": action.pk})
    assert client.post(decide, {"decision": "approve", "rationale": "Looks fine"}).status_code == 403

    response = client.post(
        reverse("recovery:action_edit", kwargs={"pk": action.pk}),
        _edit_data(world, action, risk_level=RiskLevel.LOW, risk_reason="It is not high really."),
    )
    assert response.status_code == 200
    assert "locked until the proposal is approved or refused" in response.content.decode()
    action.refresh_from_db()
    assert action.risk_level == RiskLevel.HIGH and action.status == S.CLOSURE_PROPOSED

    assert client.post(decide, {"decision": "approve", "rationale": "Looks fine"}).status_code == 403
    action.refresh_from_db()
    assert action.status == S.CLOSURE_PROPOSED


def test_measures_cannot_be_redefined_while_a_proposal_waits(world):
    action = proposed_action(world.service, proposer=world.deputy)
    measure = MeasureFactory(action=action)
    with pytest.raises(ValidationError) as refused:
        measure_update(actor=world.rm, measure=measure, target_value=1)
    assert PROPOSAL_LOCK in refused.value.messages


def test_a_change_of_risk_needs_a_reason_and_is_recorded(world):
    action = in_progress_action(world.service, owner=world.owner, risk_level=RiskLevel.HIGH)
    with pytest.raises(ValidationError) as refused:
        action_update(actor=world.rm, action=action, risk_level=RiskLevel.LOW)
    assert "risk_reason" in refused.value.message_dict
    action_update(actor=world.rm, action=action, risk_level=RiskLevel.LOW, risk_reason="Falls stopped in May.")
    change = ActionTransition.objects.get(action=action)
    assert change.from_status == change.to_status == S.IN_PROGRESS
    assert change.snapshot["risk"] == {"from": "high", "to": "low"} and change.actor == world.rm
    assert change.reason == "Falls stopped in May."


def test_the_action_page_shows_the_risk_change(world, client):
    action = in_progress_action(world.service, owner=world.owner, risk_level=RiskLevel.HIGH)
    action_update(actor=world.rm, action=action, risk_level=RiskLevel.MEDIUM, risk_reason="Two quiet months.")
    client.force_login(world.ni)
    html = client.get(reverse("recovery:action_detail", kwargs={"pk": action.pk})).content.decode()
    assert "Risk changed from high to medium" in html and "Two quiet months." in html


def test_a_closure_after_the_risk_was_lowered_without_the_ni_is_flagged(world):
    action = in_progress_action(world.service, owner=world.owner, risk_level=RiskLevel.HIGH)
    action_update(actor=world.rm, action=action, risk_level=RiskLevel.LOW, risk_reason="Lowered to close it.")
    action.refresh_from_db()
    action.evidence.add(EvidenceFactory(service=world.service, refers_to=timezone.localdate()))
    closure.action_propose_closure(
        actor=world.deputy, action=action, note="Done.", justification="Trust us, the audit shows it."
    )
    closure.action_decide_closure(actor=world.rm, action=action, decision="approve", rationale="Fine.")
    action.refresh_from_db()
    assert action.status == S.CLOSED
    specs = [s for s in compute_flags(world.provider, today=timezone.localdate()).values() if s.subject_id == action.pk]
    causes = {(s.kind, s.cause) for s in specs}
    assert (Flag.Kind.UNSUPPORTED_CLOSURE, "risk_lowered_no_ni") in causes


def test_the_same_closure_decided_by_the_ni_is_not_flagged_for_it(world):
    action = in_progress_action(
        world.service,
        owner=world.owner,
        risk_level=RiskLevel.HIGH,
    )
    action.started_on = timezone.localdate() - datetime.timedelta(days=30)
    action.save()
    action_update(actor=world.rm, action=action, risk_level=RiskLevel.LOW, risk_reason="Quiet quarter.")
    action.refresh_from_db()
    action.evidence.add(EvidenceFactory(service=world.service, refers_to=timezone.localdate()))
    closure.action_propose_closure(actor=world.deputy, action=action, note="Done.", justification="See audit.")
    closure.action_decide_closure(actor=world.ni, action=action, decision="approve", rationale="Tested.")
    specs = [s for s in compute_flags(world.provider, today=timezone.localdate()).values() if s.subject_id == action.pk]
    assert "risk_lowered_no_ni" not in {s.cause for s in specs}


def test_the_action_page_says_the_plan_is_locked_while_a_proposal_waits(world, client):
    action = proposed_action(world.service, proposer=world.deputy)
    client.force_login(world.rm)
    html = client.get(reverse("recovery:action_detail", kwargs={"pk": action.pk})).content.decode()
    edit_url = reverse("recovery:action_edit", kwargs={"pk": action.pk})
    assert "locked until the closure decision" in html and f'href="{edit_url}"' not in html
    response = client.get(edit_url, follow=True)
    assert response.redirect_chain[-1][0] == action.get_absolute_url()
    assert PROPOSAL_LOCK in response.content.decode()
