"""Audit answers are never lost, implausible input is questioned, criteria can be numbers or
times, and effectiveness feeds are backfilled (issue 11, point 4 and part of 5)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audits import compliance as comp
from audits import services
from audits.models import AuditRecord, AuditTemplate, Criterion, MeasureFeed
from audits.selectors import answers_table, audits_for_export, standard_lines
from audits.services import CriterionInput, RecordInput
from audits.services.feeds import feed_backfill
from core.record_refs import validate_record_ref
from recovery.models import DataPoint
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

from .factories import AuditFactory, TemplateFactory, formset_data, grid_data, submitted_audit

FOUR_HOURS = 240


def _escalation_template(world, **kwargs):
    return services.template_create(
        actor=world.quality,
        provider=world.provider,
        title="Escalation record sample",
        area=AuditTemplate.Area.DETERIORATION,
        default_sample_size=kwargs.pop("sample", 4),
        criteria=[
            CriterionInput(text="Change written in the notes"),
            CriterionInput(text="Escalated within 4 hours", kind=Criterion.Kind.TIME, limit_minutes=FOUR_HOURS),
            CriterionInput(
                text="Observations taken",
                kind=Criterion.Kind.NUMBER,
                min_value=0,
                max_value=24,
                pass_rule=Criterion.PassRule.AT_LEAST,
                pass_value=4,
                unit="sets",
            ),
        ],
    )


def _keys(template):
    return [c.key for c in template.current_version().criteria.all()]


def _measure(world):
    return MeasureFactory(
        action=ActionFactory(
            theme=ThemeFactory(service=world.service, provider=world.provider),
            service=world.service,
            provider=world.provider,
        )
    )


# --- the record reference rule, on the model ----------------------------------------------


def test_the_record_reference_rule_is_on_the_model_field(world):
    assert validate_record_ref in AuditRecord._meta.get_field("record_ref").validators
    audit = AuditFactory(service=world.service, auditor=world.rm)
    with pytest.raises(ValidationError) as e:
        AuditRecord(audit=audit, record_ref="Mrs Smith", answers={}).full_clean()
    assert "record_ref" in e.value.message_dict


# --- criteria that are a number or a time -------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("3:20", 200), ("3h 20m", 200), ("4 hours", 240), ("200 min", 200), ("14:05-17:30", 205), ("23:00 to 01:30", 150)],
)
def test_a_time_is_typed_as_the_time_taken_or_two_clock_times(typed, minutes):
    assert comp.parse_minutes(typed) == minutes


def test_a_time_meets_the_standard_within_its_limit_and_a_number_by_its_pass_rule():
    time = comp.Rule(kind=comp.TIME, limit_minutes=FOUR_HOURS)
    assert [time.outcome(v) for v in ("240", "241", "na", "")] == ["yes", "no", "na", ""]
    assert time.parse("later") == ("", comp.TIME_HELP) and time.display("245") == "4 h 5 min"
    number = comp.Rule(kind=comp.NUMBER, min_value=0, max_value=24, pass_rule=comp.AT_LEAST, pass_value=4)
    assert [number.outcome(v) for v in ("4", "3.5", "na")] == ["yes", "no", "na"]
    assert number.parse("30") == ("", "Enter a number from 0 to 24.")
    assert comp.Rule(kind=comp.NUMBER).outcome("7") == "na"  # recorded, not counted


def test_compliance_feeds_and_effectiveness_count_times_and_numbers(world):
    template = _escalation_template(world)
    notes, timed, obs = _keys(template)
    measure = _measure(world)
    services.feed_create(actor=world.quality, template=template, measure=measure, criterion_keys=[timed])
    audit = services.audit_start(actor=world.rm, template=template, service=world.service)
    services.audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=[
            RecordInput(ref="R-1", answers={notes: "yes", timed: "90", obs: "6"}),
            RecordInput(ref="R-2", answers={notes: "yes", timed: "300", obs: "2"}),
            RecordInput(ref="R-3", answers={notes: "yes", timed: "na", obs: "4"}),
        ],
        findings="R-2 escalated after five hours.",
    )
    audit = services.audit_submit(actor=world.rm, audit=audit)
    # 3 yes + (1 within, 1 over, 1 n/a) + (2 met, 1 not): 6 yes of 8 counted.
    assert audit.compliance == 75.0
    point = DataPoint.objects.get(measure=measure)
    assert (point.numerator, point.denominator) == (1, 2)  # the time criterion only
    assert audit.is_effective is False and "no_actions" in audit.effectiveness_gaps  # a missed time is a gap
    assert "Escalated within 4 hours (within 4 h): 1 of 2 met the standard." in audit.evidence_item.description
    # The pack's audit section and the export say it in words.
    lines = standard_lines(audit.template_version.criteria.all(), audit.records.all())
    assert lines == [
        "Escalated within 4 hours (within 4 h): 1 of 2 met the standard; longest 5 h",
        "Observations taken (at least 4 sets): 2 of 3 met the standard",
    ]
    rows = [r for r in answers_table(audits_for_export(world.service)).rows if r[5].startswith("Escalated")]
    assert [(r[3], r[6], r[7]) for r in rows] == [
        ("R-1", "1 h 30 min", "Yes"),
        ("R-2", "5 h", "No"),
        ("R-3", "N/A", "Not counted"),
    ]


def test_submitting_needs_every_typed_criterion_answered(world):
    template = _escalation_template(world)
    notes, timed, obs = _keys(template)
    audit = services.audit_start(actor=world.rm, template=template, service=world.service)
    services.audit_save_draft(actor=world.rm, audit=audit, records=[RecordInput(ref="R-1", answers={notes: "yes"})])
    with pytest.raises(ValidationError) as e:
        services.audit_submit(actor=world.rm, audit=audit)
    assert "answer every criterion (2 left)" in e.value.message_dict["records"][0]


def test_the_grid_takes_typed_times_and_numbers_and_leaves_out_a_bad_one(world, client):
    template = _escalation_template(world)
    notes, timed, obs = _keys(template)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    client.force_login(world.rm)
    page = client.get(reverse("audits:audit_edit", args=[audit.pk])).content.decode()
    assert f'name="records-0-a_{timed}"' in page and 'data-kind="time"' in page and 'data-limit="240"' in page
    data = {
        **formset_data(
            "records",
            [
                {"ref": "R-1", f"a_{notes}": "yes", f"a_{timed}": "14:05-17:30", f"a_{obs}": "5"},
                {"ref": "R-2", f"a_{timed}": "later", f"a_{obs}": "n/a"},
            ],
        ),
        **formset_data("actions", []),
    }
    response = client.post(reverse("audits:audit_autosave", args=[audit.pk]), data)
    assert response.status_code == 200 and response["Audit-Not-Saved"] == "1"
    text = response.content.decode()
    assert text.startswith("Saved 4 answers at ") and "not saved: answer to C2 in row 2 — Type the time taken" in text
    assert list(audit.records.values_list("answers", flat=True)) == [
        {notes: "yes", timed: "205", obs: "5"},
        {obs: "na"},
    ]
    page = client.get(reverse("audits:audit_edit", args=[audit.pk])).content.decode()
    assert f'name="records-0-a_{timed}" value="3:25"' in page  # shown again as h:mm


def test_the_template_editor_saves_a_time_criterion_and_a_changed_limit_is_a_new_version(world, client):
    client.force_login(world.quality)
    rows = [{"text": "Escalated within 4 hours", "kind": "time", "limit": "4h"}]
    data = {"title": "Escalation", "area": "deterioration", "frequency": "weekly", "default_sample_size": 5}
    response = client.post(
        reverse("audits:template_create", args=[world.provider.slug]), {**data, **formset_data("criteria", rows)}
    )
    assert response.status_code == 302
    template = AuditTemplate.objects.get(title="Escalation")
    c = template.current_version().criteria.get()
    assert (c.kind, c.limit_minutes, c.standard()) == ("time", 240, "within 4 h")
    page = client.get(reverse("audits:template_edit", args=[template.pk])).content.decode()
    assert 'value="4h"' in page
    submitted_audit(service=world.service, auditor=world.rm, template=template, answers=[{c.key: "100"}])
    rows = [{"key": c.key, "text": "Escalated within 4 hours", "kind": "time", "limit": "2h"}]
    client.post(reverse("audits:template_edit", args=[template.pk]), {**data, **formset_data("criteria", rows)})
    assert template.current_version().number == 2 and template.current_version().criteria.get().limit_minutes == 120
    # A time without a limit is refused, with the reason, everything typed kept.
    rows = [{"text": "Seen within the limit", "kind": "time"}]
    response = client.post(
        reverse("audits:template_create", args=[world.provider.slug]),
        {**data, "title": "Other", **formset_data("criteria", rows)},
    )
    assert response.status_code == 400 and "give the time limit" in response.content.decode()


# --- warnings -------------------------------------------------------------------------------


def test_implausible_input_is_questioned_not_refused(world, client):
    template = TemplateFactory(provider=world.provider, criteria=1, default_sample_size=10)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    client.force_login(world.rm)
    far = timezone.localdate() + datetime.timedelta(days=800)
    data = grid_data(
        ["c1"], [("R-1", ["no"], ""), ("r-1", ["yes"], "")], findings="Late", impact_check_date=far.isoformat()
    )
    text = client.post(reverse("audits:audit_autosave", args=[audit.pk]), data).content.decode()
    assert text.startswith("Saved 2 answers at ") and "Check: The impact check date" in text
    assert "more than a year ahead" in text and "The record reference R-1 is on rows 1, 2" in text
    assert "Only 2 of the 10" not in text  # the sample is still being typed
    audit.refresh_from_db()
    assert audit.impact_check_date == far  # saved as typed
    page = client.get(reverse("audits:audit_edit", args=[audit.pk])).content.decode()
    assert "Worth a second look" in page and "is on rows 1, 2" in page
    # Submitting goes ahead, and says what looks wrong, the short sample too.
    response = client.post(reverse("audits:audit_submit", args=[audit.pk]), data, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == audit.get_absolute_url()
    assert "Only 2 of the 10 records this audit samples were checked" in page
    assert "more than a year ahead" in page


# --- effectiveness feeds, backfilled -------------------------------------------------------


def test_an_effectiveness_feed_is_backfilled_from_past_audits_once(world):
    template = TemplateFactory(provider=world.provider, criteria=1)
    other = TemplateFactory(provider=world.provider, criteria=1)
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    for weeks, (answers, tmpl) in enumerate([([{"c1": "yes"}], template), ([{"c1": "no"}], other)], start=2):
        submitted_audit(
            service=world.service,
            auditor=world.rm,
            template=tmpl,
            answers=answers,
            findings="Gap" if answers[0]["c1"] == "no" else "Fine",
            period_start=monday - datetime.timedelta(weeks=weeks),
        )
    submitted_audit(  # a second audit in the first week, effective
        service=world.service, auditor=world.rm, template=other, period_start=monday - datetime.timedelta(weeks=2)
    )
    measure = _measure(world)
    services.feed_create(actor=world.quality, template=template, measure=measure, kind=MeasureFeed.Kind.EFFECTIVENESS)
    points = list(DataPoint.objects.filter(measure=measure).order_by("period_date"))
    assert [(p.numerator, p.denominator) for p in points] == [(0, 1), (2, 2)]
    assert all(p.source == DataPoint.Source.AUDIT for p in points)
    assert feed_backfill(actor=world.quality, feed=measure.feed) == 0  # idempotent
    assert DataPoint.objects.filter(measure=measure).count() == 2
    # The next audit of a backfilled period updates its point, never adds a second.
    submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": "yes"}],
        period_start=monday - datetime.timedelta(weeks=3),
    )
    points = list(DataPoint.objects.filter(measure=measure).order_by("period_date"))
    assert [(p.numerator, p.denominator) for p in points] == [(1, 2), (2, 2)]


def test_the_backfill_command_gives_older_effectiveness_feeds_their_points_once(world):
    from io import StringIO

    from django.core.management import call_command

    template = TemplateFactory(provider=world.provider, criteria=1)
    submitted_audit(service=world.service, auditor=world.rm, template=template)
    measure = _measure(world)
    # A feed set up before the backfill covered the share of effective audits: no points.
    MeasureFeed.objects.create(measure=measure, template=template, kind=MeasureFeed.Kind.EFFECTIVENESS)
    out = StringIO()
    call_command("backfill_audit_feeds", stdout=out)
    assert "1 point added" in out.getvalue()
    assert DataPoint.objects.filter(measure=measure).count() == 1
    call_command("backfill_audit_feeds", stdout=out)
    assert DataPoint.objects.filter(measure=measure).count() == 1
