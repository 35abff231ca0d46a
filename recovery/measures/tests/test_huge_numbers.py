"""Numbers too large to mean anything are refused on the form, with what was typed kept.

A 400-digit count cannot be turned into a float (500 on save), and ``1e308`` is a float but
makes the chart's limits infinite (500 on the measure page for everyone afterwards).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.models import DataPoint, OutcomeMeasure
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HUGE = "9" * 400


@pytest.fixture
def action(world):
    return ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider), owner=world.owner)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"numerator": HUGE, "denominator": "9" * 401}, "numerator"),
        ({"numerator": "5", "denominator": HUGE}, "denominator"),
        ({"numerator": "1e308", "denominator": "10"}, "numerator"),
    ],
)
def test_a_huge_sample_count_is_refused_on_its_field(world, client, action, data, field):
    measure = MeasureFactory(action=action)
    client.force_login(world.rm)
    posted = {"period_date": TODAY.isoformat(), "note": "Week 3 sample", **data}
    response = client.post(reverse("recovery:point_add", kwargs={"pk": measure.pk}), posted)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    html = response.content.decode()
    assert 'value="Week 3 sample"' in html
    assert not DataPoint.objects.exists()


@pytest.mark.parametrize("typed", ["1e308", "-1e308", HUGE, "inf", "nan"])
def test_a_huge_or_non_finite_value_is_refused_and_the_measure_page_still_draws(world, client, action, typed):
    measure = MeasureFactory(action=action, kind="count", direction="lower", baseline_value=8, target_value=2, unit="")
    client.force_login(world.rm)
    url = reverse("recovery:point_add", kwargs={"pk": measure.pk})
    response = client.post(url, {"period_date": TODAY.isoformat(), "value": typed, "note": "typed note"})
    assert response.status_code == 200
    assert response.context["form"].errors["value"]
    assert 'value="typed note"' in response.content.decode()
    assert not DataPoint.objects.exists()
    last_week = TODAY - datetime.timedelta(days=7)
    assert client.post(url, {"period_date": last_week.isoformat(), "value": "3"}).status_code == 302
    assert client.get(measure.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("name", ["baseline_value", "target_value"])
@pytest.mark.parametrize("typed", ["1e308", HUGE])
def test_a_huge_baseline_or_target_is_refused(world, client, action, name, typed):
    client.force_login(world.rm)
    data = {
        "name": "Falls per month",
        "kind": "count",
        "direction": "higher" if name == "target_value" else "lower",
        "unit": "",
        "baseline_value": "8",
        "baseline_date": (TODAY - datetime.timedelta(days=30)).isoformat(),
        "target_value": "2" if name == "baseline_value" else "9",
        "target_date": (TODAY + datetime.timedelta(days=40)).isoformat(),
        "sustain_periods": "4",
        "cadence": "weekly",
        "limits_from_first": "",
        name: typed,
    }
    response = client.post(reverse("recovery:measure_create", kwargs={"action_pk": action.pk}), data)
    assert response.status_code == 200
    assert response.context["form"].errors[name]
    assert 'value="Falls per month"' in response.content.decode()
    assert not OutcomeMeasure.objects.exists()
