"""The stored summary of a measure (OutcomeMeasure.summary_*): refreshed by every write, shown by lists.

The dashboard, the recovery map and the provider dashboard read the snapshot instead of
summarising every point per request, so these check that each path that writes points or
changes a measure leaves it equal to a live summary of the points.
"""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.tests.factories import TemplateFactory, submitted_audit
from recovery.measures.measuring import MeasureSnapshot, snapshot_values
from recovery.measures.selectors import measure_summary
from recovery.measures.services import measure_refresh_summaries, measure_update, point_correct, point_record
from recovery.measures.spc import CONCERN
from recovery.models import DataPoint, OutcomeMeasure, RecoveryAction
from recovery.overview.dashboard import service_dashboard
from recovery.overview.selectors import recovery_map
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _measure(world, **fields) -> OutcomeMeasure:
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, provider=world.provider),
        service=world.service,
        provider=world.provider,
        owner=world.owner,
        status=RecoveryAction.Status.IN_PROGRESS,
        started_on=TODAY - datetime.timedelta(days=200),
    )
    fields.setdefault("baseline_date", TODAY - datetime.timedelta(days=200))
    return MeasureFactory(action=action, **fields)


def _record(world, measure, weeks_ago: int, met: int, sampled: int = 10) -> DataPoint:
    return point_record(
        actor=world.rm,
        measure=measure,
        period_date=TODAY - datetime.timedelta(weeks=weeks_ago),
        numerator=met,
        denominator=sampled,
    )


def _stored(measure: OutcomeMeasure) -> dict:
    fresh = OutcomeMeasure.objects.get(pk=measure.pk)
    return {name: getattr(fresh, name) for name in _live(measure)}


def _live(measure: OutcomeMeasure) -> dict:
    fresh = OutcomeMeasure.objects.get(pk=measure.pk)
    values = snapshot_values(measure_summary(fresh), now=timezone.now())
    values.pop("summary_updated_at")
    return values


def _steady_then_drop(world, measure) -> None:
    """Fourteen steady weeks at 80-90%, then a fall to 20%: a special-cause concern."""
    for w, met in enumerate([8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9]):
        _record(world, measure, 15 - w, met)
    _record(world, measure, 1, 2)


def test_a_new_measure_has_a_no_data_snapshot(world):
    measure = _measure(world)
    measure.refresh_from_db()
    assert measure.summary_state == OutcomeMeasure.State.NO_DATA
    assert measure.summary_point_count == 0 and measure.summary_latest_date is None
    assert measure.summary_values == [] and measure.summary_updated_at is not None
    assert "No data" in MeasureSnapshot(measure).sparkline_svg()


def test_point_record_refreshes_the_snapshot(world):
    measure = _measure(world)
    _record(world, measure, 2, 9)
    assert _stored(measure) == _live(measure)
    measure.refresh_from_db()
    assert measure.summary_point_count == 1 and measure.summary_latest_value == 90.0
    assert not measure.summary_recent_concern

    _steady_then_drop(world, measure)
    measure.refresh_from_db()
    assert _stored(measure) == _live(measure)
    assert measure.summary_variation == CONCERN and measure.summary_recent_concern
    assert measure.summary_state == OutcomeMeasure.State.OFF_TRACK
    # 15: week 2 was recorded first with the same value, and an identical repeat adds nothing.
    assert measure.summary_latest_value == 20.0 and measure.summary_point_count == 15


def test_point_correct_refreshes_the_snapshot(world):
    measure = _measure(world)
    _steady_then_drop(world, measure)
    last = DataPoint.objects.filter(measure=measure).order_by("-period_date").first()
    point_correct(
        actor=world.rm, point=last, reason="Recounted", period_date=last.period_date, numerator=10, denominator=10
    )
    measure.refresh_from_db()
    assert _stored(measure) == _live(measure)
    assert measure.summary_latest_value == 100.0 and not measure.summary_recent_concern
    assert measure.summary_state == OutcomeMeasure.State.TARGET_MET


def test_measure_update_refreshes_the_snapshot(world):
    measure = _measure(world)
    _record(world, measure, 1, 9)  # 90% against a target of 95%
    measure.refresh_from_db()
    assert measure.summary_state != OutcomeMeasure.State.TARGET_MET
    measure_update(actor=world.rm, measure=measure, target_value=85.0)
    measure.refresh_from_db()
    assert measure.summary_state == OutcomeMeasure.State.TARGET_MET
    assert _stored(measure) == _live(measure)


