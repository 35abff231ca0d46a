"""Templates (versioned), submitting, amending, measure feeds and effectiveness."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audits import services
from audits.models import Audit, AuditActionArising, AuditDataPoint, AuditTemplate, MeasureFeed
from audits.services import ArisingInput, CriterionInput, RecordInput
from evidence.models import EvidenceItem, SourceType
from recovery.models import DataPoint, RecoveryAction
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

from .factories import TemplateFactory, submitted_audit

YES, NO, NA = "yes", "no", "na"


def _template(world, n=3, **kwargs):
    return services.template_create(
        actor=world.quality,
        provider=world.provider,
        title=kwargs.pop("title", "Escalation record sample"),
        area=AuditTemplate.Area.DETERIORATION,
        criteria=[CriterionInput(text=f"Check {i}", guidance=f"Look for {i}") for i in range(1, n + 1)],
        **kwargs,
    )


def _keys(template):
    return [c.key for c in template.current_version().criteria.all()]


# --- templates ---------------------------------------------------------------------------


def test_only_a_quality_lead_manages_templates(world):
    with pytest.raises(PermissionDenied):
        services.template_create(
            actor=world.rm,
            provider=world.provider,
            title="X",
            area=AuditTemplate.Area.RECORDS,
            criteria=[CriterionInput(text="A")],
        )
    assert _template(world).current_version().number == 1


def test_template_needs_a_title_and_worded_criteria(world):
    with pytest.raises(ValidationError) as e:
        services.template_create(
            actor=world.quality,
            provider=world.provider,
            title=" ",
            area=AuditTemplate.Area.RECORDS,
            criteria=[CriterionInput(text="A"), CriterionInput(text="", guidance="only guidance")],
        )
    assert set(e.value.message_dict) == {"title", "criteria"}
    assert "criterion 2" in e.value.message_dict["criteria"][0]


def _update(world, template, criteria, **kwargs):
    return services.template_update(
        actor=world.quality,
        template=template,
        title=template.title,
        area=template.area,
        frequency=template.frequency,
        default_sample_size=template.default_sample_size,
        criteria=criteria,
        **kwargs,
    )


def test_editing_an_unused_template_changes_the_version_in_place(world):
    template = _template(world)
    keys = _keys(template)
    version = _update(world, template, [CriterionInput(text="Reworded", key=keys[0])])
    assert version.number == 1
    assert [(c.key, c.text) for c in version.criteria.all()] == [(keys[0], "Reworded")]


def test_editing_a_used_template_makes_v2_and_the_old_audit_keeps_v1(world, client):
    template = _template(world)
    keys = _keys(template)
    old = submitted_audit(service=world.service, auditor=world.rm, template=template)
    v2 = _update(
        world,
        template,
        [CriterionInput(text="Check 2", guidance="Look for 2", key=keys[1]), CriterionInput(text="A new check")],
        change_note="Dropped check 1",
    )
    assert v2.number == 2
    assert [c.key for c in v2.criteria.all()][0] == keys[1]  # the stable key survives
    old.refresh_from_db()
    assert old.template_version.number == 1
    assert [c.text for c in old.template_version.criteria.all()] == ["Check 1", "Check 2", "Check 3"]
    client.force_login(world.rm)
    page = client.get(old.get_absolute_url()).content.decode()
    assert "Check 1" in page and "A new check" not in page
    # Saving the same criteria again does not make v3.
    same = _update(
        world, template, [CriterionInput(text=c.text, guidance=c.guidance, key=c.key) for c in v2.criteria.all()]
    )
    assert same.pk == v2.pk


# --- logging and submitting ----------------------------------------------------------------


def _start(world, template=None, **kwargs):
    template = template or _template(world)
    return services.audit_start(actor=world.rm, template=template, service=world.service, **kwargs)


def _records(keys, rows):
    return [RecordInput(ref=f"R-{1040 + i}", answers=dict(zip(keys, r, strict=True))) for i, r in enumerate(rows)]


def test_start_defaults_to_this_week_and_reuses_the_draft(world):
    template = _template(world)
    audit = _start(world, template)
    today = timezone.localdate()
    assert audit.period_start <= today <= audit.period_end
    assert audit.period_start.weekday() == 0 and (audit.period_end - audit.period_start).days == 6
    assert _start(world, template).pk == audit.pk


def test_a_viewer_cannot_start_an_audit(world):
    with pytest.raises(PermissionDenied):
        services.audit_start(actor=world.viewer, template=_template(world), service=world.service)


def test_draft_save_leaves_out_a_name_as_record_reference_and_saves_the_rest(world):
    audit = _start(world)
    keys = _keys(audit.template_version.template)
    saved = services.audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=[
            RecordInput(ref="R-1", answers={keys[0]: YES}),
            RecordInput(ref="Mary Smith", answers={keys[0]: NO, keys[1]: YES}, comment="late"),
        ],
    )
    report = saved.save_report
    assert [str(n) for n in report.not_saved] == [
        "record reference in row 2 — “Mary Smith” reads as a person's name (two words that could be a first "
        "name and a surname). Records are referenced, never named: use the record's reference (R-1042), a room "
        "number or initials."
    ]
    assert report.answers == 3 and report.summary().startswith("Saved 3 answers; not saved: record reference in row 2")
    assert list(audit.records.values_list("record_ref", "answers", "comment")) == [
        ("R-1", {keys[0]: YES}, ""),
        ("", {keys[0]: NO, keys[1]: YES}, "late"),
    ]


def test_draft_save_updates_actions_arising_in_place_without_filling_the_audit_trail(world):
    from auditlog.models import LogEntry

    audit = _start(world)
    theme = ThemeFactory(service=world.service, provider=world.provider)
    first = [
        ArisingInput(description="Re-brief", owner=world.deputy, theme=theme),
        ArisingInput(description="Spot check"),
    ]
    services.audit_save_draft(actor=world.rm, audit=audit, records=[], actions=first)
    pks = list(audit.actions_arising.order_by("order").values_list("pk", flat=True))
    logged = LogEntry.objects.count()
    services.audit_save_draft(actor=world.rm, audit=audit, records=[], actions=first)  # an autosave, nothing changed
    changed = [ArisingInput(description="Re-brief the night team", owner=world.deputy, theme=theme)]
    services.audit_save_draft(actor=world.rm, audit=audit, records=[], actions=changed)
    assert list(audit.actions_arising.values_list("pk", "description")) == [(pks[0], "Re-brief the night team")]
    assert LogEntry.objects.count() == logged + 1  # only the removed action's deletion


def test_submit_needs_records_answers_and_findings_when_something_is_no(world):
    audit = _start(world)
    keys = _keys(audit.template_version.template)
    with pytest.raises(ValidationError) as e:
        services.audit_submit(actor=world.rm, audit=audit)
    assert "at least one" in e.value.message_dict["records"][0]

    services.audit_save_draft(actor=world.rm, audit=audit, records=[RecordInput(ref="R-1", answers={keys[0]: NO})])
    with pytest.raises(ValidationError) as e:
        services.audit_submit(actor=world.rm, audit=audit)
    assert "answer every criterion" in e.value.message_dict["records"][0]
    assert "findings" in e.value.message_dict

    services.audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=[RecordInput(ref="R-1", answers={keys[0]: NO, keys[1]: YES, keys[2]: NA})],
        findings="One record escalated late.",
    )
    audit = services.audit_submit(actor=world.rm, audit=audit)
    assert audit.status == Audit.Status.SUBMITTED and audit.is_locked
    assert audit.compliance == 50.0  # 1 yes of 2 yes/no; N/A left out
    with pytest.raises(ValidationError):
        services.audit_save_draft(actor=world.rm, audit=audit, records=[])


def test_submit_creates_evidence_and_raises_actions_and_steps(world):
    theme = ThemeFactory(service=world.service, provider=world.provider)
    existing = ActionFactory(theme=theme, service=world.service, provider=world.provider, owner=world.deputy)
    audit = _start(world)
    keys = _keys(audit.template_version.template)
    services.audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=_records(keys, [(NO, YES, YES)]),
        findings="Late escalation in R-1040.",
        impact_check_date=timezone.localdate() + datetime.timedelta(days=28),
        actions=[
            ArisingInput(
                description="Brief night staff on escalation",
                owner=world.deputy,
                due_date=timezone.localdate() + datetime.timedelta(days=7),
                theme=theme,
            ),
            ArisingInput(
                description="Spot-check handover notes",
                owner=world.lead,
                due_date=timezone.localdate() + datetime.timedelta(days=14),
                kind=AuditActionArising.Kind.STEP,
                action=existing,
            ),
        ],
    )
    audit = services.audit_submit(actor=world.rm, audit=audit)
    new_action, step_row = audit.actions_arising.order_by("order")
    assert new_action.action.theme == theme and new_action.action.owner == world.deputy
    assert new_action.action.status == RecoveryAction.Status.DRAFT
    assert step_row.step.action == existing and "Spot-check handover notes" in step_row.step.what
    assert audit.evidence_item.source_type == SourceType.AUDIT
    assert audit.evidence_item.service == world.service
    assert audit.is_effective is True and audit.effectiveness_gaps == []


def test_an_owner_without_access_to_the_service_is_left_out_and_the_action_kept(world):
    audit = _start(world)
    saved = services.audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=[],
        actions=[ArisingInput(description="x", owner=world.outsider)],
    )
    assert [str(n) for n in saved.save_report.not_saved] == [
        "owner of action 1 — the owner must have access to this service"
    ]
    assert list(audit.actions_arising.values_list("description", "owner")) == [("x", None)]


# --- effectiveness ---------------------------------------------------------------------------


def test_no_answers_without_findings_or_actions_is_not_effective(world):
    template = TemplateFactory(provider=world.provider, criteria=2)
    audit = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": NO, "c2": YES}],
        findings="Gap found in R-1.",
    )
    assert audit.is_effective is False
    assert audit.effectiveness_gap_labels() == [
        "Gaps found but no actions with owners",
        "Gaps found but no impact check date",
    ]
    clean = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": YES, "c2": NA}],
        period_start=audit.period_start - datetime.timedelta(days=7),
    )
    assert clean.is_effective is True


# --- amendments ------------------------------------------------------------------------------


def _fed_measure(world, template, keys=()):
    measure = MeasureFactory(
        action=ActionFactory(
            theme=ThemeFactory(service=world.service, provider=world.provider),
            service=world.service,
            provider=world.provider,
        )
    )
    services.feed_create(actor=world.rm, template=template, measure=measure, criterion_keys=list(keys))
    return measure


def test_submitting_adds_a_point_from_the_linked_criteria_only(world):
    template = TemplateFactory(provider=world.provider, criteria=3)
    measure = _fed_measure(world, template, keys=["c1", "c2"])
    audit = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        findings="Some gaps",
        answers=[{"c1": YES, "c2": NO, "c3": NO}, {"c1": YES, "c2": NA, "c3": NO}, {"c1": NO, "c2": YES, "c3": NO}],
    )
    point = DataPoint.objects.get(measure=measure)
    # c1: 2 yes 1 no; c2: 1 yes 1 no 1 n/a; c3 is not linked.
    assert (point.numerator, point.denominator, point.value) == (3, 5, 60.0)
    assert point.source == DataPoint.Source.AUDIT
    assert point.period_date == audit.period_end  # the audit's own week, even before it has ended
    assert AuditDataPoint.objects.get(measure=measure).audit == audit


def test_an_audit_does_not_feed_another_services_measure(world):
    template = TemplateFactory(provider=world.provider, criteria=2)
    measure = _fed_measure(world, template)
    submitted_audit(service=world.sibling, auditor=world.quality, template=template)
    assert not DataPoint.objects.filter(measure=measure).exists()


def test_amendment_needs_a_reason_keeps_both_and_updates_the_point(world, client):
    template = TemplateFactory(provider=world.provider, criteria=2)
    measure = _fed_measure(world, template)
    original = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": YES, "c2": YES}, {"c1": YES, "c2": YES}],
    )
    with pytest.raises(ValidationError) as e:
        services.audit_amend(actor=world.rm, audit=original, reason="  ")
    assert "reason" in e.value.message_dict

    amendment = services.audit_amend(actor=world.rm, audit=original, reason="R-1001 answered against the wrong week")
    assert amendment.status == Audit.Status.DRAFT and amendment.amends == original
    assert [r.record_ref for r in amendment.records.all()] == [r.record_ref for r in original.records.all()]
    original.refresh_from_db()
    assert original.status == Audit.Status.SUBMITTED  # still in force until the amendment is submitted

    refs = [r.record_ref for r in amendment.records.all()]
    services.audit_save_draft(
        actor=world.rm,
        audit=amendment,
        findings="R-1001 was late after all.",
        records=[
            RecordInput(ref=refs[0], answers={"c1": YES, "c2": YES}),
            RecordInput(ref=refs[1], answers={"c1": NO, "c2": YES}),
        ],
    )
    services.audit_submit(actor=world.rm, audit=amendment)
    original.refresh_from_db()
    amendment.refresh_from_db()
    assert original.status == Audit.Status.SUPERSEDED
    assert amendment.status == Audit.Status.SUBMITTED and amendment.compliance == 75.0

    point = DataPoint.objects.get(measure=measure)  # updated, not duplicated
    assert (point.numerator, point.denominator) == (3, 4)
    assert AuditDataPoint.objects.get(measure=measure).audit == amendment
    # The amendment is a correction of the point, with the amendment's reason.
    (correction,) = point.corrections.all()
    assert (correction.old_value, correction.new_value, correction.via) == (100.0, 75.0, "audit")
    assert correction.reason == "Audit amended: R-1001 answered against the wrong week"
    # Each version has its own evidence item; both stay.
    assert original.evidence_item and amendment.evidence_item and original.evidence_item != amendment.evidence_item
    assert EvidenceItem.objects.filter(source_type=SourceType.AUDIT).count() == 2
    client.force_login(world.viewer)
    assert client.get(original.get_absolute_url()).status_code == 200
    page = client.get(amendment.get_absolute_url()).content.decode()
    assert "wrong week" in page
    # Only the current version can be amended again.
    with pytest.raises(ValidationError):
        services.audit_amend(actor=world.rm, audit=original, reason="again")


def test_effectiveness_feed_is_one_point_per_period(world):
    template = TemplateFactory(provider=world.provider, criteria=1)
    measure = MeasureFactory(
        action=ActionFactory(
            theme=ThemeFactory(service=world.service, provider=world.provider),
            service=world.service,
            provider=world.provider,
        )
    )
    services.feed_create(actor=world.rm, template=template, measure=measure, kind=MeasureFeed.Kind.EFFECTIVENESS)
    other = TemplateFactory(provider=world.provider, criteria=1)
    submitted_audit(service=world.service, auditor=world.rm, template=template, answers=[{"c1": YES}])
    # A second audit in the same week (another template) that finds a gap and does nothing about it.
    submitted_audit(service=world.service, auditor=world.rm, template=other, answers=[{"c1": NO}], findings="Gap")
    point = DataPoint.objects.get(measure=measure)
    assert (point.numerator, point.denominator, point.value) == (1, 2, 50.0)


def test_feed_create_refuses_other_providers_measures_and_unknown_criteria(world):
    template = TemplateFactory(provider=world.provider, criteria=2)
    measure = MeasureFactory(
        action=ActionFactory(
            theme=ThemeFactory(service=world.service, provider=world.provider),
            service=world.service,
            provider=world.provider,
        )
    )
    with pytest.raises(ValidationError) as e:
        services.feed_create(actor=world.rm, template=template, measure=measure, criterion_keys=["nope"])
    assert "criterion_keys" in e.value.message_dict
    with pytest.raises(PermissionDenied):
        services.feed_create(actor=world.viewer, template=template, measure=measure)


def test_a_new_feed_adds_the_points_of_audits_already_submitted(world):
    template = TemplateFactory(provider=world.provider, criteria=1)
    submitted_audit(service=world.service, auditor=world.rm, template=template, answers=[{"c1": YES}, {"c1": NA}])
    measure = _fed_measure(world, template)
    point = DataPoint.objects.get(measure=measure)
    assert (point.numerator, point.denominator) == (1, 1)
    # Running it again adds nothing.
    from audits.services.feeds import feed_backfill

    assert feed_backfill(actor=world.rm, feed=measure.feed) == 0


def test_a_null_character_is_refused_by_the_services_not_stored(world):
    """PostgreSQL cannot store NUL (a 500); the forms refuse it, and so do the services they call."""
    with pytest.raises(ValidationError) as e:
        services.template_create(
            actor=world.quality,
            provider=world.provider,
            title="Falls\x00",
            area=AuditTemplate.Area.RECORDS,
            criteria=[CriterionInput(text="A\x00", guidance="g")],
        )
    assert set(e.value.message_dict) == {"title", "criteria"}
    audit = _start(world)
    saved = services.audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=[RecordInput(ref="R-1", comment="c\x00")],
        findings="f\x00",
        actions=[ArisingInput(description="d\x00")],
    )
    assert [n.what for n in saved.save_report.not_saved] == ["comment in row 1", "findings", "description of action 1"]
    assert "null character" in saved.save_report.not_saved[0].reason
    # The rest of each is saved: the record's reference; no NUL reaches the database.
    assert list(audit.records.values_list("record_ref", "comment")) == [("R-1", "")]
    assert not audit.actions_arising.exists() and Audit.objects.get(pk=audit.pk).findings == ""
