"""Closure decisions have one door: ``action_decide_closure``, and one form, ``ClosureDecisionForm``.

The action page, the closure-review screen and a review meeting's closure-proposal item all
bind the same form and call the same service, so they refuse with the same words.
"""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from governance.models import AgendaItem
from governance.reviews import services as review_services
from governance.reviews.tests.factories import AgendaItemFactory, in_progress_review
from recovery.closure import services as closure
from recovery.closure.forms import ClosureDecisionForm
from recovery.models import ActionTransition, RecoveryAction
from recovery.tests.factories import proposed_action

pytestmark = pytest.mark.django_db
S = RecoveryAction.Status
NEED_CHECKS = "Name the further checks needed before closure can be proposed again."


def _decide(world, action, actor=None, **kw):
    kw.setdefault("decision", "refuse")
    kw.setdefault("rationale", "Only two weeks of data.")
    return closure.action_decide_closure(actor=actor or world.rm, action=action, **kw)


# --- The service's refusals ---------------------------------------------------------------


def test_nobody_decides_their_own_proposal(world):
    action = proposed_action(world.service, proposer=world.rm)
    with pytest.raises(PermissionDenied, match="You proposed this closure, so someone else must decide it."):
        _decide(world, action, decision="approve", rationale="Fine")


def test_a_high_risk_proposal_needs_the_nominated_individual(world):
    action = proposed_action(world.service, proposer=world.lead, risk_level="high")
    with pytest.raises(PermissionDenied, match="only the nominated individual can decide its closure"):
        _decide(world, action, decision="approve", rationale="Fine")
    _decide(world, action, actor=world.ni, decision="approve", rationale="Observed it twice")
    assert action.status == S.CLOSED


def test_a_role_without_the_verb_is_refused(world):
    action = proposed_action(world.service, proposer=world.lead)
    with pytest.raises(PermissionDenied, match="Your role does not allow closure decisions here."):
        _decide(world, action, actor=world.viewer)


@pytest.mark.parametrize(
    ("decision", "rationale", "checks", "errors"),
    [
        ("approve", " ", "", {"rationale": ["Say why the evidence is enough to close this action."]}),
        ("refuse", "", "", {"rationale": ["Say why the evidence is not enough yet."], "further_checks": [NEED_CHECKS]}),
        ("refuse", "Thin", " ", {"further_checks": [NEED_CHECKS]}),
        ("maybe", "Thin", "", {"decision": ["Choose approve or refuse."]}),
    ],
)
def test_what_a_decision_needs_is_stated_once(world, decision, rationale, checks, errors):
    action = proposed_action(world.service, proposer=world.lead)
    with pytest.raises(ValidationError) as exc:
        _decide(world, action, decision=decision, rationale=rationale, further_checks=checks)
    assert exc.value.message_dict == errors
    assert closure.closure_decision_problems(decision=decision, rationale=rationale, further_checks=checks) == {
        k: v[0] for k, v in errors.items()
    }
    # The form says exactly the same, because it asks the service.
    form = ClosureDecisionForm({"decision": decision, "rationale": rationale, "further_checks": checks})
    assert not form.is_valid()
    assert set(form.errors) == set(errors)
    for field, messages in errors.items():
        assert messages[0] in form.errors[field]
    action.refresh_from_db()
    assert action.status == S.CLOSURE_PROPOSED


def test_a_decision_moves_locks_records_and_audits(world):
    action = proposed_action(world.service, proposer=world.lead)
    before = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _decide(world, action, further_checks="Four more weeks of sampling")
    assert action.status == S.IN_PROGRESS
    refused = ActionTransition.objects.get(action=action, to_status=S.REFUSED)
    assert (refused.actor, refused.reason, refused.further_checks) == (
        world.rm,
        "Only two weeks of data.",
        "Four more weeks of sampling",
    )
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RecoveryAction), object_pk=str(action.pk), pk__gt=before
    )
    moves = [e.changes_dict["status"] for e in entries.order_by("timestamp", "pk") if "status" in e.changes_dict]
    assert moves == [["closure_proposed", "refused"], ["refused", "in_progress"]]
    assert {e.actor for e in entries} == {world.rm}


# --- One form on three screens ------------------------------------------------------------


def _closure_item(world, action):
    return AgendaItemFactory(
        review=in_progress_review(world.service, chair=world.rm),
        kind=AgendaItem.Kind.CLOSURE_PROPOSAL,
        subject_type="action",
        subject_id=action.pk,
        title=f"Closure proposed: {action.title}",
    )


