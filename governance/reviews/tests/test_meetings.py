"""Meetings as they happen: change, move and cancel a review; recurring series; items added by
hand; attendance; the live counter; owners not assuring their own items; amended minutes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from governance.models import AgendaItem, OversightReview, ReviewAttendance, ReviewSeries, ReviewTransition
from governance.reviews import services
from governance.reviews.tests.factories import OversightReviewFactory, in_progress_review
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory

TODAY = timezone.localdate()
R = OversightReview.Status


def _scheduled(w, **kwargs):
    return services.review_create(
        actor=w.ni,
        provider=w.provider,
        service=w.service,
        kind="monthly_leadership",
        scheduled_for=timezone.now() + datetime.timedelta(days=3),
        chair=w.ni,
        attendees=[w.rm, w.quality],
        **kwargs,
    )


def _edit_data(review, **changes):
    data = {
        "kind": review.kind,
        "title": review.title,
        "scheduled_for": timezone.localtime(review.scheduled_for).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": review.duration_minutes,
        "location": review.location,
        "chair": review.chair_id,
        "attendees": list(review.attendees.values_list("pk", flat=True)),
        "reason": "",
    }
    data.update(changes)
    return data


# --- Change, move, cancel -----------------------------------------------------------------


def test_moving_a_meeting_keeps_the_old_and_new_times_and_the_reason(world, login):
    review = _scheduled(world)
    client = login(world.ni)
    url = reverse("governance:review_edit", kwargs={"pk": review.pk})
    assert client.get(url).status_code == 200
    later = timezone.localtime(review.scheduled_for) + datetime.timedelta(days=2)
    response = client.post(
        url, _edit_data(review, scheduled_for=later.strftime("%Y-%m-%dT%H:%M"), reason="The chair is at CQC.")
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert timezone.localtime(review.scheduled_for).date() == later.date()
    moves = list(review.transitions.values_list("move", "note"))
    assert moves == [("scheduled", ""), ("rescheduled", "The chair is at CQC.")]
    page = client.get(review.get_absolute_url()).content.decode()
    assert "The chair is at CQC." in page


def test_a_started_meeting_cannot_be_changed_and_the_form_keeps_what_was_typed(world, login):
    review = _scheduled(world)
    client = login(world.ni)
    url = reverse("governance:review_edit", kwargs={"pk": review.pk})
    services.review_start(actor=world.ni, review=review)  # someone started it while the form was open
    response = client.post(url, _edit_data(review, location="Board room, first floor"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "This meeting has started" in body and "Board room, first floor" in body


def test_cancelling_needs_a_reason_keeps_the_meeting_and_refuses_a_second_time(world, login):
    review = _scheduled(world)
    client = login(world.ni)
    url = reverse("governance:review_cancel", kwargs={"pk": review.pk})
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert client.post(url, {"reason": "Too few members could attend."}).status_code == 302
    review.refresh_from_db()
    assert review.status == R.CANCELLED and review.cancel_reason == "Too few members could attend."
    assert review.cancelled_by == world.ni
    # A double submit: the second is refused with a message, nothing changes.
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400 and "already cancelled" in again.content.decode()
    review.refresh_from_db()
    assert review.cancel_reason == "Too few members could attend."
    assert list(review.transitions.values_list("move", flat=True)) == ["scheduled", "cancelled"]
    listing = client.get(reverse("governance:review_list", kwargs={"service": world.service.slug})).content.decode()
    assert review.title in listing and "Cancelled" in listing


def test_finalised_minutes_are_not_cancelled(world):
    review = in_progress_review(world.service, chair=world.ni)
    services.review_finalise(actor=world.ni, review=review, summary="Held.")
    with pytest.raises(ValidationError, match="final"):
        services.review_cancel(actor=world.ni, review=review, reason="Oops")


def test_another_providers_review_is_a_404_for_each_new_page(world, login):
    review = _scheduled(world)
    series = services.series_create(
        actor=world.ni,
        provider=world.provider,
        kind="monthly_leadership",
        frequency="monthly",
        starts_on=TODAY + datetime.timedelta(days=1),
        time_of_day=datetime.time(10, 0),
        chair=world.ni,
    )
    client = login(world.outsider)
    for url in (
        reverse("governance:review_edit", kwargs={"pk": review.pk}),
        reverse("governance:review_cancel", kwargs={"pk": review.pk}),
        reverse("governance:series_stop", kwargs={"pk": series.pk}),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("governance:item_add", kwargs={"pk": review.pk}), {}).status_code == 404
    url = reverse("governance:attendance_record", kwargs={"pk": review.pk, "person": world.rm.pk})
    assert client.post(url, {"attendance": "present"}).status_code == 404


def test_a_cancelled_meeting_is_cancelled_in_the_calendar_feed(world, login):
    from governance.reviews.selectors import ics_token

    review = _scheduled(world)
    services.review_cancel(actor=world.ni, review=review, reason="Snow")
    feed = login(world.ni).get(reverse("governance:ics_feed", kwargs={"token": ics_token(world.ni)}))
    body = feed.content.decode()
    assert "STATUS:CANCELLED" in body and "Snow" in body


# --- Recurring series ---------------------------------------------------------------------


def _series(w, **kwargs):
    values = {
        "actor": w.ni,
        "provider": w.provider,
        "kind": "monthly_leadership",
        "frequency": "monthly",
        "starts_on": TODAY + datetime.timedelta(days=1),
        "time_of_day": datetime.time(10, 0),
        "chair": w.ni,
        "attendees": [w.quality],
        "title": "Monthly leadership review",
    }
    values.update(kwargs)
    return services.series_create(**values)


def test_a_series_plans_its_meetings_up_to_the_horizon_once(world):
    series = _series(world, frequency="weekly")
    planned = list(series.reviews.order_by("scheduled_for"))
    horizon = TODAY + datetime.timedelta(days=services.SERIES_HORIZON_DAYS)
    assert len(planned) == len(services.series_dates(series, since=TODAY, until=horizon)) >= 17
    assert all(r.status == R.SCHEDULED and r.service_id is None and r.chair == world.ni for r in planned)
    assert list(planned[0].attendees.all()) == [world.quality]
    # Filling again (the beat task, or twice at once) adds nothing.
    assert services.series_fill(series=series) == []
    assert services.series_fill_all() == 0
    # A moved meeting is not planned again on its old day.
    first = planned[0]
    services.review_update(
        actor=world.ni,
        review=first,
        kind=first.kind,
        scheduled_for=first.scheduled_for + datetime.timedelta(days=1),
        chair=first.chair,
        title=first.title,
        attendees=[],
    )
    assert services.series_fill(series=series) == []
    # The horizon rolls: a week later one more meeting is planned.
    assert len(services.series_fill(series=series, today=TODAY + datetime.timedelta(days=7))) == 1


def test_monthly_meetings_keep_their_day_or_the_last_day_of_a_short_month(world):
    series = ReviewSeries(frequency="monthly", starts_on=datetime.date(2027, 1, 31))
    days = services.series_dates(series, since=datetime.date(2027, 1, 1), until=datetime.date(2027, 4, 30))
    assert days == [
        datetime.date(2027, 1, 31),
        datetime.date(2027, 2, 28),
        datetime.date(2027, 3, 31),
        datetime.date(2027, 4, 30),
    ]
    quarterly = ReviewSeries(frequency="quarterly", starts_on=datetime.date(2027, 1, 15))
    assert services.series_dates(quarterly, since=datetime.date(2027, 1, 1), until=datetime.date(2027, 12, 31)) == [
        datetime.date(2027, 1, 15),
        datetime.date(2027, 4, 15),
        datetime.date(2027, 7, 15),
        datetime.date(2027, 10, 15),
    ]


def test_a_series_through_the_page_fills_the_calendar(world, login):
    client = login(world.rm)
    url = reverse("governance:series_create", kwargs={"service": world.service.slug})
    assert client.get(url).status_code == 200
    first = TODAY + datetime.timedelta(days=2)
    bad = client.post(url, {"kind": "weekly_service", "frequency": "weekly", "location": "Lounge"})
    assert bad.status_code == 400 and 'value="Lounge"' in bad.content.decode()
    response = client.post(
        url,
        {
            "kind": "weekly_service",
            "title": "Weekly service review",
            "frequency": "weekly",
            "starts_on": first.isoformat(),
            "time_of_day": "14:00",
            "duration_minutes": 45,
            "chair": world.rm.pk,
        },
    )
    assert response.status_code == 302
    series = ReviewSeries.objects.get()
    assert series.service == world.service and series.reviews.count() >= 17
    month = client.get(reverse("governance:calendar") + f"?month={first:%Y-%m}").content.decode()
    assert "Weekly service review" in month
    listing = client.get(reverse("governance:review_list", kwargs={"service": world.service.slug})).content.decode()
    assert "Recurring reviews" in listing


def test_a_series_in_the_past_or_without_a_chair_with_access_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _series(world, starts_on=TODAY - datetime.timedelta(days=1))
    assert "starts_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _series(world, chair=world.outsider)
    assert "chair" in exc.value.message_dict


def test_stopping_a_series_cancels_its_future_meetings_with_the_reason(world, login):
    series = _series(world)
    held = series.reviews.order_by("scheduled_for").first()
    services.review_start(actor=world.ni, review=held)
    client = login(world.ni)
    url = reverse("governance:series_stop", kwargs={"pk": series.pk})
    assert client.post(url, {"reason": "Replaced by the board"}).status_code == 302
    statuses = set(series.reviews.exclude(pk=held.pk).values_list("status", "cancel_reason"))
    assert statuses == {(R.CANCELLED, "Replaced by the board")}
    held.refresh_from_db()
    assert held.status == R.IN_PROGRESS
    assert services.series_fill(series=series) == []
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400 and "already stopped" in again.content.decode()


# --- Items added by hand ------------------------------------------------------------------


def test_an_item_added_by_hand_stays_through_refreshes_and_is_not_added_twice(world, login):
    review = in_progress_review(world.service, chair=world.ni)
    client = login(world.ni)
    url = reverse("governance:item_add", kwargs={"pk": review.pk})
    data = {"item-kind": "theme_summary", "item-title": "Safeguarding themes this month", "item-detail": "3 alerts"}
    assert client.post(url, data).status_code == 302
    item = review.agenda_items.get(kind=AgendaItem.Kind.THEME_SUMMARY)
    assert item.added_by == world.ni and item.snapshot["detail"] == "3 alerts"
    services.agenda_refresh(actor=world.ni, review=review)
    assert review.agenda_items.filter(pk=item.pk).exists()
    twice = client.post(url, data)  # a double submit
    assert twice.status_code == 400 and "already on the agenda" in twice.content.decode()
    assert review.agenda_items.filter(kind=AgendaItem.Kind.THEME_SUMMARY).count() == 1
    empty = client.post(url, {"item-kind": "other", "item-title": "", "item-detail": "kept text"})
    assert empty.status_code == 400 and "kept text" in empty.content.decode()
    bad_kind = client.post(url, {"item-kind": "flag", "item-title": "Sneaky"})
    assert bad_kind.status_code == 400


def test_items_cannot_be_added_to_final_or_cancelled_minutes(world):
    review = in_progress_review(world.service, chair=world.ni)
    services.review_finalise(actor=world.ni, review=review, summary="Done.")
    with pytest.raises(ValidationError, match="final"):
        services.item_add(actor=world.ni, review=review, kind="other", title="Late item")


# --- Attendance ---------------------------------------------------------------------------


def test_attendance_and_apologies_per_invited_person(world, login):
    review = _scheduled(world)
    client = login(world.ni)

    def record(person, value):
        url = reverse("governance:attendance_record", kwargs={"pk": review.pk, "person": person.pk})
        return client.post(url, {"attendance": value}, follow=True)

    record(world.rm, "apologies")
    record(world.quality, "present")
    record(world.rm, "present")  # changed on the day: one row per person
    rows = dict(ReviewAttendance.objects.filter(review=review).values_list("person_id", "status"))
    assert rows == {world.rm.pk: "present", world.quality.pk: "present"}
    refused = record(world.deputy, "present")  # not invited
    assert "Only people invited" in refused.content.decode()
    nonsense = record(world.rm, "asleep")
    assert "Choose present, apologies or absent" in nonsense.content.decode()
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Attendance" in page and "Present" in page


# --- Owners do not assure their own items; the live counter -------------------------------


def _theme_item(w):
    ThemeFactory(service=w.service, provider=w.provider, risk_level="high", title="Night staffing", owner=w.rm)
    review = in_progress_review(w.service, chair=w.ni)
    services.agenda_refresh(actor=w.ni, review=review)
    return review, review.agenda_items.get(kind=AgendaItem.Kind.HIGH_RISK_THEME)


def test_the_owner_of_a_theme_cannot_record_assured_on_it(world, login):
    review, item = _theme_item(world)
    with pytest.raises(ValidationError, match="You own"):
        services.item_decide(actor=world.rm, item=item, decision="assured", rationale="All fine.")
    client = login(world.rm)
    page = client.get(review.get_absolute_url()).content.decode()
    assert "You own what this item is about" in page
    assert reverse("governance:item_decide", kwargs={"pk": item.pk}) not in page
    url = reverse("governance:item_decide", kwargs={"pk": item.pk})
    response = client.post(url, {"decision": "assured", "rationale": "All fine."}, HTTP_HX_REQUEST="true")
    assert "You own what this item is about" in response.content.decode()
    item.refresh_from_db()
    assert item.decision == ""
    # Someone else decides it.
    services.item_decide(actor=world.ni, item=item, decision="assured", rationale="Tested the rota.")


def test_the_person_who_adds_an_item_does_not_decide_it_and_an_action_owner_neither(world):
    review = in_progress_review(world.service, chair=world.ni)
    hand = services.item_add(actor=world.quality, review=review, kind="other", title="Agency spend")
    with pytest.raises(ValidationError, match="You own"):
        services.item_decide(actor=world.quality, item=hand, decision="assured", rationale="x")
    ActionFactory(
        theme=ThemeFactory(service=world.service, provider=world.provider),
        owner=world.rm,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=TODAY - datetime.timedelta(days=2),
    )
    services.agenda_refresh(actor=world.ni, review=review)
    overdue = review.agenda_items.get(kind=AgendaItem.Kind.OVERDUE_ACTION)
    with pytest.raises(ValidationError, match="You own"):
        services.item_decide(actor=world.rm, item=overdue, decision="assured", rationale="x")


def test_the_counter_updates_with_the_decision(world, login):
    review, item = _theme_item(world)
    services.item_add(actor=world.quality, review=review, kind="other", title="Agency spend")
    client = login(world.ni)
    assert "(0 of 2 decided)" in client.get(review.get_absolute_url()).content.decode()
    url = reverse("governance:item_decide", kwargs={"pk": item.pk})
    response = client.post(url, {"decision": "assured", "rationale": "Rota tested."}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="agenda-counter" hx-swap-oob="true"' in body and "(1 of 2 decided)" in body


# --- Amended minutes ----------------------------------------------------------------------


def test_an_amendment_updates_the_kept_minutes(world):
    review, item = _theme_item(world)
    services.item_decide(actor=world.ni, item=item, decision="partly_assured", rationale="Two weeks only.")
    services.review_finalise(actor=world.ni, review=review, summary="Partly assured overall.")
    services.review_amend(
        actor=world.ni, review=review, reason="Wrong decision minuted", item=item, decision="not_assured"
    )
    review.minutes_evidence.refresh_from_db()
    text = review.minutes_evidence.description
    assert "Decision: Not assured" in text and "Wrong decision minuted" in text
    assert ReviewTransition.objects.filter(review=review, move="finalised").exists()


# --- The provider's reviews page ----------------------------------------------------------


def _reviews_everywhere(w, n):
    for i in range(n):
        OversightReviewFactory(service=w.service, provider=w.provider, title=f"House review {i}")
        OversightReviewFactory(service=w.sibling, provider=w.provider, title=f"Lodge review {i}")
    OversightReviewFactory(service=None, provider=w.provider, title="Board review")


@pytest.mark.parametrize("n", [2, 12])
def test_the_provider_page_lists_every_services_reviews_in_bounded_queries(
    world, login, n, django_assert_max_num_queries
):
    _reviews_everywhere(world, n)
    OversightReviewFactory(service=world.other_service, provider=world.other_provider, title="River review")
    client = login(world.ni)
    url = reverse("governance:provider_review_list", kwargs={"provider": world.provider.slug})
    with django_assert_max_num_queries(14):
        body = client.get(url).content.decode()
    assert "House review 0" in body and "Lodge review 0" in body and "Board review" in body
    assert "River review" not in body
    # A service-level person sees their service's and the provider's, not the sibling's.
    rm_body = login(world.rm).get(url).content.decode()
    assert "House review 0" in rm_body and "Board review" in rm_body and "Lodge review 0" not in rm_body


# --- Double submits -----------------------------------------------------------------------


def test_a_double_submit_schedules_one_review_one_series_and_one_challenge(world, login):
    client = login(world.ni)
    url = reverse("governance:review_create", kwargs={"service": world.service.slug})
    data = {
        "kind": "monthly_leadership",
        "scheduled_for": (timezone.localtime() + datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 60,
        "chair": world.ni.pk,
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert "already scheduled at this time" in again.content.decode()
    assert OversightReview.objects.count() == 1
    _series(world)
    with pytest.raises(ValidationError, match="already set up"):
        _series(world)
    review, item = _theme_item(world)
    services.item_challenge(actor=world.board, item=item, kind="question", text="Which nights?")
    with pytest.raises(ValidationError, match="already raised"):
        services.item_challenge(actor=world.board, item=item, kind="question", text="Which nights?")


# --- Bounded reads ------------------------------------------------------------------------


def _meeting_with(w, n):
    theme = ThemeFactory(service=w.service, provider=w.provider, owner=w.rm)
    for i in range(n):
        ActionFactory(
            theme=theme,
            owner=w.rm if i % 2 else w.lead,
            status=RecoveryAction.Status.IN_PROGRESS,
            due_date=TODAY - datetime.timedelta(days=i + 1),
        )
    review = in_progress_review(w.service, chair=w.ni)
    review.attendees.set([w.rm, w.quality])
    services.agenda_refresh(actor=w.ni, review=review)
    for item in review.agenda_items.all()[:3]:
        services.item_challenge(actor=w.ni, item=item, kind="evidence_request", text="Show it.")
    services.item_add(actor=w.quality, review=review, kind="other", title="Agency spend")
    services.attendance_record(actor=w.ni, review=review, person=w.rm, status="present")
    return review


def test_the_meeting_page_costs_the_same_whatever_the_agenda(world, login, django_assert_max_num_queries):
    client = login(world.rm)
    small = _meeting_with(world, 3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(small.get_absolute_url()).status_code == 200
    large = _meeting_with(world, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(large.get_absolute_url()).content.decode()
    assert "You own what this item is about" in body and "Agency spend" in body


def test_a_series_fills_the_calendar_feed(world, login):
    from governance.reviews.selectors import ics_token

    series = _series(world, frequency="weekly", title="Weekly leadership huddle")
    body = login(world.ni).get(reverse("governance:ics_feed", kwargs={"token": ics_token(world.ni)})).content.decode()
    assert body.count("SUMMARY:Weekly leadership huddle") == series.reviews.count() >= 17


def test_an_item_added_before_the_meeting_keeps_the_live_agenda_in_view(world, login):
    ThemeFactory(service=world.service, provider=world.provider, risk_level="high", title="Falls at night")
    review = _scheduled(world)
    services.item_add(actor=world.ni, review=review, kind="other", title="Agency spend")
    body = login(world.ni).get(review.get_absolute_url()).content.decode()
    assert "This is the live agenda" in body and "High-risk theme: Falls at night" in body and "Agency spend" in body
    services.review_start(actor=world.ni, review=review)
    kinds = list(review.agenda_items.order_by("order").values_list("kind", flat=True))
    assert kinds == [AgendaItem.Kind.HIGH_RISK_THEME, AgendaItem.Kind.OTHER]
