"""API reads are recorded in "who looked at what" as page views are (``core.access``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.tests.conftest import ApiClient
from core.models import AccessKind, AccessRecord
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def _action(service):
    return ActionFactory(theme=ThemeFactory(service=service, provider=service.provider))


def test_reading_one_action_records_that_action(world, api_as):
    action = _action(world.service)
    api = api_as(world.rm, "read")
    assert api.get(reverse("api_v1:action-detail", args=[action.pk])).status_code == 200
    record = AccessRecord.objects.get()
    assert (record.kind, record.user, record.object_type, record.object_id) == (
        AccessKind.API,
        world.rm,
        "recovery.recoveryaction",
        action.pk,
    )
    assert record.provider_id == world.provider.pk and record.service_id == world.service.pk
    assert record.label == "API: one of recovery actions"


def test_a_list_is_recorded_once_per_provider_it_showed(world, api_as):
    _action(world.service)
    _action(world.sibling)
    api = api_as(world.ni, "read")
    assert api.get(reverse("api_v1:action-list")).status_code == 200
    record = AccessRecord.objects.get()
    assert record.object_type == "core.provider" and record.object_id == world.provider.pk
    assert record.label == "API: recovery actions" and record.path.startswith("/api/v1/actions/")


def test_a_measures_points_are_recorded_as_the_measure(world, api_as):
    measure = MeasureFactory(action=_action(world.service))
    api = api_as(world.rm, "read")
    assert api.get(reverse("api_v1:measure-points", args=[measure.pk])).status_code == 200
    assert api.get(reverse("api_v1:measure-detail", args=[measure.pk])).status_code == 200
    assert (
        list(AccessRecord.objects.values_list("object_type", "object_id"))
        == [("recovery.outcomemeasure", measure.pk)] * 2
    )


def test_refused_and_missing_reads_are_not_recorded(world, api_as):
    foreign = _action(world.other_service)
    api = api_as(world.rm, "read")
    assert api.get(reverse("api_v1:action-detail", args=[foreign.pk])).status_code == 404
    assert ApiClient("nonsense").get(reverse("api_v1:action-list")).status_code == 401
    assert not AccessRecord.objects.exists()
