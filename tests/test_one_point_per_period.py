"""A measure has one value per period: a second hand entry is refused (correct the first), an
identical repeat (a double click, a retry) adds nothing, and audit-fed points update their
period's point instead of adding another."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditDataPoint
from audits.services import feed_create
from audits.tests.factories import TemplateFactory, submitted_audit
from recovery.measures import services
from recovery.models import DataPoint
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = f"{TODAY.day} {TODAY:%b %Y}"


@pytest.fixture
def measure(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider), owner=world.owner)
    return MeasureFactory(action=action, name="Concerns escalated on time")


def _post(client, measure, **data):
    posted = {"period_date": TODAY.isoformat(), "numerator": "17", "denominator": "20", "note": "Week 3", **data}
    return client.post(reverse("recovery:point_add", kwargs={"pk": measure.pk}), posted)


def test_the_database_refuses_a_second_point_for_the_same_period(measure):
    DataPointFactory(measure=measure, period_date=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        DataPoint.objects.create(measure=measure, period_date=TODAY, value=50)


def test_a_double_click_adds_one_point(world, client, measure):
    client.force_login(world.rm)
    assert _post(client, measure).status_code == 302
    assert _post(client, measure).status_code == 302  # the same entry again: no error, no new row
    assert DataPoint.objects.filter(measure=measure).count() == 1


def test_a_second_different_value_for_the_period_is_refused_with_the_form_kept(world, client, measure):
    client.force_login(world.rm)
    _post(client, measure)
    response = _post(client, measure, numerator="12", note="Recount")
    assert response.status_code == 200
    message = response.context["form"].errors["period_date"][0]
    assert message == f"There is already a value for the week ending {DAY} (85); correct it instead."
    assert 'value="Recount"' in response.content.decode()
    assert DataPoint.objects.get(measure=measure).value == 85.0


def test_correcting_a_point_onto_another_points_period_is_refused(world, measure):
    DataPointFactory(measure=measure, period_date=TODAY)
    other = DataPointFactory(measure=measure, period_date=TODAY - datetime.timedelta(days=7))
    with pytest.raises(Exception) as refused:
        services.point_correct(
            actor=world.rm, point=other, reason="Typed in the wrong week", period_date=TODAY, numerator=1, denominator=2
        )
    assert "already a value for the week ending" in str(refused.value)


def test_an_audit_fed_measure_takes_no_hand_entries(world, client, measure):
    template = TemplateFactory(provider=world.provider, title="Escalation audit")
    template.services.add(world.service)
    feed_create(actor=world.quality, template=template, measure=measure)
    client.force_login(world.rm)
    response = _post(client, measure)
    assert response.status_code == 200
    assert "fed by the “Escalation audit” audit" in response.context["form"].errors["period_date"][0]
    assert not DataPoint.objects.filter(measure=measure).exists()


def test_a_hand_entry_for_a_period_an_audit_gave_is_refused(world, measure):
    DataPointFactory(measure=measure, period_date=TODAY, source=DataPoint.Source.AUDIT)
    with pytest.raises(Exception) as refused:
        services.point_record(actor=world.rm, measure=measure, period_date=TODAY, numerator=1, denominator=2)
    assert "comes from an audit" in str(refused.value)


def test_an_audit_point_takes_over_its_periods_hand_entry_instead_of_adding_one(world, measure):
    template = TemplateFactory(provider=world.provider)
    template.services.add(world.service)
    start = TODAY - datetime.timedelta(days=TODAY.weekday() + 7)  # last week: its Sunday has passed
    period_date = start + datetime.timedelta(days=6)
    DataPointFactory(measure=measure, period_date=period_date, numerator=1, denominator=2)
    audit = submitted_audit(
        service=world.service, auditor=world.rm, template=template, period_start=start, period_end=period_date
    )
    feed_create(actor=world.quality, template=template, measure=measure)  # the backfill feeds the audit
    point = DataPoint.objects.get(measure=measure)
    assert point.source == DataPoint.Source.AUDIT and point.value == 100.0
    assert "replaced a hand-entered 50" in point.note
    assert AuditDataPoint.objects.get(audit=audit).data_point == point