def test_submitting_and_amending_an_audit_refreshes_the_fed_measure(world):
    template = TemplateFactory(provider=world.provider, criteria=2)
    measure = _measure(world)
    audit_services.feed_create(actor=world.rm, template=template, measure=measure, criterion_keys=[])
    original = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": "yes", "c2": "yes"}, {"c1": "yes", "c2": "no"}],
    )
    measure.refresh_from_db()
    assert measure.summary_point_count == 1 and measure.summary_latest_value == 75.0
    assert _stored(measure) == _live(measure)

    amendment = audit_services.audit_amend(actor=world.rm, audit=original, reason="Wrong week for one record")
    refs = [r.record_ref for r in amendment.records.all()]
    audit_services.audit_save_draft(
        actor=world.rm,
        audit=amendment,
        findings="Both records complete after all.",
        records=[
            audit_services.RecordInput(ref=refs[0], answers={"c1": "yes", "c2": "yes"}),
            audit_services.RecordInput(ref=refs[1], answers={"c1": "yes", "c2": "yes"}),
        ],
    )
    audit_services.audit_submit(actor=world.rm, audit=amendment)
    measure.refresh_from_db()
    assert measure.summary_point_count == 1 and measure.summary_latest_value == 100.0
    assert _stored(measure) == _live(measure)


def test_dashboard_and_map_show_a_concern_once_the_points_arrive(world, client):
    measure = _measure(world, name="Escalated within the hour")
    dashboard = service_dashboard(world.rm, world.service, today=TODAY)
    assert measure.pk not in [s.measure.pk for s in dashboard.attention]

    _steady_then_drop(world, measure)
    dashboard = service_dashboard(world.rm, world.service, today=TODAY)
    [shown] = [s for s in dashboard.attention if s.measure.pk == measure.pk]
    assert isinstance(shown, MeasureSnapshot) and shown.recent_concern and shown.latest.value == 20.0
    assert shown.badge()["key"] == CONCERN

    client.force_login(world.rm)
    page = client.get(reverse("core:service_detail", kwargs={"service": world.service.slug})).content.decode()
    assert "Escalated within the hour" in page and "Special cause – concern" in page
    # On the map, the theme's rows (loaded after the page, as a fragment).
    theme = measure.action.theme_id
    kwargs = {"service": world.service.slug, "theme": theme}
    rows = client.get(reverse("recovery:map_theme_rows", kwargs=kwargs), headers={"HX-Request": "true"})
    assert "Special cause – concern" in rows.content.decode() and "latest 20%" in rows.content.decode()

    rows = [r for t in recovery_map(world.rm, provider=world.provider, service=world.service).themes for r in t.actions]
    [row] = [r for r in rows if r.action.pk == measure.action_id]
    assert row.measures[0].variation == CONCERN and row.measures[0].point_count == 15


def test_staleness_is_worked_out_from_the_stored_latest_date_at_read_time(world):
    measure = _measure(world)  # weekly: stale after 7 + 7 days without data
    _record(world, measure, 3, 9)
    measure.refresh_from_db()
    assert MeasureSnapshot(measure, today=TODAY).stale is True
    assert MeasureSnapshot(measure, today=TODAY - datetime.timedelta(days=10)).stale is False


def test_bulk_refresh_and_the_command_fill_snapshots_of_points_written_directly(world):
    measure = _measure(world)
    DataPoint.objects.bulk_create(
        DataPoint(
            measure=measure, period_date=TODAY - datetime.timedelta(weeks=w), numerator=9, denominator=10, value=90
        )
        for w in range(1, 5)
    )
    measure.refresh_from_db()
    assert measure.summary_point_count == 0  # nothing told the snapshot
    assert measure_refresh_summaries(OutcomeMeasure.objects.filter(pk=measure.pk)) == 1
    assert _stored(measure) == _live(measure)

    OutcomeMeasure.objects.filter(pk=measure.pk).update(summary_point_count=0, summary_state="no_data")
    call_command("refresh_measure_summaries", provider=world.provider.slug, stdout=open("/dev/null", "w"))
    assert _stored(measure) == _live(measure)


def test_a_snapshot_draws_the_same_sparkline_as_the_points(world):
    measure = _measure(world, name="Escalated <on time>")
    _steady_then_drop(world, measure)
    stored = OutcomeMeasure.objects.get(pk=measure.pk)
    assert stored.summary_values == [p.value for p in DataPoint.objects.filter(measure=measure).order_by("period_date")]
    assert MeasureSnapshot(stored).sparkline_svg() == measure_summary(stored).sparkline_svg()


def test_no_measure_column_stores_markup(world):
    """The stored summary is numbers and keys; lists draw the sparkline when they are shown."""
    measure = _measure(world, name="Repeat falls")
    _steady_then_drop(world, measure)
    row = OutcomeMeasure.objects.filter(pk=measure.pk).values().get()
    text_columns = {
        f.attname
        for f in OutcomeMeasure._meta.concrete_fields
        if f.get_internal_type() in ("TextField", "CharField", "JSONField")
    }
    assert text_columns >= {"summary_state", "summary_variation", "summary_values"}
    for name in text_columns:
        assert "<svg" not in str(row[name]) and "<" not in str(row[name]), name
    assert all(isinstance(v, float) for v in row["summary_values"])
