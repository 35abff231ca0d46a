"""Measure and data point pages: validation through the forms, the chart page, who may change what."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.models import DataPoint, OutcomeMeasure
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def iso(d: datetime.date) -> str:
    return d.isoformat()


@pytest.fixture
def action(world):
    return ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider), owner=world.owner)


@pytest.fixture
def measure(action):
    return MeasureFactory(action=action, name="Concerns escalated on time")


def measure_data(**overrides):
    data = {
        "name": "Concerns escalated on time",
        "kind": "percentage",
        "direction": "higher",
        "unit": "%",
        "baseline_value": "60",
        "baseline_date": iso(TODAY - datetime.timedelta(days=30)),
        "target_value": "95",
        "target_date": iso(TODAY + datetime.timedelta(days=40)),
        "sustain_periods": "4",
        "cadence": "weekly",
        "limits_from_first": "",
    }
    data.update(overrides)
    return data


def test_create_measure(world, client, action):
    client.force_login(world.rm)
    response = client.post(reverse("recovery:measure_create", kwargs={"action_pk": action.pk}), measure_data())
    measure = OutcomeMeasure.objects.get(action=action)
    assert response.status_code == 302 and response["Location"] == measure.get_absolute_url()
    assert (measure.provider_id, measure.service_id) == (world.provider.pk, world.service.pk)
    assert measure.target_value == 95 and measure.limits_from_first is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"target_value": "50"}, "target_value", "target must be above the baseline"),
        ({"direction": "lower"}, "target_value", "target must be below the baseline"),
        ({"target_value": "120"}, "target_value", "cannot be above 100"),
        ({"baseline_value": "-3", "kind": "count"}, "baseline_value", "cannot be negative"),
        ({"baseline_date": iso(TODAY + datetime.timedelta(days=2))}, "baseline_date", "cannot be in the future"),
        ({"target_date": iso(TODAY - datetime.timedelta(days=40))}, "target_date", "after the baseline date"),
        ({"kind": "reduction", "target_value": "70"}, "direction", "Lower is better"),
        ({"limits_from_first": "11"}, "limits_from_first", "at least 12 values"),
    ],
)
def test_measure_nonsense_is_refused_on_the_field_and_input_kept(world, client, action, overrides, field, message):
    client.force_login(world.rm)
    data = measure_data(**overrides)
    response = client.post(reverse("recovery:measure_create", kwargs={"action_pk": action.pk}), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    html = response.content.decode()
    assert 'value="Concerns escalated on time"' in html  # what was typed is still there
    assert f'value="{data["baseline_date"]}"' in html
    assert not OutcomeMeasure.objects.exists()


def test_kind_cannot_change_once_there_is_data(world, client, measure):
    DataPointFactory(measure=measure)
    client.force_login(world.rm)
    response = client.post(
        reverse("recovery:measure_edit", kwargs={"pk": measure.pk}),
        measure_data(kind="count", baseline_value="6", target_value="9"),
    )
    assert "kind cannot change" in response.context["form"].errors["kind"][0]
    measure.refresh_from_db()
    assert measure.kind == OutcomeMeasure.Kind.PERCENTAGE


def test_edit_measure(world, client, measure):
    client.force_login(world.lead)
    response = client.post(reverse("recovery:measure_edit", kwargs={"pk": measure.pk}), measure_data(target_value="90"))
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.target_value == 90


def test_add_percentage_point(world, client, measure):
    client.force_login(world.owner)
    url = reverse("recovery:point_add", kwargs={"pk": measure.pk})
    response = client.post(url, {"period_date": iso(TODAY), "numerator": "17", "denominator": "20", "note": "R-1042"})
    assert response.status_code == 302
    point = DataPoint.objects.get(measure=measure)
    assert (point.value, point.source, point.recorded_by) == (85.0, DataPoint.Source.MANUAL, world.owner)
    followed = client.get(response["Location"])
    assert "85%" in followed.content.decode()


def test_save_and_add_another_returns_to_the_form(world, client, measure):
    client.force_login(world.rm)
    url = reverse("recovery:point_add", kwargs={"pk": measure.pk})
    response = client.post(url, {"period_date": iso(TODAY), "numerator": "1", "denominator": "2", "save_another": ""})
    assert response["Location"] == url


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"numerator": "12", "denominator": "10"}, "numerator", "12 met the standard but only 10 were sampled"),
        ({"numerator": "-1", "denominator": "10"}, "numerator", "cannot be negative"),
        ({"numerator": "3", "denominator": "0"}, "denominator", "At least one item"),
        ({"numerator": "", "denominator": "10"}, "numerator", "how many sampled items met"),
        (
            {"numerator": "3", "denominator": "10", "period_date": iso(TODAY + datetime.timedelta(days=1))},
            "period_date",
            "future date",
        ),
    ],
)
def test_point_nonsense_is_refused_on_the_field_and_input_kept(world, client, measure, data, field, message):
    client.force_login(world.rm)
    posted = {"period_date": iso(TODAY), "note": "Week 3 sample", **data}
    response = client.post(reverse("recovery:point_add", kwargs={"pk": measure.pk}), posted)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    html = response.content.decode()
    assert 'value="Week 3 sample"' in html
    assert f'value="{posted["denominator"]}"' in html
    assert not DataPoint.objects.exists()


def test_count_point_uses_a_value_field_and_refuses_negatives(world, client, action):
    measure = MeasureFactory(action=action, kind="count", direction="lower", baseline_value=8, target_value=2, unit="")
    client.force_login(world.rm)
    url = reverse("recovery:point_add", kwargs={"pk": measure.pk})
    page = client.get(url)
    assert "numerator" not in page.context["form"].fields and "value" in page.context["form"].fields
    response = client.post(url, {"period_date": iso(TODAY), "value": "-2"})
    assert "cannot be negative" in response.context["form"].errors["value"][0]
    assert client.post(url, {"period_date": iso(TODAY), "value": "3"}).status_code == 302
    assert DataPoint.objects.get(measure=measure).value == 3


def test_correct_a_point(world, client, measure):
    point = DataPointFactory(measure=measure, numerator=5, denominator=10, period_date=TODAY)
    client.force_login(world.deputy)
    url = reverse("recovery:point_edit", kwargs={"pk": point.pk})
    page = client.get(url)
    assert 'value="5"' in page.content.decode()  # whole numbers shown as typed, not "5.0"
    posted = {"period_date": iso(TODAY), "numerator": "9", "denominator": "10", "note": "recount"}
    refused = client.post(url, posted)  # a changed value needs a reason
    assert "Say why the value is being corrected" in refused.context["form"].errors["reason"][0]
    assert refused.context["form"]["numerator"].value() == "9"  # what was typed is kept
    point.refresh_from_db()
    assert point.value == 50.0
    response = client.post(url, {**posted, "reason": "Four records were missed in the first count"})
    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.value, point.note, point.counts_text) == (90.0, "recount", "9 of 10")
    page = client.get(measure.get_absolute_url()).content.decode()
    assert "Four records were missed in the first count" in page  # the measure page's correction history
    assert "<del>5 of 10 (50%)</del>" in page and "<ins>9 of 10 (90%)</ins>" in page


def test_a_note_alone_is_changed_without_a_reason(world, client, measure):
    point = DataPointFactory(measure=measure, numerator=5, denominator=10, period_date=TODAY)
    client.force_login(world.rm)
    url = reverse("recovery:point_edit", kwargs={"pk": point.pk})
    response = client.post(url, {"period_date": iso(TODAY), "numerator": "5", "denominator": "10", "note": "R-12"})
    assert response.status_code == 302
    assert not point.corrections.exists()


def test_correction_refused_keeps_the_old_value(world, client, measure):
    point = DataPointFactory(measure=measure, numerator=5, denominator=10, period_date=TODAY)
    client.force_login(world.rm)
    response = client.post(
        reverse("recovery:point_edit", kwargs={"pk": point.pk}),
        {"period_date": iso(TODAY), "numerator": "11", "denominator": "10"},
    )
    assert "only 10 were sampled" in response.context["form"].errors["numerator"][0]
    point.refresh_from_db()
    assert point.value == 50.0


def test_audit_points_are_changed_in_the_audit_not_here(world, client, measure):
    point = DataPointFactory(measure=measure, source=DataPoint.Source.AUDIT, numerator=5, denominator=10)
    client.force_login(world.rm)
    url = reverse("recovery:point_edit", kwargs={"pk": point.pk})
    assert "amend the audit" in client.get(url).content.decode()
    response = client.post(url, {"period_date": iso(TODAY), "numerator": "9", "denominator": "10"})
    assert response.status_code == 409
    point.refresh_from_db()
    assert point.value == 50.0


@pytest.mark.parametrize("persona", ["viewer", "board", "ni"])
def test_roles_without_record_data_cannot_post_points(world, client, measure, persona):
    client.force_login(world.users[persona])
    response = client.post(
        reverse("recovery:point_add", kwargs={"pk": measure.pk}),
        {"period_date": iso(TODAY), "numerator": "1", "denominator": "2"},
    )
    assert response.status_code == 403
    assert not DataPoint.objects.exists()


def test_owner_cannot_post_a_measure(world, client, action):
    client.force_login(world.owner)
    response = client.post(reverse("recovery:measure_create", kwargs={"action_pk": action.pk}), measure_data())
    assert response.status_code == 403
    assert not OutcomeMeasure.objects.exists()


def test_measure_page_shows_chart_signals_and_accessible_table(world, client, measure):
    # 70-72% for seven weeks, then 20%: mean 67, mR-bar 62/7, limits about 43.4 to 90.6, so the
    # drop is a special cause - concern and the 95% target lies above the upper limit.
    for weeks_ago, met in zip(range(8, 0, -1), [35, 36, 35, 36, 35, 36, 35, 10], strict=True):
        DataPointFactory(
            measure=measure, period_date=TODAY - datetime.timedelta(weeks=weeks_ago), numerator=met, denominator=50
        )
    client.force_login(world.viewer)
    response = client.get(measure.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "Trial limits" in html  # the chart, labelled as trial limits
    assert "Special cause – concern" in html  # the variation badge and explanation
    assert "Consistently fails target" in html  # assurance: 95% is above the upper limit
    assert "lower, when higher is better" in html
    assert "<caption>Values for Concerns escalated on time, newest first</caption>" in html
    assert html.count('<th scope="row"') == 8
    # A read-only viewer gets no links to change anything.
    assert reverse("recovery:point_add", kwargs={"pk": measure.pk}) not in html
    assert "/points/" not in html


def test_measure_page_links_for_a_recorder(world, client, measure):
    point = DataPointFactory(measure=measure)
    audit_point = DataPointFactory(
        measure=measure, source=DataPoint.Source.AUDIT, period_date=TODAY - datetime.timedelta(days=7)
    )
    client.force_login(world.owner)
    html = client.get(measure.get_absolute_url()).content.decode()
    assert reverse("recovery:point_add", kwargs={"pk": measure.pk}) in html
    assert reverse("recovery:point_edit", kwargs={"pk": point.pk}) in html
    assert reverse("recovery:point_edit", kwargs={"pk": audit_point.pk}) not in html
    assert reverse("recovery:measure_edit", kwargs={"pk": measure.pk}) not in html  # owners do not edit plans


def test_empty_measure_page(world, client, measure):
    client.force_login(world.rm)
    html = client.get(measure.get_absolute_url()).content.decode()
    assert "No data points yet" in html and "No values recorded yet" in html


def test_other_services_points_are_not_found(world, client):
    other = DataPointFactory(
        measure=MeasureFactory(
            action=ActionFactory(theme=ThemeFactory(service=world.other_service, provider=world.other_provider))
        )
    )
    client.force_login(world.quality)
    assert client.get(reverse("recovery:point_edit", kwargs={"pk": other.pk})).status_code == 404
    assert client.get(reverse("recovery:point_edit", kwargs={"pk": 999999})).status_code == 404
