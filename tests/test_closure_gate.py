"""The closure gate seen from every consumer: the proposal page, each decision screen (action page,
closure review, review meeting), the unsupported-closure flag and the concern-to-outcome pack."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.choices import RiskLevel
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from governance.flags.services import flags_scan_provider
from governance.models import AgendaItem, Flag
from governance.packs.context import build_action_context
from governance.reviews.tests.factories import AgendaItemFactory, in_progress_review
from recovery.closure import services as closure
from recovery.models import RecoveryAction
from recovery.tests.factories import DataPointFactory, MeasureFactory, StepFactory, in_progress_action

pytestmark = pytest.mark.django_db
S = RecoveryAction.Status
JUSTIFICATION = "The inspector returns next month and wants to see the plan closed."
KINDS = ["care_record", "audit", "observation", "family_feedback", "peoples_feedback", "staff_feedback"]


def _a9(world) -> RecoveryAction:
    today = timezone.localdate()
    action = in_progress_action(world.service, days_ago=0, risk_level=RiskLevel.HIGH, evidence_required=KINDS)
    for _ in range(5):
        StepFactory(action=action)
    measure = MeasureFactory(action=action, name="Escalated on time", target_value=90, sustain_periods=4)
    DataPointFactory(measure=measure, numerator=10, denominator=10, period_date=today + datetime.timedelta(days=1))
    action.evidence.add(
        EvidenceFactory(service=world.service, source_type=SourceType.AUDIT, refers_to=today),
        EvidenceFactory(
            service=world.service,
            source_type=SourceType.TRAINING_RECORD,
            nature="impact",
            nature_override_reason="The session included a practical test.",
            refers_to=today,
        ),
    )
    return action


def _proposed(world) -> RecoveryAction:
    action = _a9(world)
    closure.action_propose_closure(actor=world.lead, action=action, note="Started well.", justification=JUSTIFICATION)
    return action


def _shows_the_gate(html: str) -> None:
    assert "✗ Not met" in html and "0 of 5 done" in html
    assert "Escalated on time: at least 90% for 4 consecutive periods after work started" in html
    assert "Care record as impact evidence dated since work started" in html
    assert "Proposed with 7 conditions unmet, because:" in html and JUSTIFICATION in html
    assert "The session included a practical test." in html  # activity evidence set to impact, and why


def test_the_proposal_page_shows_the_checklist_and_asks_for_a_justification(world, client):
    action = _a9(world)
    client.force_login(world.lead)
    url = f"/actions/{action.pk}/propose-closure/"
    page = client.get(url).content.decode()
    assert "7 closure conditions not met" in page and "0 of 5 done" in page
    response = client.post(url, {"note": "Started well.", "justification": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "7 closure conditions are not met" in html and "Started well." in html  # what was typed is kept
    action.refresh_from_db()
    assert action.status == S.IN_PROGRESS
    response = client.post(url, {"note": "Started well.", "justification": JUSTIFICATION})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == S.CLOSURE_PROPOSED and action.closure_justification == JUSTIFICATION


@pytest.mark.parametrize("where", ["action page", "decide page", "closure review"])
def test_the_decider_sees_each_unmet_condition_and_the_justification_highlighted(world, client, where):
    action = _proposed(world)
    client.force_login(world.ni)
    path = {
        "action page": f"/actions/{action.pk}/",
        "decide page": f"/actions/{action.pk}/decide/",
        "closure review": f"/closure-review/{action.pk}/",
    }[where]
    response = client.get(path)
    assert response.status_code == 200
    _shows_the_gate(response.content.decode())


def test_the_review_meeting_item_shows_the_checklist(world, client):
    action = _proposed(world)
    review = in_progress_review(world.service, chair=world.ni)
    AgendaItemFactory(review=review, kind=AgendaItem.Kind.CLOSURE_PROPOSAL, subject_type="action", subject_id=action.pk)
    client.force_login(world.ni)
    response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    _shows_the_gate(response.content.decode())


def test_a_condition_changed_after_the_start_is_shown_to_the_decider(world, client):
    action = _a9(world)
    closure.action_set_closure_conditions(
        actor=world.rm,
        action=action,
        steps=False,
        periods={},
        evidence_required=["audit"],
        reason="Only the re-audit is practical before the visit.",
    )
    closure.action_propose_closure(actor=world.lead, action=action, note="Started well.", justification=JUSTIFICATION)
    client.force_login(world.ni)
    html = client.get(f"/closure-review/{action.pk}/").content.decode()
    assert "Conditions changed after work started" in html and "Only the re-audit is practical" in html


def test_the_flag_names_the_unmet_conditions_and_resolves_when_refused(world):
    action = _proposed(world)
    flags_scan_provider(provider=world.provider)
    flag = Flag.objects.get(kind=Flag.Kind.UNSUPPORTED_CLOSURE, cause="conditions_unmet", subject_id=action.pk)
    assert flag.detail.startswith("Closure proposed with 7 closure conditions unmet: ")
    assert "Every step done (or marked not needed with a reason) (0 of 5 done" in flag.detail
    assert "Escalated on time: at least 90% for 4 consecutive periods after work started (1 of 4" in flag.detail
    assert "Family feedback as impact evidence dated since work started (None linked)" in flag.detail
    assert JUSTIFICATION in flag.detail

    closure.action_decide_closure(
        actor=world.ni, action=action, decision="refuse", rationale="Too early.", further_checks="Four weeks of data."
    )
    flags_scan_provider(provider=world.provider)
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_the_pack_shows_the_conditions_risks_and_hand_set_impact(world):
    from governance.packs.models import EvidencePack

    action = _proposed(world)
    action.risks.create(
        what_could_go_wrong="Agency staff miss the prompt",
        early_warning="Blank oversight log",
        who_acts="Deputy manager",
        how_they_act="Briefs agency staff",
    )
    pack = EvidencePack.objects.create(
        provider=world.provider,
        service=world.service,
        kind=EvidencePack.Kind.ACTION,
        action=action,
        requested_by=world.ni,
        parameters={},
    )
    context = build_action_context(pack)
    assert len(context["checklist"].unmet) == 7 and context["risks"][0].early_warning == "Blank oversight log"
    from django.template.loader import render_to_string

    html = render_to_string("governance/packs/pdf/action.html", context)
    assert "Closure conditions (1 of 9 met)" in html and "What could go wrong" in html
    assert "The session included a practical test." in html and JUSTIFICATION in html


def test_the_conditions_page_asks_a_reason_once_work_has_started(world, client):
    action = _a9(world)
    measure = action.measures.get()
    client.force_login(world.rm)
    url = f"/actions/{action.pk}/closure-conditions/"
    page = client.get(url).content.decode()
    assert "Why the conditions are changing" in page and "consecutive periods at target after work started" in page
    data = {"steps": "on", f"periods_{measure.pk}": "2", "evidence_required": ["audit"]}
    response = client.post(url, data)
    assert response.status_code == 200 and "say why the closure conditions are changing" in response.content.decode()
    response = client.post(url, {**data, "reason": "Fortnightly audits now: two periods make a month."})
    assert response.status_code == 302
    html = client.get(f"/actions/{action.pk}/").content.decode()
    assert "Closure conditions changed" in html and "Fortnightly audits now" in html
    assert "for 2 consecutive periods after work started" in html