def test_the_three_screens_bind_the_one_form(world, login):
    client = login(world.rm)
    action = proposed_action(world.service, proposer=world.lead)
    item = _closure_item(world, action)
    page = client.get(reverse("recovery:action_decide", kwargs={"pk": action.pk}))
    assert type(page.context["form"]) is ClosureDecisionForm
    page = client.get(reverse("governance:closure_review", kwargs={"pk": action.pk}))
    assert type(page.context["decision_form"]) is ClosureDecisionForm
    page = client.get(reverse("governance:review_detail", kwargs={"pk": item.review_id}))
    assert type(page.context["closure_form"]) is ClosureDecisionForm
    assert reverse("governance:item_decide_closure", kwargs={"pk": item.pk}) in page.content.decode()


def _decide_url(world, action, screen: str):
    """The meeting's agenda item (made either way) and where ``screen`` posts its closure decision."""
    item = _closure_item(world, action)
    return item, {
        "action page": reverse("recovery:action_decide", kwargs={"pk": action.pk}),
        "closure review": reverse("governance:closure_decide", kwargs={"pk": action.pk}),
        "meeting": reverse("governance:item_decide_closure", kwargs={"pk": item.pk}),
    }[screen]


@pytest.mark.parametrize("screen", ["action page", "closure review", "meeting"])
def test_each_screen_refuses_a_refusal_without_checks_in_the_same_words(world, login, screen):
    client = login(world.rm)
    action = proposed_action(world.service, proposer=world.lead)
    item, url = _decide_url(world, action, screen)
    headers = {"HX-Request": "true"} if screen == "meeting" else {}
    response = client.post(url, {"decision": "refuse", "rationale": "Too early."}, headers=headers)
    assert response.status_code == 200
    assert NEED_CHECKS in response.content.decode()
    action.refresh_from_db()
    assert action.status == S.CLOSURE_PROPOSED


@pytest.mark.parametrize("screen", ["action page", "closure review", "meeting"])
def test_each_screen_decides_through_the_one_service(world, login, screen):
    client = login(world.rm)
    action = proposed_action(world.service, proposer=world.lead)
    item, url = _decide_url(world, action, screen)
    response = client.post(url, {"decision": "approve", "rationale": "Six weeks at target."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == S.CLOSED and action.closed_by == world.rm
    closed = ActionTransition.objects.get(action=action, to_status=S.CLOSED)
    if screen == "meeting":
        assert closed.snapshot["decided_in"] == {
            "review_id": item.review_id,
            "agenda_item_id": item.pk,
            "review": str(item.review),
        }
        item.refresh_from_db()
        assert item.decision == AgendaItem.Decision.ASSURED
        assert item.rationale == "Closure approved: Six weeks at target."
        assert item.decided_by == world.rm
    else:
        assert "decided_in" not in closed.snapshot


def test_a_meeting_refusal_is_minuted_with_its_checks(world):
    action = proposed_action(world.service, proposer=world.lead)
    item = _closure_item(world, action)
    review_services.item_decide_closure(
        actor=world.rm, item=item, decision="refuse", rationale="Only two weeks.", further_checks="Re-audit in May."
    )
    action.refresh_from_db()
    item.refresh_from_db()
    assert action.status == S.IN_PROGRESS
    assert item.decision == AgendaItem.Decision.NOT_ASSURED
    assert item.rationale == "Closure refused: Only two weeks. Further checks: Re-audit in May."
    with pytest.raises(ValidationError, match="not a closure proposal awaiting a decision"):
        review_services.item_decide_closure(actor=world.rm, item=item, decision="approve", rationale="Now fine")


def test_a_meeting_cannot_decide_someone_elses_item(world):
    action = proposed_action(world.service, proposer=world.lead)
    other = proposed_action(world.service, proposer=world.lead)
    item = _closure_item(world, other)
    with pytest.raises(ValidationError, match="about something else"):
        closure.action_decide_closure(
            actor=world.rm, action=action, decision="approve", rationale="Fine", review_item=item
        )


def test_the_meeting_keeps_the_decider_rules(world):
    action = proposed_action(world.service, proposer=world.lead, risk_level="high")
    item = _closure_item(world, action)
    with pytest.raises(PermissionDenied, match="only the nominated individual"):
        review_services.item_decide_closure(actor=world.rm, item=item, decision="approve", rationale="Fine")
