"""Read endpoints: only what the token's user may see, paginated, filtered by service and date,
with the same number of queries for a small and a larger page of data."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.tests.factories import AuditFactory, SubmittedAuditFactory
from governance.flags.tests.factories import FlagFactory
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

RESOURCES = ["provider", "service", "theme", "action", "measure", "audit", "flag", "review"]


def _populate(world, n: int) -> None:
    """``n`` of each kind of record at the main service, one at the sibling, one at the other provider."""
    today = timezone.localdate()
    for service, count in ((world.service, n), (world.sibling, 1), (world.other_service, 1)):
        for i in range(count):
            theme = ThemeFactory(service=service, provider=service.provider)
            action = ActionFactory(theme=theme, due_date=today + datetime.timedelta(days=i))
            for _ in range(2):
                measure = MeasureFactory(action=action)
                DataPointFactory(measure=measure, period_date=today - datetime.timedelta(days=7))
            SubmittedAuditFactory(service=service, period_start=today - datetime.timedelta(days=7 * (i + 1)))
            FlagFactory(service=service)
            OversightReviewFactory(service=service)
        AuditFactory(service=service, period_start=today + datetime.timedelta(days=70))  # a draft: not listed


def _list(api, resource: str, **params):
    response = api.get(reverse(f"api_v1:{resource}-list"), params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_take_the_same_queries_for_few_and_many(world, api_as, django_assert_max_num_queries, resource):
    api = api_as(world.quality)  # provider-wide: sees both services
    _populate(world, 2)
    # 8; one for the action list's review routes (prefetched for every row); and the access
    # record: a savepoint around one INSERT per provider on the page (here one).
    with django_assert_max_num_queries(12) as small:
        few = _list(api, resource)
    _populate(world, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        many = _list(api, resource)
    assert many["count"] >= few["count"]


def test_a_client_lists_only_its_own_providers_actions(world, api_as):
    _populate(world, 3)
    response = api_as(world.quality).get(reverse("api_v1:action-list"))
    assert "no-store" in response["Cache-Control"]  # care data: never kept by a proxy or browser
    own = response.json()
    assert own["count"] == 4 and {a["provider"] for a in own["results"]} == {"oak"}
    # A service-level role sees its own service only (not the sibling).
    rm = _list(api_as(world.rm), "action")
    assert rm["count"] == 3 and {a["service"] for a in rm["results"]} == {"oak-house"}
    theirs = _list(api_as(world.outsider), "action")
    assert theirs["count"] == 1 and theirs["results"][0]["provider"] == "river"


def test_an_action_carries_status_owner_due_and_measures(world, api_as):
    action = ActionFactory(theme=ThemeFactory(service=world.service), owner=world.lead)
    measure = MeasureFactory(action=action)
    DataPointFactory(measure=measure, numerator=9, denominator=10)
    (row,) = _list(api_as(world.rm), "action")["results"]
    assert row["status"] == action.status and row["due_date"] == action.due_date.isoformat()
    assert row["owner"] == {"id": world.lead.pk, "name": world.lead.get_full_name()}
    assert row["measures"][0]["id"] == measure.pk and row["measures"][0]["summary"]["latest_value"] == 90.0


def test_audits_are_the_submitted_ones(world, api_as):
    submitted = SubmittedAuditFactory(service=world.service)
    AuditFactory(service=world.service, period_start=submitted.period_start + datetime.timedelta(days=7))
    rows = _list(api_as(world.rm), "audit")["results"]
    assert [r["id"] for r in rows] == [submitted.pk] and rows[0]["compliance"] == 90.0


def test_filter_by_service_and_date(world, api_as):
    today = timezone.localdate()
    theme = ThemeFactory(service=world.service)
    soon = ActionFactory(theme=theme, due_date=today + datetime.timedelta(days=3))
    later = ActionFactory(theme=theme, due_date=today + datetime.timedelta(days=40))
    ActionFactory(theme=ThemeFactory(service=world.sibling))
    api = api_as(world.quality)
    assert _list(api, "action")["count"] == 3
    assert {r["id"] for r in _list(api, "action", service="oak-house")["results"]} == {soon.pk, later.pk}
    until = (today + datetime.timedelta(days=10)).isoformat()
    assert [r["id"] for r in _list(api, "action", service="oak-house", until=until)["results"]] == [soon.pk]
    since = (today + datetime.timedelta(days=10)).isoformat()
    assert [r["id"] for r in _list(api, "action", service="oak-house", since=since)["results"]] == [later.pk]
    # Another provider's service filters to nothing (not an error that tells it exists).
    assert _list(api, "action", service="river-house")["count"] == 0
    bad = api.get(reverse("api_v1:action-list"), {"since": "last week"})
    assert bad.status_code == 400 and "since" in bad.json()


def test_datetime_fields_filter_by_day(world, api_as):
    review = OversightReviewFactory(service=world.service)
    day = timezone.localtime(review.scheduled_for).date().isoformat()
    api = api_as(world.rm)
    assert [r["id"] for r in _list(api, "review", since=day, until=day)["results"]] == [review.pk]
    assert _list(api, "review", until="2001-01-01")["count"] == 0


def test_pages(world, api_as):
    theme = ThemeFactory(service=world.service)
    for _ in range(5):
        ActionFactory(theme=theme)
    api = api_as(world.rm)
    first = _list(api, "action", page_size=2)
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    last = _list(api, "action", page_size=2, page=3)
    assert len(last["results"]) == 1 and last["next"] is None
    assert api.get(reverse("api_v1:action-list"), {"page": 9}).status_code == 404


def test_flags_by_state(world, api_as):
    open_flag = FlagFactory(service=world.service)
    FlagFactory(service=world.service, resolved_at=timezone.now())
    api = api_as(world.rm)
    assert _list(api, "flag")["count"] == 2
    assert [f["id"] for f in _list(api, "flag", state="open")["results"]] == [open_flag.pk]


def test_a_measure_has_its_points_and_spc_from_one_evaluation(world, api_as, django_assert_max_num_queries):
    measure = MeasureFactory(action=ActionFactory(theme=ThemeFactory(service=world.service)))
    today = timezone.localdate()
    for week, met in enumerate([5, 6, 5, 7, 6, 5, 9]):
        DataPointFactory(measure=measure, period_date=today - datetime.timedelta(days=7 * (7 - week)), numerator=met)
    api = api_as(world.rm)
    url = reverse("api_v1:measure-detail", kwargs={"pk": measure.pk})
    # The request's savepoint and its release, the token, its last-used time, the user's
    # memberships, the measure, its points: SPC runs once on the loaded points. Then the
    # access record: a savepoint around its INSERT.
    with django_assert_max_num_queries(10):
        body = api.get(url).json()
    assert [p["value"] for p in body["points"]] == [50.0, 60.0, 50.0, 70.0, 60.0, 50.0, 90.0]
    assert body["spc"]["mean"] is not None and len(body["spc"]["points"]) == 7
    assert body["state"] == body["summary"]["state"]
    listed = api.get(reverse("api_v1:measure-points", kwargs={"pk": measure.pk}), {"since": today.isoformat()})
    assert listed.json()["count"] == 0
    assert api.get(reverse("api_v1:measure-points", kwargs={"pk": measure.pk})).json()["count"] == 7


def test_one_object_of_another_provider_is_404(world, api_as):
    theirs = ActionFactory(theme=ThemeFactory(service=world.other_service))
    api = api_as(world.quality)
    assert api.get(reverse("api_v1:action-detail", kwargs={"pk": theirs.pk})).status_code == 404
    mine = ActionFactory(theme=ThemeFactory(service=world.service))
    assert api.get(reverse("api_v1:action-detail", kwargs={"pk": mine.pk})).json()["id"] == mine.pk
