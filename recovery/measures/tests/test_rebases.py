"""Rebasing a measure's chart: recorded with who and why, drawn as two segments, summarised from the last."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recovery.measures import rebases
from recovery.measures.selectors import measure_summary
from recovery.models import MeasureRebase, OutcomeMeasure, RecoveryAction
from recovery.tests.factories import DataPointFactory, MeasureFactory, in_progress_action

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
BEFORE = [12, 10, 12, 10, 12, 10]  # mean 11, limits 16.32 / 5.68
AFTER = [20, 22, 20, 22, 20, 22]  # mean 21, limits 26.32 / 15.68
WEEK = datetime.timedelta(days=7)


@pytest.fixture
def measure(world):
    action = in_progress_action(world.service, days_ago=6 * 7, owner=world.owner)
    m = MeasureFactory(
        action=action,
        kind=OutcomeMeasure.Kind.COUNT,
        unit="",
        baseline_value=11,
        target_value=18,
        baseline_date=TODAY - 20 * WEEK,
    )
    start = TODAY - 11 * WEEK
    for i, v in enumerate(BEFORE + AFTER):
        DataPointFactory(measure=m, period_date=start + i * WEEK, value=v, numerator=None, denominator=None)
    return m


def test_rebase_is_offered_at_the_action_start(measure):
    assert rebases.default_rebase_date(measure) == measure.action.started_on


def test_rebase_splits_the_chart_and_the_summary_describes_the_last_segment(world, measure):
    before = measure_summary(measure)
    assert not before.spc.rebased
    assert measure.summary_variation == "improvement"  # one set of limits: the later points look special
    start = before.points[len(BEFORE)].period_date

    rebase = rebases.measure_rebase_add(
        actor=world.rm, measure=measure, from_date=start, reason="New handover checklist on every shift"
    )

    assert (rebase.created_by, rebase.reason, rebase.live) == (world.rm, "New handover checklist on every shift", True)
    measure.refresh_from_db()
    assert measure.spc_rebase_dates == [start.isoformat()]
    summary = measure_summary(measure)
    first, second = summary.spc.segments
    assert (first.mean, second.mean) == (pytest.approx(11), pytest.approx(21))
    assert second.upper == pytest.approx(26.32)
    # The stored summary (lists, the map, flags) now reads the last segment.
    assert measure.summary_variation == "common_cause"
    assert measure.summary_assurance == "hit_and_miss"  # 18 sits inside the new limits (15.68 to 26.32)
    assert LogEntry.objects.get_for_object(rebase).filter(action=LogEntry.Action.CREATE).exists()


def test_removing_a_rebase_is_recorded_and_joins_the_segments(world, measure):
    start = measure_summary(measure).points[len(BEFORE)].period_date
    rebase = rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=start, reason="Checklist")
    rebases.measure_rebase_remove(actor=world.quality, rebase=rebase, reason="The checklist started a week later")

    rebase.refresh_from_db()
    assert not rebase.live
    assert (rebase.removed_by, rebase.removed_reason) == (world.quality, "The checklist started a week later")
    assert MeasureRebase.objects.filter(pk=rebase.pk).exists()  # never deleted
    measure.refresh_from_db()
    assert measure.spc_rebase_dates == []
    assert not measure_summary(measure).spc.rebased
    assert LogEntry.objects.get_for_object(rebase).filter(action=LogEntry.Action.UPDATE).exists()
    with pytest.raises(ValidationError, match="already been removed"):
        rebases.measure_rebase_remove(actor=world.quality, rebase=rebase, reason="Again")
    # The same date can be chosen again once the old one is removed.
    rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=start, reason="Checklist, really")


@pytest.mark.parametrize(
    ("when", "reason", "field", "message"),
    [
        (None, "x", "from_date", "Enter the date"),
        (TODAY + datetime.timedelta(days=1), "x", "from_date", "cannot start in the future"),
        (TODAY - 30 * WEEK, "x", "from_date", "already start from the first value"),
        (TODAY - 3 * WEEK, "  ", "reason", "Say what changed"),
        (TODAY - 3 * WEEK, "x" * 2001, "reason", "2,000 characters or fewer"),
    ],
)
def test_rebase_refuses_nonsense_on_the_field(world, measure, when, reason, field, message):
    with pytest.raises(ValidationError) as caught:
        rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=when, reason=reason)
    assert any(message in m for m in caught.value.message_dict[field])


def test_a_date_already_rebased_is_refused(world, measure):
    rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=TODAY - 3 * WEEK, reason="Checklist")
    with pytest.raises(ValidationError, match="already recalculated from this date"):
        rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=TODAY - 3 * WEEK, reason="Again")


def test_who_may_rebase(world, measure):
    with pytest.raises(PermissionDenied):
        rebases.measure_rebase_add(actor=world.owner, measure=measure, from_date=TODAY - 3 * WEEK, reason="x")
    measure.action.status = RecoveryAction.Status.CLOSURE_PROPOSED
    measure.action.save()
    with pytest.raises(ValidationError):
        rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=TODAY - 3 * WEEK, reason="x")


def test_measure_page_shows_the_form_the_rebases_and_the_two_segment_chart(world, client, measure):
    client.force_login(world.rm)
    url = measure.get_absolute_url()
    page = client.get(url).content.decode()
    assert "Recalculate the limits from a date" in page
    assert f'value="{measure.action.started_on.isoformat()}"' in page  # offered at the action's start

    start = measure_summary(measure).points[len(BEFORE)].period_date
    response = client.post(
        reverse("recovery:measure_rebase", kwargs={"pk": measure.pk}),
        {"from_date": start.isoformat(), "reason": "New handover checklist"},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "“New handover checklist”" in page and "Rm Persona" in page
    assert 'class="spc-rebase"' in page  # the marker on the chart
    assert "The limits are recalculated from" in page  # and in words

    rebase = MeasureRebase.objects.get(measure=measure)
    remove = reverse("recovery:rebase_remove", kwargs={"pk": rebase.pk})
    refused = client.post(remove, {"reason": ""})
    assert refused.status_code == 400
    client.post(remove, {"reason": "Started later"})
    page = client.get(url).content.decode()
    assert "Removed by Rm Persona" in page and "“Started later”" in page
    assert 'class="spc-rebase"' not in page


def test_rebase_form_errors_keep_what_was_typed(world, client, measure):
    client.force_login(world.rm)
    response = client.post(
        reverse("recovery:measure_rebase", kwargs={"pk": measure.pk}),
        {"from_date": (TODAY + datetime.timedelta(days=3)).isoformat(), "reason": "Typed reason"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot start in the future" in html and "Typed reason" in html


def test_pack_and_page_draw_the_same_rebased_svg(world, measure):
    # Packs call MeasureSummary.chart_svg, as the page does: one drawing, segments included.
    rebases.measure_rebase_add(actor=world.rm, measure=measure, from_date=TODAY - 5 * WEEK, reason="Checklist")
    measure.refresh_from_db()
    svg = measure_summary(measure).chart_svg(width=640, height=240)
    assert svg.count('class="spc-rebase"') == 1


def test_measure_page_queries_do_not_grow_with_rebases(world, client, measure):
    client.force_login(world.rm)
    counts = []
    for i in range(4):
        MeasureRebase.objects.create(
            measure=measure, from_date=TODAY - (2 + i) * WEEK, reason=f"Change {i}", created_by=world.rm
        )
        if i in (0, 3):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(measure.get_absolute_url()).status_code == 200
            counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
