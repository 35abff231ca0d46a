"""Correcting a recorded value through the API: a reason is required, as on the measure page,
and the correction joins the point's history."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.models import DataPoint, PointCorrection
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def _point(service, **fields) -> DataPoint:
    measure = MeasureFactory(action=ActionFactory(theme=ThemeFactory(service=service, provider=service.provider)))
    return DataPointFactory(measure=measure, period_date=YESTERDAY, numerator=18, denominator=20, **fields)


def url(point) -> str:
    return reverse("api_v1:point-corrections", kwargs={"pk": point.pk})


def test_a_correction_needs_a_reason_and_joins_the_history(world, api_as):
    point = _point(world.service)
    api = api_as(world.lead)
    refused = api.post(url(point), {"numerator": 19, "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.json()
    point.refresh_from_db()
    assert point.value == 90.0

    response = api.post(url(point), {"numerator": 19, "reason": "R-7 was met; typed as a miss"})
    assert response.status_code == 200, response.json()
    assert (response.json()["numerator"], response.json()["value"]) == (19, 95.0)
    (correction,) = PointCorrection.objects.all()
    assert (correction.via, correction.corrected_by, correction.new_text) == ("api", world.lead, "19 of 20 (95%)")


def test_an_audit_value_and_another_providers_point_are_refused(world, api_as):
    fed = _point(world.service, source=DataPoint.Source.AUDIT)
    api = api_as(world.lead)
    response = api.post(url(fed), {"numerator": 19, "reason": "Recount"})
    assert response.status_code == 400 and "amend the audit" in str(response.json())
    foreign = _point(world.other_service)
    assert api.post(url(foreign), {"numerator": 19, "reason": "Recount"}).status_code == 404
