"""Recording data points through the API: the same service as the web form, one value per
period, ``Idempotency-Key`` replays, the bulk endpoint, and the errors a client sees."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from api.models import IdempotencyRecord
from api.tests.conftest import ApiClient
from recovery.measures import selectors as measure_selectors
from recovery.models import DataPoint, OutcomeMeasure
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def _measure(service, **fields) -> OutcomeMeasure:
    return MeasureFactory(
        action=ActionFactory(theme=ThemeFactory(service=service, provider=service.provider)), **fields
    )


def points_url(measure) -> str:
    return reverse("api_v1:measure-points", kwargs={"pk": measure.pk})


def day(n: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=n)).isoformat()


def test_a_recorded_point_is_on_the_measure_its_chart_and_the_trail(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    response = api.post(points_url(measure), {"period_date": day(1), "numerator": 9, "denominator": 10})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["value"] == 90.0 and body["period_date"] == day(1)
    point = DataPoint.objects.get(pk=body["id"])
    assert point.recorded_by == world.lead and point.source == DataPoint.Source.MANUAL
    # The summary and the chart the measure page draws show it (the stored summary too).
    summary = measure_selectors.measure_summary(measure)
    assert [p.value for p in summary.points] == [90.0]
    assert "90" in summary.chart_svg()
    measure.refresh_from_db()
    assert measure.summary_latest_value == 90.0 and measure.summary_point_count == 1
    # ... and the measure endpoint, from one SPC evaluation.
    detail = api.get(reverse("api_v1:measure-detail", kwargs={"pk": measure.pk})).json()
    assert detail["summary"]["latest_value"] == 90.0
    assert [p["value"] for p in detail["points"]] == [90.0] and detail["spc"]["points"][0]["point"] == point.pk
    # On the audit trail, with the token's user as the actor, as from the web form.
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(DataPoint), object_pk=str(point.pk))
    assert entry.action == LogEntry.Action.CREATE and entry.actor == world.lead


def test_a_count_measure_takes_a_value(world, api_as):
    measure = _measure(
        world.service, kind=OutcomeMeasure.Kind.COUNT, direction="lower", baseline_value=9, target_value=2
    )
    response = api_as(world.rm).post(points_url(measure), {"period_date": day(3), "value": 4})
    assert response.status_code == 201 and response.json()["value"] == 4.0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"period_date": "tomorrow", "numerator": 1, "denominator": 2}, "period_date"),
        ({"numerator": 1, "denominator": 2}, "period_date"),
        ({"period_date": "9999-12-31", "numerator": 1, "denominator": 2}, "period_date"),
        ({"period_date": "2099-01-01", "numerator": 1, "denominator": 2}, "period_date"),  # future: the service
        ({"period_date": "2026-01-05", "numerator": 11, "denominator": 10}, "numerator"),  # the service's rule
        ({"period_date": "2026-01-05", "numerator": 1, "denominator": 0}, "denominator"),
        ({"period_date": "2026-01-05", "numerator": "lots", "denominator": 10}, "numerator"),
        ({"period_date": "2026-01-05", "denominator": 10}, "numerator"),
    ],
)
def test_a_bad_value_is_400_json_naming_the_field(world, api_as, body, field):
    measure = _measure(world.service)
    response = api_as(world.lead).post(points_url(measure), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json(), response.json()
    assert not DataPoint.objects.filter(measure=measure).exists()


def test_a_body_that_is_not_json_is_400(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    response = api.client.post(points_url(measure), "{nope", content_type="application/json", headers=api.headers)
    assert response.status_code == 400 and "detail" in response.json()


def test_another_providers_measure_is_404_and_a_missing_one_too(world, api_as):
    theirs = _measure(world.other_service)
    api = api_as(world.lead)
    for url in (points_url(theirs), "/api/v1/measures/999999/points/", "/api/v1/measures/abc/points/"):
        response = api.post(url, {"period_date": day(1), "numerator": 1, "denominator": 2})
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    assert api.get(reverse("api_v1:measure-detail", kwargs={"pk": theirs.pk})).status_code == 404
    assert not DataPoint.objects.exists()


def test_a_read_only_token_cannot_write(world, api_as):
    measure = _measure(world.service)
    response = api_as(world.lead, scope="read").post(
        points_url(measure), {"period_date": day(1), "numerator": 1, "denominator": 2}
    )
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert not DataPoint.objects.exists()


def test_a_role_that_may_not_record_is_403_even_with_a_write_token(world, api_as):
    measure = _measure(world.service)
    response = api_as(world.viewer, scope="write").post(
        points_url(measure), {"period_date": day(1), "numerator": 1, "denominator": 2}
    )
    assert response.status_code == 403


def test_without_a_token_or_with_a_bad_one_it_is_401_json_never_a_redirect(world, api_as):
    measure = _measure(world.service)
    good = api_as(world.lead)
    for client in (
        ApiClient(),
        ApiClient("rg_00000000_wrong"),
        ApiClient("not-a-token"),
        ApiClient(good.headers["Authorization"].split()[1] + "x"),
    ):
        for response in (
            client.get(reverse("api_v1:action-list")),
            client.post(points_url(measure), {"period_date": day(1), "numerator": 1, "denominator": 2}),
        ):
            assert response.status_code == 401
            assert response["WWW-Authenticate"] == "Bearer"
            assert "detail" in response.json()
    basic = ApiClient(HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    basic.headers = {"Authorization": "Basic Zm9vOmJhcg=="}
    assert basic.get(reverse("api_v1:action-list")).status_code == 401


def test_a_signed_in_browser_session_is_not_enough(world, client):
    client.force_login(world.lead)
    response = client.get(reverse("api_v1:action-list"))
    assert response.status_code == 401


# --- One value per period --------------------------------------------------------------


def test_repeating_the_same_point_answers_200_with_the_existing_one(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    body = {"period_date": day(7), "numerator": 7, "denominator": 10}
    first = api.post(points_url(measure), body)
    again = api.post(points_url(measure), body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert DataPoint.objects.filter(measure=measure).count() == 1


def test_a_different_value_for_a_recorded_period_is_409(world, api_as):
    measure = _measure(world.service)
    existing = DataPointFactory(measure=measure, period_date=timezone.localdate() - datetime.timedelta(days=7))
    response = api_as(world.lead).post(points_url(measure), {"period_date": day(7), "numerator": 3, "denominator": 10})
    assert response.status_code == 409
    assert "already has a value" in response.json()["detail"]
    assert response.json()["point"]["id"] == existing.pk
    assert DataPoint.objects.filter(measure=measure).count() == 1


def test_a_bad_value_for_a_recorded_period_is_still_400(world, api_as):
    measure = _measure(world.service)
    DataPointFactory(measure=measure, period_date=timezone.localdate() - datetime.timedelta(days=7))
    response = api_as(world.lead).post(points_url(measure), {"period_date": day(7), "numerator": 30, "denominator": 10})
    assert response.status_code == 400 and "numerator" in response.json()


# --- Idempotency-Key ----------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_answer(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    body = {"period_date": day(2), "numerator": 5, "denominator": 10}
    first = api.post(points_url(measure), body, **{"Idempotency-Key": "k-1"})
    second = api.post(points_url(measure), body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert DataPoint.objects.filter(measure=measure).count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    api.post(
        points_url(measure), {"period_date": day(2), "numerator": 5, "denominator": 10}, **{"Idempotency-Key": "k"}
    )
    other = api.post(
        points_url(measure), {"period_date": day(9), "numerator": 5, "denominator": 10}, **{"Idempotency-Key": "k"}
    )
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    assert DataPoint.objects.filter(measure=measure).count() == 1


def test_a_refused_request_is_not_kept_so_it_can_be_corrected_under_the_same_key(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    bad = api.post(
        points_url(measure), {"period_date": day(2), "numerator": 50, "denominator": 10}, **{"Idempotency-Key": "k"}
    )
    assert bad.status_code == 400
    good = api.post(
        points_url(measure), {"period_date": day(2), "numerator": 5, "denominator": 10}, **{"Idempotency-Key": "k"}
    )
    assert good.status_code == 201


def test_keys_belong_to_their_token(world, api_as):
    measure = _measure(world.service)
    body = {"period_date": day(2), "numerator": 5, "denominator": 10}
    assert api_as(world.lead).post(points_url(measure), body, **{"Idempotency-Key": "k"}).status_code == 201
    # Another token's same key is a new request: the point is already there, so 200.
    again = api_as(world.rm).post(points_url(measure), body, **{"Idempotency-Key": "k"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again


# --- Bulk ---------------------------------------------------------------------------------

BULK = "/api/v1/points/bulk/"


def test_bulk_records_every_point_or_none(world, api_as):
    a, b = (
        _measure(world.service),
        _measure(world.service, kind=OutcomeMeasure.Kind.COUNT, direction="lower", baseline_value=9, target_value=2),
    )
    api = api_as(world.lead)
    ok = api.post(
        BULK,
        {
            "points": [
                {"measure": a.pk, "period_date": day(14), "numerator": 6, "denominator": 10},
                {"measure": a.pk, "period_date": day(7), "numerator": 8, "denominator": 10},
                {"measure": b.pk, "period_date": day(7), "value": 3},
            ]
        },
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["recorded"] == 3 and [r["status"] for r in ok.json()["results"]] == [201, 201, 201]
    a.refresh_from_db()
    assert a.summary_point_count == 2 and a.summary_latest_value == 80.0

    theirs = _measure(world.other_service)
    refused = api.post(
        BULK,
        {
            "points": [
                {"measure": a.pk, "period_date": day(7), "numerator": 8, "denominator": 10},  # the same: fine
                {"measure": a.pk, "period_date": day(0), "numerator": 9, "denominator": 10},  # new: fine alone
                {"measure": b.pk, "period_date": day(7), "value": 5},  # a different value: 409
                {"measure": theirs.pk, "period_date": day(7), "numerator": 1, "denominator": 2},  # 404
                {"measure": a.pk, "period_date": day(1), "numerator": 11, "denominator": 10},  # 400
            ]
        },
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["recorded"] == 0
    assert [(r["index"], r["status"]) for r in body["results"]] == [(2, 409), (3, 404), (4, 400)]
    assert "numerator" in body["results"][2]["errors"]
    assert DataPoint.objects.count() == 3  # nothing from the refused call
    a.refresh_from_db()
    assert a.summary_point_count == 2


def test_bulk_refuses_more_than_1000_points_and_an_empty_list(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    item = {"measure": measure.pk, "period_date": day(1), "numerator": 1, "denominator": 2}
    assert api.post(BULK, {"points": [item] * 1001}).status_code == 400
    assert api.post(BULK, {"points": []}).status_code == 400
    assert api.post(BULK, {}).status_code == 400
    assert not DataPoint.objects.exists()


def test_bulk_of_1000_points_is_taken_whole(world, api_as):
    """The limit itself goes through (speed is for benchmarks, not a timed test)."""
    measures = [_measure(world.service) for _ in range(10)]
    items = [
        {"measure": m.pk, "period_date": day(n), "numerator": n % 10, "denominator": 10}
        for m in measures
        for n in range(100)
    ]
    api = api_as(world.lead)
    response = api.post(BULK, {"points": items})
    assert response.status_code == 200 and response.json()["recorded"] == 1000
    assert DataPoint.objects.count() == 1000


def test_a_read_only_token_cannot_bulk(world, api_as):
    measure = _measure(world.service)
    item = {"measure": measure.pk, "period_date": day(1), "numerator": 1, "denominator": 2}
    assert api_as(world.lead, scope="read").post(BULK, {"points": [item]}).status_code == 403


def test_keys_are_forgotten_after_a_day(world, api_as):
    measure = _measure(world.service)
    api = api_as(world.lead)
    body = {"period_date": day(2), "numerator": 5, "denominator": 10}
    assert api.post(points_url(measure), body, **{"Idempotency-Key": "old"}).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    # The old key is a new request again (the point is there: 200, not a replay) ...
    again = api.post(points_url(measure), body, **{"Idempotency-Key": "old"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again
    # ... and the expired record was cleared when the new answer was kept.
    assert IdempotencyRecord.objects.get().created_at > timezone.now() - datetime.timedelta(minutes=5)
