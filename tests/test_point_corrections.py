"""Every correction of a data point needs a reason, by any path, and shows on the measure page.

The measure page's form, the admin and an amended audit all go through ``point_correct``; the
stored counts change with the value, so "18 of 20" always describes the value shown.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.services import audit_amend, audit_save_draft, audit_submit, feed_create
from audits.services.audit import RecordInput
from audits.tests.factories import TemplateFactory, submitted_audit
from recovery.models import DataPoint, PointCorrection
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONDAY = TODAY - datetime.timedelta(days=TODAY.weekday() + 7)


@pytest.fixture
def measure(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider), owner=world.owner)
    return MeasureFactory(action=action, name="Audits that challenge")


def _admin_post(admin_client, point, **changes):
    data = {
        "period_date": point.period_date.isoformat(),
        "numerator": "" if point.numerator is None else f"{point.numerator:g}",
        "denominator": "" if point.denominator is None else f"{point.denominator:g}",
        "value": f"{point.value:g}",
        "note": point.note,
        "reason": "",
        **changes,
    }
    return admin_client.post(reverse("admin:recovery_datapoint_change", args=[point.pk]), data)


def test_an_admin_edit_without_a_reason_is_refused(admin_client, measure):
    point = DataPointFactory(
        measure=measure, numerator=18, denominator=20, period_date=TODAY, source=DataPoint.Source.AUDIT
    )
    response = _admin_post(admin_client, point, numerator="19")
    assert response.status_code == 200
    assert "Say why the value is being corrected" in response.content.decode()
    point.refresh_from_db()
    assert (point.numerator, point.value) == (18, 90.0)
    assert not PointCorrection.objects.exists()


def test_an_admin_cannot_type_a_percentage_that_disagrees_with_its_counts(admin_client, measure):
    point = DataPointFactory(measure=measure, numerator=18, denominator=20, period_date=TODAY)
    response = _admin_post(admin_client, point, value="95", reason="Recount")
    assert "correct the counts instead" in response.content.decode()
    point.refresh_from_db()
    assert point.value == 90.0


def test_an_admin_correction_with_a_reason_updates_counts_and_shows_in_the_history(
    world, admin_client, client, measure
):
    point = DataPointFactory(
        measure=measure, numerator=18, denominator=20, period_date=TODAY, source=DataPoint.Source.AUDIT
    )
    response = _admin_post(admin_client, point, numerator="19", reason="R-2231 was counted as a miss in error")
    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.numerator, point.denominator, point.value, point.counts_text) == (19, 20, 95.0, "19 of 20")
    (correction,) = PointCorrection.objects.all()
    assert (correction.old_text, correction.new_text, correction.via) == ("18 of 20 (90%)", "19 of 20 (95%)", "admin")
    measure.refresh_from_db()
    assert measure.summary_latest_value == 95.0  # the stored summary follows

    client.force_login(world.viewer)
    page = client.get(measure.get_absolute_url()).content.decode()
    assert "R-2231 was counted as a miss in error" in page and "Support (admin)" in page
    assert "18 of 20 answers" not in page  # no stale count left in a note


def test_points_are_not_added_or_deleted_in_the_admin(admin_client, measure):
    point = DataPointFactory(measure=measure)
    assert admin_client.get(reverse("admin:recovery_datapoint_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:recovery_datapoint_delete", args=[point.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert DataPoint.objects.filter(pk=point.pk).exists()


def test_the_history_shows_every_correction_by_every_path(world, client, measure):
    template = TemplateFactory(provider=world.provider, criteria=1)
    template.services.add(world.service)
    feed_create(actor=world.quality, template=template, measure=measure)
    audit = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": "yes"}, {"c1": "yes"}],
        period_start=LAST_MONDAY,
        period_end=LAST_MONDAY + datetime.timedelta(days=6),
    )
    amendment = audit_amend(actor=world.rm, audit=audit, reason="R-1 was answered for the wrong week")
    refs = [r.record_ref for r in amendment.records.all()]
    audit_save_draft(
        actor=world.rm,
        audit=amendment,
        findings="R-1 missed.",
        records=[RecordInput(ref=refs[0], answers={"c1": "no"}), RecordInput(ref=refs[1], answers={"c1": "yes"})],
    )
    audit_submit(actor=world.rm, audit=amendment)
    point = DataPoint.objects.get(measure=measure)
    assert point.period_date == audit.period_end  # the audit's own week
    hand = DataPointFactory(
        measure=measure, numerator=4, denominator=10, period_date=LAST_MONDAY - datetime.timedelta(days=1)
    )
    client.force_login(world.rm)
    client.post(
        reverse("recovery:point_edit", kwargs={"pk": hand.pk}),
        {
            "period_date": hand.period_date.isoformat(),
            "numerator": "6",
            "denominator": "10",
            "reason": "Two records were filed late",
        },
    )
    page = client.get(measure.get_absolute_url()).content.decode()
    assert "Audit amended: R-1 was answered for the wrong week" in page
    assert "Two records were filed late" in page
    assert PointCorrection.objects.filter(measure=measure).count() == 2
    assert "Amended audit" in page and "Measure page" in page


def test_an_audit_for_a_week_not_yet_over_is_dated_by_its_last_day(world, client, measure):
    template = TemplateFactory(provider=world.provider, criteria=1)
    template.services.add(world.service)
    feed_create(actor=world.quality, template=template, measure=measure)
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    audit = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        period_start=monday,
        period_end=monday + datetime.timedelta(days=6),
    )
    point = DataPoint.objects.get(measure=measure)
    assert point.period_date == audit.period_end  # never "period ending" the day it was submitted
    measure.refresh_from_db()
    assert measure.summary_latest_date == audit.period_end
    ending = f"{audit.period_end.day} {audit.period_end:%b %Y}"
    client.force_login(world.viewer)
    page = client.get(measure.get_absolute_url()).content.decode()
    assert f"for the period ending {ending}" in page  # the page, its table and its chart: one date
    audit_page = client.get(audit.get_absolute_url()).content.decode()
    assert f"for {ending}" in audit_page  # the audit's page names the same period


def _count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_measure_page_reads_its_history_in_a_fixed_number_of_queries(world, client, measure):
    from recovery.measures.services import point_correct

    def add(weeks: int) -> None:
        already = measure.points.count()
        for w in range(weeks):
            point = DataPointFactory(measure=measure, period_date=TODAY - datetime.timedelta(weeks=already + w + 1))
            point_correct(actor=world.rm, point=point, reason=f"Recount {w}", numerator=3, denominator=10)

    client.force_login(world.rm)
    url = measure.get_absolute_url()
    add(2)
    small = _count_queries(client, url)
    add(18)
    assert _count_queries(client, url) == small
    assert PointCorrection.objects.filter(measure=measure).count() == 20
