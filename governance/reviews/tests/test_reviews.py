"""Oversight reviews: scheduling, recording in the meeting, locked minutes and amendments."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from evidence.models import SourceType
from governance.flags.services import flags_scan_provider
from governance.models import AgendaItem, Challenge, OversightReview, ReviewAmendment
from governance.reviews import services as services
from governance.reviews.tests.factories import AgendaItemFactory, OversightReviewFactory, in_progress_review
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory

TODAY = timezone.localdate()


def _held_review(w):
    """An in-progress review of the main service discussing one overdue action and one theme."""
    s = w.service
    theme = ThemeFactory(service=s, provider=s.provider, risk_level="high", title="Missed escalation")
    action = ActionFactory(
        theme=theme,
        service=s,
        provider=s.provider,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=TODAY - datetime.timedelta(days=4),
    )
    review = OversightReviewFactory(service=s, provider=s.provider, kind=OversightReview.Kind.MONTHLY_LEADERSHIP)
    services.review_start(actor=w.ni, review=review)
    action_item = review.agenda_items.get(kind=AgendaItem.Kind.OVERDUE_ACTION)
    theme_item = review.agenda_items.get(kind=AgendaItem.Kind.HIGH_RISK_THEME)
    services.item_challenge(actor=w.ni, item=action_item, kind="challenge", text="Why is this late again?")
    services.item_decide(actor=w.ni, item=theme_item, decision="partly_assured", rationale="Two weeks of data only.")
    return review, action, theme, action_item, theme_item


# --- Scheduling ---------------------------------------------------------------------------


def test_run_review_roles_schedule_and_others_are_refused(world):
    when = timezone.now() + datetime.timedelta(days=7)
    review = services.review_create(
        actor=world.rm,
        provider=world.provider,
        service=world.service,
        kind="weekly_service",
        scheduled_for=when,
        chair=world.rm,
        attendees=[world.deputy],
    )
    assert review.title == "Weekly service review – Oak House"
    assert list(review.attendees.all()) == [world.deputy]
    with pytest.raises(PermissionDenied):
        services.review_create(
            actor=world.deputy,
            provider=world.provider,
            service=world.service,
            kind="weekly_service",
            scheduled_for=when,
            chair=world.rm,
        )
    with pytest.raises(PermissionDenied):  # a service RM cannot schedule a review across the provider
        services.review_create(
            actor=world.rm, provider=world.provider, kind="quarterly_board", scheduled_for=when, chair=world.rm
        )


def test_the_chair_must_have_access(world):
    with pytest.raises(ValidationError) as exc:
        services.review_create(
            actor=world.ni,
            provider=world.provider,
            service=world.service,
            kind="weekly_service",
            scheduled_for=timezone.now(),
            chair=world.outsider,
        )
    assert "chair" in exc.value.message_dict


def test_schedule_through_the_page(world, login):
    client = login(world.quality)
    url = reverse("governance:review_create", kwargs={"service": world.service.slug})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": "monthly_leadership",
            "title": "",
            "scheduled_for": "2026-12-03T10:00",
            "duration_minutes": 90,
            "location": "Training room",
            "chair": world.ni.pk,
            "attendees": [world.rm.pk],
        },
    )
    review = OversightReview.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    assert review.chair == world.ni and review.duration_minutes == 90


def test_missing_date_is_reported_and_input_kept(world, login):
    client = login(world.rm)
    url = reverse("governance:review_create", kwargs={"service": world.service.slug})
    response = client.post(
        url, {"kind": "weekly_service", "location": "Lounge", "chair": world.rm.pk, "duration_minutes": 60}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert 'value="Lounge"' in response.content.decode()


# --- In the meeting -----------------------------------------------------------------------


def test_decisions_need_a_rationale_and_a_started_meeting(world):
    review = OversightReviewFactory(service=world.service, provider=world.provider)
    item = AgendaItemFactory(review=review)
    with pytest.raises(ValidationError) as exc:
        services.item_decide(actor=world.rm, item=item, decision="assured", rationale="x")
    assert "Start the meeting" in str(exc.value)
    review.status = OversightReview.Status.IN_PROGRESS
    review.save()
    with pytest.raises(ValidationError) as exc:
        services.item_decide(actor=world.rm, item=item, decision="assured", rationale="   ")
    assert "rationale" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.item_decide(actor=world.rm, item=item, decision="maybe", rationale="Because.")
    assert "decision" in exc.value.message_dict


def test_decision_without_rationale_through_htmx_shows_the_error_in_the_item(world, login):
    item = AgendaItemFactory(review=in_progress_review(world.service))
    client = login(world.rm)
    response = client.post(
        reverse("governance:item_decide", kwargs={"pk": item.pk}),
        {"decision": "assured", "rationale": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith(f'<article id="item-{item.pk}"')
    assert "Say why" in body and 'aria-invalid="true"' in body
    item.refresh_from_db()
    assert item.decision == ""


def test_a_board_member_challenges_and_the_item_is_swapped(world, login):
    item = AgendaItemFactory(review=in_progress_review(world.service))
    client = login(world.board)
    response = client.post(
        reverse("governance:item_challenge", kwargs={"pk": item.pk}),
        {"kind": "challenge", "text": "How do we know staff escalate at night?"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "How do we know staff escalate at night?" in response.content.decode()
    challenge = Challenge.objects.get()
    assert challenge.raised_by == world.board and challenge.review == item.review


def test_a_viewer_may_not_challenge(world, login):
    item = AgendaItemFactory(review=in_progress_review(world.service))
    response = login(world.viewer).post(
        reverse("governance:item_challenge", kwargs={"pk": item.pk}), {"kind": "question", "text": "Why?"}
    )
    assert response.status_code == 403
    assert not Challenge.objects.exists()


def test_the_response_is_recorded_by_the_person_running_the_review(world):
    review, *_rest, action_item, _ = _held_review(world)
    challenge = action_item.challenges.get()
    services.challenge_respond(actor=world.rm, challenge=challenge, response="Agency staff were not briefed.")
    challenge.refresh_from_db()
    assert challenge.responded_by == world.rm
    with pytest.raises(PermissionDenied):
        services.challenge_respond(actor=world.board, challenge=challenge, response="...")


def test_an_action_arising_can_be_added_to_the_recovery_plan(world, login):
    review, action, theme, action_item, _ = _held_review(world)
    client = login(world.ni)
    response = client.post(
        reverse("governance:review_action_add", kwargs={"pk": review.pk}),
        {
            "arising-description": "Brief agency staff on escalation at every shift start",
            "arising-owner": world.rm.pk,
            "arising-due_date": (TODAY + datetime.timedelta(days=14)).isoformat(),
            "arising-agenda_item": action_item.pk,
            "arising-create_recovery_action": "on",
        },
    )
    assert response.status_code == 302
    arising = review.actions_arising.get()
    assert arising.recovery_action.theme == theme
    assert arising.recovery_action.status == RecoveryAction.Status.DRAFT
    assert arising.recovery_action.owner == world.rm


def test_an_action_arising_due_in_the_past_is_refused_keeping_input(world, login):
    review = in_progress_review(world.service)
    response = login(world.rm).post(
        reverse("governance:review_action_add", kwargs={"pk": review.pk}),
        {
            "arising-description": "Re-audit the night shift",
            "arising-owner": world.rm.pk,
            "arising-due_date": (TODAY - datetime.timedelta(days=1)).isoformat(),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "cannot be in the past" in body and "Re-audit the night shift" in body


# --- Finalising and amending --------------------------------------------------------------


def test_finalising_locks_the_minutes_and_keeps_them_as_linked_evidence(world, login):
    review, action, theme, action_item, theme_item = _held_review(world)
    client = login(world.ni)
    response = client.post(
        reverse("governance:review_finalise", kwargs={"pk": review.pk}), {"summary": "Partly assured overall."}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.is_locked and review.finalised_by == world.ni
    minutes = review.minutes_evidence
    assert minutes.source_type == SourceType.GOVERNANCE_MINUTES and minutes.service == world.service
    assert "Why is this late again?" in minutes.description
    assert "Partly assured – Two weeks of data only." in minutes.description
    assert minutes in action.evidence.all(), "the discussed action links to the minutes"
    assert minutes in theme.evidence.all(), "the discussed theme links to the minutes"

    # Further edits are refused ...
    with pytest.raises(ValidationError, match="final"):
        services.item_decide(actor=world.ni, item=theme_item, decision="assured", rationale="Changed my mind.")
    with pytest.raises(ValidationError, match="final"):
        services.item_challenge(actor=world.board, item=action_item, kind="question", text="Late question")
    with pytest.raises(ValidationError, match="final"):
        services.agenda_refresh(actor=world.ni, review=review)
    response = client.post(
        reverse("governance:item_decide", kwargs={"pk": theme_item.pk}),
        {"decision": "assured", "rationale": "Changed"},
        HTTP_HX_REQUEST="true",
    )
    assert "final" in response.content.decode()
    theme_item.refresh_from_db()
    assert theme_item.decision == "partly_assured"
    # ... and the page offers no recording forms any more.
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Record decision" not in page and "Amend the minutes" in page


def test_finalising_needs_a_summary_and_a_started_meeting(world):
    review = OversightReviewFactory(service=world.service, provider=world.provider)
    with pytest.raises(ValidationError, match="Start the meeting"):
        services.review_finalise(actor=world.rm, review=review, summary="Fine.")
    started = in_progress_review(world.service)
    with pytest.raises(ValidationError) as exc:
        services.review_finalise(actor=world.rm, review=started, summary=" ")
    assert "summary" in exc.value.message_dict


def test_amendment_needs_a_reason_and_is_append_only(world, login):
    review, _a, _t, _ai, theme_item = _held_review(world)
    services.review_finalise(actor=world.ni, review=review, summary="Partly assured overall.")
    with pytest.raises(ValidationError) as exc:
        services.review_amend(actor=world.ni, review=review, reason="", summary="New")
    assert "reason" in exc.value.message_dict

    client = login(world.ni)
    response = client.post(
        reverse("governance:review_amend", kwargs={"pk": review.pk}),
        {
            "reason": "The chair's decision was minuted wrongly.",
            "summary": "",
            "item": theme_item.pk,
            "decision": "not_assured",
            "rationale": "No re-audit yet.",
        },
    )
    assert response.status_code == 302
    amendment = ReviewAmendment.objects.get()
    assert amendment.changes["items"][str(theme_item.pk)]["decision"] == ["partly_assured", "not_assured"]
    theme_item.refresh_from_db()
    assert theme_item.decision == "not_assured"
    review.refresh_from_db()
    assert review.is_locked
    if connection.vendor == "postgresql":  # the table itself refuses changes
        with pytest.raises(InternalError), transaction.atomic():
            ReviewAmendment.objects.filter(pk=amendment.pk).update(reason="Edited")


def test_amending_is_only_for_final_minutes_and_for_those_running_reviews(world, login):
    review = in_progress_review(world.service)
    with pytest.raises(ValidationError):
        services.review_amend(actor=world.rm, review=review, reason="Typo", summary="x")
    review.status = OversightReview.Status.FINALISED
    review.save()
    assert login(world.board).get(reverse("governance:review_amend", kwargs={"pk": review.pk})).status_code == 403


# --- Pages --------------------------------------------------------------------------------


def test_the_page_previews_the_live_agenda_before_the_meeting(world, login):
    # A real cause: the preview leaves out open flags whose cause the rules no longer see.
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, provider=world.provider),
        service=world.service,
        provider=world.provider,
        title="Weekly sampling",
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    flags_scan_provider(provider=world.provider)
    review = OversightReviewFactory(service=world.service, provider=world.provider)
    page = login(world.viewer).get(review.get_absolute_url()).content.decode()
    assert "Overdue action: Weekly sampling" in page and "fixed when the meeting starts" in page
    assert f"{action.reference} Weekly sampling" not in page, "once, as itself, not again as its flag"
    assert "Start the meeting" not in page
    assert not AgendaItem.objects.exists(), "viewing never writes"


def test_a_review_across_the_provider_hides_other_services_items_from_service_level_people(world, login):
    # Real causes (overdue actions): starting the review re-evaluates the flags of its scope.
    for service, title in ((world.sibling, "Lodge flag"), (world.service, "House flag")):
        ActionFactory(
            theme=ThemeFactory(service=service, provider=world.provider),
            service=service,
            provider=world.provider,
            title=title,
            status=RecoveryAction.Status.IN_PROGRESS,
            due_date=timezone.localdate() - datetime.timedelta(days=3),
        )
    review = OversightReviewFactory(service=None, provider=world.provider, kind="quarterly_board")
    services.review_start(actor=world.ni, review=review)
    rm_page = login(world.rm).get(review.get_absolute_url()).content.decode()
    assert "House flag" in rm_page and "Lodge flag" not in rm_page
    ni_page = login(world.ni).get(review.get_absolute_url()).content.decode()
    assert "House flag" in ni_page and "Lodge flag" in ni_page


def test_lists_show_overdue_reviews_separately(world, login):
    OversightReviewFactory(
        service=world.service,
        provider=world.provider,
        title="Missed weekly",
        scheduled_for=timezone.now() - datetime.timedelta(days=8),
    )
    page = login(world.viewer).get(reverse("governance:review_list", kwargs={"service": world.service.slug}))
    assert "Scheduled but not held" in page.content.decode() and "Missed weekly" in page.content.decode()


def test_the_service_page_shows_the_next_review(world, login):
    OversightReviewFactory(service=world.service, provider=world.provider, title="Weekly review: Tuesday")
    below = reverse("core:service_panels_below", kwargs={"service": world.service.slug, "part": 2})  # below the fold
    page = login(world.deputy).get(below).content.decode()
    assert "Next review" in page and "Weekly review: Tuesday" in page


@pytest.mark.parametrize("with_upcoming", [True, False])
def test_next_review_and_overdue_agree_with_the_separate_selectors(world, with_upcoming, django_assert_num_queries):
    from governance.reviews import selectors as selectors

    now = timezone.now()
    for days in (8, 15):
        OversightReviewFactory(
            service=world.service, provider=world.provider, scheduled_for=now - datetime.timedelta(days=days)
        )
    OversightReviewFactory(
        service=world.sibling, provider=world.provider, scheduled_for=now - datetime.timedelta(days=3)
    )
    if with_upcoming:
        OversightReviewFactory(
            service=world.service, provider=world.provider, scheduled_for=now + datetime.timedelta(days=9)
        )
        OversightReviewFactory(service=None, provider=world.provider, scheduled_for=now + datetime.timedelta(days=2))
    expected = (selectors.next_review(world.ni, world.service), selectors.overdue_count(world.ni, world.service))
    assert expected[1] == 2
    with django_assert_num_queries(1):  # one query whether or not a review is coming up
        assert selectors.next_review_and_overdue(world.ni, world.service) == expected


def test_the_service_page_counts_closure_proposals_awaiting_the_user(world, login):
    from recovery.plan.selectors import actions_awaiting_decision

    theme = ThemeFactory(service=world.service, provider=world.provider)
    for risk in ("low", "high"):
        ActionFactory(
            theme=theme,
            service=world.service,
            provider=world.provider,
            status=RecoveryAction.Status.CLOSURE_PROPOSED,
            risk_level=risk,
            proposed_by=world.rm,
        )
    expected = actions_awaiting_decision(world.ni).filter(service=world.service).count()
    assert expected == 2
    below = reverse("core:service_panels_below", kwargs={"service": world.service.slug, "part": 2})  # below the fold
    page = login(world.ni).get(below).content.decode()
    assert f"Closure proposals awaiting your decision ({expected})" in page


def test_long_minutes_finalise_and_the_evidence_copy_says_where_the_rest_is(world):
    """Minutes longer than an evidence description (a 20,000-character summary) still finalise;
    the copy kept as evidence is cut with a note, the review keeps every word (issue 12)."""
    from core import limits

    started = in_progress_review(world.service)
    summary = ("Assured on night checks; partly assured on handover. " * 400)[: limits.LONG_NARRATIVE]
    services.review_finalise(actor=world.rm, review=started, summary=summary)
    started.refresh_from_db()
    assert started.summary == summary.strip()
    description = started.minutes_evidence.description
    assert len(description) == limits.NARRATIVE
    assert description.endswith(services.MINUTES_CONTINUED)
