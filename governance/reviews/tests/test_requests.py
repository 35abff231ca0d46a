"""Requests get answered: addressed to whoever must answer, due by a date, answered with text and
evidence, shown on the home page's work and on the next agenda; overdue ones raise a flag."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core import events
from evidence.tests.factories import EvidenceFactory
from governance.flags.services import flags_scan_provider
from governance.models import AgendaItem, Challenge, Flag
from governance.reviews import services
from governance.reviews.request_work import request_work
from governance.reviews.tests.factories import in_progress_review
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory

TODAY = timezone.localdate()


@pytest.fixture
def announced():
    seen = []

    def listener(subject, *, reason):
        seen.append((type(subject).__name__, reason))

    events.listen(listener)
    yield seen
    events._LISTENERS.remove(listener)


def _overdue_action_item(w):
    action = ActionFactory(
        theme=ThemeFactory(service=w.service, provider=w.provider),
        owner=w.rm,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=TODAY - datetime.timedelta(days=3),
        title="Night checks recorded",
    )
    review = in_progress_review(w.service, chair=w.ni, title="Monthly leadership review")
    services.agenda_refresh(actor=w.ni, review=review)
    return review, action, review.agenda_items.get(kind=AgendaItem.Kind.OVERDUE_ACTION)


def _ask(w, item, **kwargs):
    return services.item_challenge(
        actor=w.ni, item=item, kind="evidence_request", text="Show the night check audit.", **kwargs
    )


def test_a_request_goes_to_the_items_owner_by_a_date_and_is_announced(world, announced):
    _review, action, item = _overdue_action_item(world)
    request = _ask(world, item)
    assert request.addressed_to == world.rm and request.action == action
    assert request.due_on == TODAY + datetime.timedelta(days=services.REQUEST_DUE_DAYS)
    assert ("Challenge", "request") in announced


def test_a_request_to_someone_without_access_or_due_in_the_past_is_refused(world):
    _review, _action, item = _overdue_action_item(world)
    with pytest.raises(ValidationError) as exc:
        _ask(world, item, addressed_to=world.outsider)
    assert "addressed_to" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _ask(world, item, due_on=TODAY - datetime.timedelta(days=1))
    assert "due_on" in exc.value.message_dict


def test_the_owner_answers_with_evidence_and_the_asker_sees_it(world, login, announced):
    review, _action, item = _overdue_action_item(world)
    request = _ask(world, item)
    audit = EvidenceFactory(service=world.service, provider=world.provider, title="Night check audit, May")
    EvidenceFactory(service=world.sibling, provider=world.provider, title="Lodge audit")
    rm = login(world.rm)
    page = rm.get(request.get_absolute_url()).content.decode()
    assert "Night check audit, May" in page and "Lodge audit" not in page  # only this service's evidence
    response = rm.post(
        request.get_absolute_url(), {"response": "Audit attached: 28 of 30 checks done.", "evidence": [audit.pk]}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.responded_by == world.rm and list(request.evidence.all()) == [audit]
    assert announced.count(("Challenge", "request")) == 2
    # The asker sees the answer on the item in the meeting.
    ni_page = login(world.ni).get(review.get_absolute_url()).content.decode()
    assert "Audit attached: 28 of 30 checks done." in ni_page and "Night check audit, May" in ni_page


def test_a_second_answer_and_someone_elses_answer_are_refused(world, login):
    _review, _action, item = _overdue_action_item(world)
    request = _ask(world, item)
    services.challenge_respond(actor=world.rm, challenge=request, response="Done.")
    with pytest.raises(ValidationError, match="already answered"):
        services.challenge_respond(actor=world.rm, challenge=request, response="Done again.")
    # Through the page (a double submit, or a stale tab): a message, nothing overwritten.
    response = login(world.rm).post(request.get_absolute_url(), {"response": "Stale tab"}, follow=True)
    assert "already answered" in response.content.decode()
    other = _ask(world, item, addressed_to=world.quality)
    response = login(world.deputy).post(other.get_absolute_url(), {"response": "Me"}, follow=True)
    assert "not yours to answer" in response.content.decode()
    other.refresh_from_db()
    assert other.response == "" and other.responded_at is None


def test_evidence_of_another_service_is_refused_and_the_answer_kept(world, login):
    _review, _action, item = _overdue_action_item(world)
    request = _ask(world, item)
    foreign = EvidenceFactory(service=world.sibling, provider=world.provider)
    with pytest.raises(ValidationError) as exc:
        services.challenge_respond(actor=world.rm, challenge=request, response="See this", evidence=[foreign])
    assert "evidence" in exc.value.message_dict
    response = login(world.rm).post(
        request.get_absolute_url(), {"response": "My typed answer", "evidence": [foreign.pk]}
    )
    assert response.status_code == 400 and "My typed answer" in response.content.decode()


def test_another_providers_request_is_a_404(world, login):
    _review, _action, item = _overdue_action_item(world)
    request = _ask(world, item)
    client = login(world.outsider)
    assert client.get(request.get_absolute_url()).status_code == 404
    assert client.post(request.get_absolute_url(), {"response": "x"}).status_code == 404


def test_requests_are_the_addressees_work_and_listed_for_them(world, login, django_assert_max_num_queries):
    _review, _action, item = _overdue_action_item(world)
    for n in range(7):
        services.item_challenge(
            actor=world.ni, item=item, kind="question", text=f"Question {n}", due_on=TODAY + datetime.timedelta(n)
        )
    with django_assert_max_num_queries(4):
        work = request_work(world.rm, TODAY, limit=5)
    assert work.total == 7 and len(work.items) == 5 and work.more_url
    assert work.items[0].title == "Question 0" and work.items[0].url.startswith("/")
    assert request_work(world.ni, TODAY, limit=5).total == 0
    assert request_work(world.outsider, TODAY, limit=5).total == 0
    page = login(world.rm).get(reverse("governance:my_requests")).content.decode()
    assert "Question 6" in page
    from core.work import work_sources

    assert "requests" in {s.key for s in work_sources()}


def test_an_overdue_request_raises_a_flag_that_clears_when_answered(world):
    _review, _action, item = _overdue_action_item(world)
    request = _ask(world, item)
    Challenge.objects.filter(pk=request.pk).update(due_on=TODAY - datetime.timedelta(days=2))
    flags_scan_provider(provider=world.provider, today=TODAY)
    flag = Flag.objects.get(kind=Flag.Kind.OVERDUE_REQUEST, resolved_at__isnull=True)
    assert flag.subject_type == "challenge" and flag.subject_id == request.pk and flag.service == world.service
    services.challenge_respond(actor=world.rm, challenge=request, response="Sorry, here it is.")
    flags_scan_provider(provider=world.provider, today=TODAY)
    assert not Flag.objects.filter(kind=Flag.Kind.OVERDUE_REQUEST, resolved_at__isnull=True).exists()


def test_the_next_agenda_shows_the_answer_until_a_final_review_minutes_it(world):
    first, _action, item = _overdue_action_item(world)
    request = _ask(world, item)
    services.challenge_respond(actor=world.rm, challenge=request, response="Audit shows 28 of 30.")
    services.review_finalise(actor=world.ni, review=first, summary="Held.")
    following = in_progress_review(world.service, chair=world.ni)
    services.agenda_refresh(actor=world.ni, review=following)
    shown = following.agenda_items.get(kind=AgendaItem.Kind.REQUEST)
    assert shown.subject_id == request.pk and "Audit shows 28 of 30." in shown.snapshot["detail"]
    assert "answered" in shown.title
    # The person who answered owns the item: they do not give the assurance on it.
    with pytest.raises(ValidationError, match="You own"):
        services.item_decide(actor=world.rm, item=shown, decision="assured", rationale="x")
    services.review_finalise(actor=world.ni, review=following, summary="Seen.")
    third = in_progress_review(world.service, chair=world.ni)
    services.agenda_refresh(actor=world.ni, review=third)
    assert not third.agenda_items.filter(kind=AgendaItem.Kind.REQUEST).exists()


def test_a_closure_evidence_request_goes_to_the_actions_owner(world, login):
    from governance.closure_review.services import closure_request_evidence
    from governance.reviews.tests.factories import proposed_action

    action = proposed_action(world.service, world.rm, days_ago=2)
    request = closure_request_evidence(actor=world.ni, action=action, text="Show four weeks of data.")
    assert request.addressed_to_id == action.owner_id and request.due_on > TODAY
