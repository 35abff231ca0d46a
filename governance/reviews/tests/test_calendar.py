"""The governance calendar and the ICS feed a calendar app subscribes to."""

from __future__ import annotations

import datetime

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from governance.models import OversightReview
from governance.reviews.selectors import ics_token
from governance.reviews.tests.factories import OversightReviewFactory

NOW = timezone.now()


def _reviews(w):
    return {
        "own": OversightReviewFactory(service=w.service, provider=w.provider, title="Oak House weekly"),
        "sibling": OversightReviewFactory(service=w.sibling, provider=w.provider, title="Oak Lodge weekly"),
        "board": OversightReviewFactory(
            service=None, provider=w.provider, kind=OversightReview.Kind.QUARTERLY_BOARD, title="Board quarterly"
        ),
        "other": OversightReviewFactory(service=w.other_service, provider=w.other_provider, title="River weekly"),
    }


def _feed(client, user):
    client.logout()
    response = client.get(reverse("governance:ics_feed", kwargs={"token": ics_token(user)}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def _titles(cal) -> set[str]:
    return {str(e.get("summary")) for e in cal.walk("VEVENT")}


def test_the_feed_is_a_valid_calendar_of_the_reviews_the_user_can_see(world, client):
    reviews = _reviews(world)
    cal = _feed(client, world.rm)
    assert _titles(cal) == {"Oak House weekly", "Board quarterly"}
    event = next(e for e in cal.walk("VEVENT") if str(e.get("summary")) == "Oak House weekly")
    assert event.decoded("dtstart") == reviews["own"].scheduled_for.replace(microsecond=0)
    assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(minutes=60)
    assert str(event.get("url")).endswith(reviews["own"].get_absolute_url())
    assert _titles(_feed(client, world.ni)) == {"Oak House weekly", "Oak Lodge weekly", "Board quarterly"}
    assert _titles(_feed(client, world.outsider)) == {"River weekly"}


@pytest.mark.parametrize("token", ["nonsense", "1:abc:def", "MQ:1tamper:signaturethatiswrong"])
def test_a_bad_token_is_not_found(world, client, token):
    assert client.get(reverse("governance:ics_feed", kwargs={"token": token})).status_code == 404


def test_a_token_signed_for_another_purpose_is_not_accepted(world, client):
    forged = signing.dumps(world.ni.pk, salt="something-else")
    assert client.get(reverse("governance:ics_feed", kwargs={"token": forged})).status_code == 404


def test_a_deactivated_users_feed_stops(world, client):
    token = ics_token(world.rm)
    world.rm.is_active = False
    world.rm.save()
    assert client.get(reverse("governance:ics_feed", kwargs={"token": token})).status_code == 404


def test_the_month_view_places_reviews_on_their_day(world, login):
    when = timezone.localtime(NOW).replace(day=14, hour=10, minute=0, second=0, microsecond=0)
    OversightReviewFactory(service=world.service, provider=world.provider, title="Mid-month review", scheduled_for=when)
    OversightReviewFactory(service=world.sibling, provider=world.provider, title="Lodge review", scheduled_for=when)
    client = login(world.rm)
    page = client.get(reverse("governance:calendar"), {"month": when.strftime("%Y-%m")}).content.decode()
    assert "Mid-month review" in page and "Lodge review" not in page
    assert when.strftime("%B %Y") in page
    assert reverse("governance:ics_feed", kwargs={"token": ics_token(world.rm)}) in page
    previous_month = (when.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    assert (
        "Mid-month review" not in client.get(reverse("governance:calendar"), {"month": previous_month}).content.decode()
    )


def test_a_malformed_month_falls_back_to_this_month(world, login):
    response = login(world.rm).get(reverse("governance:calendar"), {"month": "2026-13"})
    assert response.status_code == 200
    assert timezone.localdate().strftime("%B %Y") in response.content.decode()


def _many(w, n):
    base = timezone.localtime(NOW).replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    for i in range(n):
        OversightReviewFactory(
            service=w.service, provider=w.provider, scheduled_for=base + datetime.timedelta(days=i % 27, hours=i % 5)
        )
        OversightReviewFactory(service=None, provider=w.provider, kind="quarterly_board", scheduled_for=base)


@pytest.mark.parametrize("view", ["governance:calendar", "governance:review_list"])
def test_query_counts_do_not_grow_with_the_number_of_reviews(world, login, view):
    client = login(world.ni)
    kwargs = {"service": world.service.slug} if view == "governance:review_list" else {}
    url = reverse(view, kwargs=kwargs)
    _many(world, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _many(world, 20)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]


def test_ics_feed_query_count_is_flat(world, client):
    url = reverse("governance:ics_feed", kwargs={"token": ics_token(world.ni)})
    _many(world, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _many(world, 20)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(small) == len(large)


# --- The feed's secret: revocable, rotated on password change -----------------------------


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no cached feed row


def _feed_status(client, token) -> int:
    return client.get(reverse("governance:ics_feed", kwargs={"token": token})).status_code


def test_a_password_change_stops_the_old_feed_address(world, client):
    old = ics_token(world.rm)
    world.rm.set_password("a-new-long-password-2026")
    world.rm.save()
    assert _feed_status(client, old) == 404
    assert _feed_status(client, ics_token(world.rm)) == 200


def test_renewing_gives_a_new_address_and_stops_the_old_one(world, login):
    client = login(world.rm)
    old = ics_token(world.rm)
    response = client.post(reverse("governance:calendar_feed_link"), {"feed": "renew"})
    assert response.status_code == 302
    new = ics_token(_fresh(world.rm))
    assert new != old
    page = client.get(reverse("governance:calendar")).content.decode()
    assert new in page and old not in page
    client.logout()
    assert _feed_status(client, old) == 404
    assert _feed_status(client, new) == 200


def test_revoking_switches_the_feed_off_until_renewed(world, login):
    client = login(world.rm)
    old = ics_token(world.rm)
    client.post(reverse("governance:calendar_feed_link"), {"feed": "revoke"})
    assert ics_token(_fresh(world.rm)) is None
    page = client.get(reverse("governance:calendar")).content.decode()
    assert "switched off" in page and "/feed/" not in page
    assert _feed_status(client, old) == 404
    client.post(reverse("governance:calendar_feed_link"), {"feed": "renew"})
    assert _feed_status(client, ics_token(_fresh(world.rm))) == 200


def test_the_feed_link_changes_only_by_post(world, login):
    client = login(world.rm)
    assert client.get(reverse("governance:calendar_feed_link")).status_code == 405


def test_renewing_ones_own_feed_leaves_others_alone(world, login):
    other = ics_token(world.ni)
    login(world.rm).post(reverse("governance:calendar_feed_link"), {"feed": "renew"})
    assert _feed_status(Client(), other) == 200


def test_a_token_cannot_be_moved_to_another_person(world, client):
    _, mac = ics_token(world.rm).split("-", 1)
    assert _feed_status(client, f"{world.ni.pk}-{mac}") == 404


# --- Out-of-range dates (reliability issue, finding 7) ------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "10000-01", "1899-12", "2201-01", "-5-01"])
def test_a_month_at_or_past_the_edges_falls_back_to_this_month(world, login, month):
    response = login(world.rm).get(reverse("governance:calendar"), {"month": month})
    assert response.status_code == 200
    assert timezone.localdate().strftime("%B %Y") in response.content.decode()


@pytest.mark.parametrize("month", ["1900-01", "2200-12"])
def test_the_calendars_own_edges_render(world, login, month):
    assert login(world.rm).get(reverse("governance:calendar"), {"month": month}).status_code == 200


@pytest.mark.parametrize(
    "when",
    [
        datetime.datetime(9999, 12, 31, 23, 30, tzinfo=datetime.UTC),
        datetime.datetime(9999, 12, 31, 10, 0, tzinfo=datetime.UTC),
        datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
    ],
)
def test_the_feed_survives_a_review_stored_at_any_date(world, client, when):
    OversightReviewFactory(service=world.service, provider=world.provider, title="Far review", scheduled_for=when)
    OversightReviewFactory(service=world.service, provider=world.provider, title="Normal review")
    cal = _feed(client, world.rm)
    assert "Normal review" in _titles(cal)
    if when.year == 9999:
        assert "Far review" in _titles(cal)
    client.force_login(world.rm)
    assert client.get(reverse("governance:calendar")).status_code == 200
    month = f"{when.year:04d}-{when.month:02d}"
    assert client.get(reverse("governance:calendar"), {"month": month}).status_code == 200


@pytest.mark.parametrize("typed", ["9999-12-31T10:00", "0001-01-01T10:00", "1999-12-31T10:00"])
def test_scheduling_a_review_at_an_implausible_date_says_so_and_keeps_the_form(world, login, typed):
    client = login(world.rm)
    url = reverse("governance:review_create", kwargs={"service": world.service.slug})
    response = client.post(
        url,
        {
            "kind": OversightReview.Kind.WEEKLY_SERVICE,
            "title": "Typo review",
            "scheduled_for": typed,
            "duration_minutes": 60,
            "chair": world.rm.pk,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a date between 1 January 2000 and" in html
    assert "Typo review" in html
    assert not OversightReview.objects.filter(title="Typo review").exists()


def test_the_feed_keeps_its_own_caching_for_a_signed_in_client(world, client):
    # The no-store middleware leaves a response that chose its own Cache-Control alone.
    client.force_login(world.rm)
    feed = client.get(reverse("governance:ics_feed", kwargs={"token": ics_token(world.rm)}))
    assert feed["Cache-Control"] == "private, max-age=900"


@pytest.mark.parametrize(
    "when",
    [
        datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(9999, 12, 31, 23, 30, tzinfo=datetime.UTC),
    ],
)
def test_every_page_listing_a_review_survives_one_stored_at_any_date(world, login, when):
    """Before: a review at 0001-01-01 00:00 UTC made the review lists 500 (local time overflows)."""
    far = OversightReviewFactory(service=world.service, provider=world.provider, title="Far review", scheduled_for=when)
    OversightReviewFactory(service=world.service, provider=world.provider, title="Normal review")
    client = login(world.quality)
    pages = [
        reverse("governance:review_list", kwargs={"service": world.service.slug}),
        reverse("governance:provider_review_list", kwargs={"provider": world.provider.slug}),
        reverse("governance:review_detail", kwargs={"pk": far.pk}),
        reverse("governance:calendar"),
        reverse("core:service_detail", kwargs={"service": world.service.slug}),
        reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug}),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    listed = client.get(pages[0]).content.decode()
    assert "Far review" in listed and "Normal review" in listed
