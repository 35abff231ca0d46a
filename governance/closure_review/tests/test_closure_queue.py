"""The closure-review screen: who sees which proposals, deciding through it, moving on to the next."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import RiskLevel
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from governance.models import Challenge
from governance.reviews.selectors import closure_queue, relative_to_start
from governance.reviews.tests.factories import proposed_action
from recovery.models import RecoveryAction
from recovery.tests.factories import DataPointFactory, MeasureFactory

S = RecoveryAction.Status
HIGH, MEDIUM = RiskLevel.HIGH, RiskLevel.MEDIUM


def test_ni_sees_high_risk_proposals_across_services_and_rm_ordinary_ones_at_their_service(world):
    high_here = proposed_action(world.service, world.deputy, risk=HIGH)
    high_there = proposed_action(world.sibling, world.deputy, risk=HIGH)
    ordinary_here = proposed_action(world.service, world.deputy)
    ordinary_there = proposed_action(world.sibling, world.deputy)
    proposed_action(world.other_service, world.outsider)

    ni_queue = {a.pk for a in closure_queue(world.ni)}
    assert {high_here.pk, high_there.pk} <= ni_queue
    assert ni_queue == {high_here.pk, high_there.pk, ordinary_here.pk, ordinary_there.pk}
    assert {a.pk for a in closure_queue(world.rm)} == {ordinary_here.pk}
    for persona in ("deputy", "lead", "owner", "quality", "board", "viewer"):
        assert closure_queue(world.users[persona]) == [], persona


def test_nobody_sees_their_own_proposal(world):
    own = proposed_action(world.service, world.rm)
    assert own.pk not in {a.pk for a in closure_queue(world.rm)}
    assert own.pk in {a.pk for a in closure_queue(world.ni)}


def test_opening_your_own_proposal_is_forbidden(world, login):
    own = proposed_action(world.service, world.rm)
    response = login(world.rm).get(reverse("governance:closure_review", kwargs={"pk": own.pk}))
    assert response.status_code == 403


def test_the_rm_cannot_open_a_high_risk_proposal(world, login):
    high = proposed_action(world.service, world.deputy, risk=HIGH)
    assert login(world.rm).get(reverse("governance:closure_review", kwargs={"pk": high.pk})).status_code == 403


def test_the_screen_lays_out_outcome_measures_and_evidence_relative_to_the_start(world, login):
    action = proposed_action(world.service, world.deputy)
    action.evidence.add(
        EvidenceFactory(
            service=world.service,
            provider=world.provider,
            title="Old audit from before",
            refers_to=action.started_on - datetime.timedelta(days=5),
            source_type=SourceType.AUDIT,
        ),
        EvidenceFactory(
            service=world.service,
            provider=world.provider,
            title="Escalation training",
            refers_to=action.started_on + datetime.timedelta(days=12),
            source_type=SourceType.TRAINING_RECORD,
            nature="activity",
        ),
    )
    measure = MeasureFactory(action=action, name="Escalations on time")
    DataPointFactory(measure=measure, period_date=timezone.localdate() - datetime.timedelta(days=7))
    DataPointFactory(measure=measure, numerator=10, denominator=10, value=100.0)
    page = login(world.ni).get(reverse("governance:closure_review", kwargs={"pk": action.pk})).content.decode()
    assert action.intended_outcome in page
    assert "<svg" in page and "Escalations on time" in page
    assert "before the action started (5 days before)" in page
    assert "12 days after start" in page
    impact, activity = page.index("Impact (2)"), page.index("Activity (1)")
    assert impact < page.index("Old audit from before") < activity < page.index("Escalation training")
    assert "Proposal 1 of 1" in page


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (-1, ("before the action started (1 day before)", True)),
        (0, ("on the day the action started", False)),
        (1, ("1 day after start", False)),
        (12, ("12 days after start", False)),
    ],
)
def test_relative_dates(day, expected):
    start = datetime.date(2026, 3, 3)
    assert relative_to_start(start + datetime.timedelta(days=day), start) == expected


def _queue_of_three(world):
    return [proposed_action(world.service, world.deputy, days_ago=d) for d in (3, 2, 1)]


def test_refusing_needs_rationale_and_further_checks_and_keeps_input(world, login):
    first, *_ = _queue_of_three(world)
    client = login(world.rm)
    url = reverse("governance:closure_decide", kwargs={"pk": first.pk})
    response = client.post(url, {"decision": "refuse", "rationale": "Only one week of data.", "further_checks": ""})
    body = response.content.decode()
    assert response.status_code == 200 and "Name the further checks" in body and "Only one week of data." in body
    response = client.post(url, {"decision": "", "rationale": "x"})
    assert "Choose approve or refuse" in response.content.decode()
    first.refresh_from_db()
    assert first.status == S.CLOSURE_PROPOSED


def test_refuse_then_approve_then_ask_moving_through_the_queue(world, login):
    first, second, third = _queue_of_three(world)
    client = login(world.rm)
    page = client.get(reverse("governance:closure_review", kwargs={"pk": second.pk})).content.decode()
    assert "Proposal 2 of 3" in page

    response = client.post(
        reverse("governance:closure_decide", kwargs={"pk": second.pk}),
        {"decision": "refuse", "rationale": "Sample too small.", "further_checks": "Sample 20 records."},
    )
    assert response["Location"] == reverse("governance:closure_review", kwargs={"pk": third.pk})
    second.refresh_from_db()
    assert second.status == S.IN_PROGRESS
    refusal = second.transitions.get(to_status=S.REFUSED)
    assert refusal.actor == world.rm and refusal.further_checks == "Sample 20 records."

    response = client.post(
        reverse("governance:closure_decide", kwargs={"pk": third.pk}),
        {"decision": "approve", "rationale": "Four weeks on target, re-audit attached."},
    )
    # The last in the queue: carry on from the top.
    assert response["Location"] == reverse("governance:closure_review", kwargs={"pk": first.pk})
    third.refresh_from_db()
    assert third.status == S.CLOSED and third.closed_by == world.rm

    page = client.get(response["Location"]).content.decode()
    assert "Proposal 1 of 1" in page
    response = client.post(
        reverse("governance:closure_request_evidence", kwargs={"pk": first.pk}), {"text": "Add the family feedback."}
    )
    assert response["Location"] == reverse("governance:closure_queue")
    first.refresh_from_db()
    assert first.status == S.CLOSURE_PROPOSED, "asking for evidence leaves the proposal pending"
    request = Challenge.objects.get(action=first)
    assert request.kind == Challenge.Kind.EVIDENCE_REQUEST and request.raised_by == world.rm
    assert request.review is None
    assert (
        "Add the family feedback."
        in client.get(reverse("governance:closure_review", kwargs={"pk": first.pk})).content.decode()
    )


def test_asking_for_evidence_needs_the_request(world, login):
    action = proposed_action(world.service, world.deputy)
    response = login(world.ni).post(reverse("governance:closure_request_evidence", kwargs={"pk": action.pk}), {})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not Challenge.objects.exists()


def test_a_decided_proposal_sends_you_back_to_the_queue(world, login):
    action = proposed_action(world.service, world.deputy)
    RecoveryAction.objects.filter(pk=action.pk).update(status=S.IN_PROGRESS)
    response = login(world.rm).get(reverse("governance:closure_review", kwargs={"pk": action.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("governance:closure_queue")


def test_the_queue_page_lists_proposals_oldest_first(world, login):
    first, second, third = _queue_of_three(world)
    page = login(world.rm).get(reverse("governance:closure_queue")).content.decode()
    assert page.index(first.title) < page.index(second.title) < page.index(third.title)
    assert "3 proposals" in page


def test_an_empty_queue_says_so(world, login):
    assert "Nothing is waiting" in login(world.board).get(reverse("governance:closure_queue")).content.decode()


def _proposals(world, n):
    for i in range(n):
        action = proposed_action(
            world.service if i % 2 else world.sibling, world.deputy, risk=HIGH if i % 3 else MEDIUM
        )
        DataPointFactory(measure=MeasureFactory(action=action))


@pytest.mark.parametrize("view", ["queue", "review"])
def test_query_counts_do_not_grow_with_the_queue(world, login, view):
    client = login(world.ni)
    first = proposed_action(world.service, world.deputy, days_ago=30)
    url = (
        reverse("governance:closure_queue")
        if view == "queue"
        else reverse("governance:closure_review", kwargs={"pk": first.pk})
    )
    _proposals(world, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _proposals(world, 12)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]


def test_the_queue_pages_and_next_proposal_crosses_the_page_boundary(world, login, monkeypatch):
    from governance.reviews import selectors as reviews

    monkeypatch.setattr(reviews, "QUEUE_PER_PAGE", 3)
    actions = [proposed_action(world.service, world.deputy, days_ago=10 - i) for i in range(5)]  # oldest first
    client = login(world.rm)
    url = reverse("governance:closure_queue")

    first_page = client.get(url).content.decode()
    assert "5 proposals" in first_page and "Page 1 of 2" in first_page
    assert actions[2].title in first_page and actions[3].title not in first_page
    assert f'href="{reverse("governance:closure_review", kwargs={"pk": actions[0].pk})}"' in first_page
    second_page = client.get(url, {"page": 2}).content.decode()
    assert actions[3].title in second_page and actions[4].title in second_page
    assert actions[0].title not in second_page and "<td>4</td>" in second_page  # numbered across pages

    # The third proposal is the last on page 1: "3 of 5", and deciding it goes on to the fourth.
    review = client.get(reverse("governance:closure_review", kwargs={"pk": actions[2].pk})).content.decode()
    assert "Proposal 3 of 5" in review
    response = client.post(
        reverse("governance:closure_decide", kwargs={"pk": actions[2].pk}),
        {"decision": "approve", "rationale": "Four weeks on target."},
    )
    assert response["Location"] == reverse("governance:closure_review", kwargs={"pk": actions[3].pk})
    assert "Proposal 3 of 4" in client.get(response["Location"]).content.decode()
