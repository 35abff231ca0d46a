"""Triggers as data: a measure threshold or a repeated finding raises a flag for a named person."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audits.tests.factories import TemplateFactory, submitted_audit
from governance.flags import events as flag_events
from governance.flags.services import flags_scan_provider, trigger_create, trigger_delete, trigger_update
from governance.flags.tests.factories import MeasureTriggerFactory
from governance.models import Flag, FlagTrigger
from recovery.measures.services import point_record
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

K = Flag.Kind
T = FlagTrigger.Kind


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def block():
        flag_events.forget_pending()
        return django_capture_on_commit_callbacks(execute=True)

    return block


def measure_at(service, values=()):
    action = ActionFactory(
        theme=ThemeFactory(service=service, provider=service.provider),
        service=service,
        provider=service.provider,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=today() + datetime.timedelta(days=60),
    )
    measure = MeasureFactory(action=action, name="Escalated within 4 hours")
    for i, value in enumerate(reversed(values)):
        DataPointFactory(
            measure=measure, period_date=today() - datetime.timedelta(days=14 + 7 * i), numerator=value, denominator=100
        )
    return measure


def trigger_flags(trigger, **filters):
    return Flag.objects.filter(kind=K.TRIGGER, subject_type="trigger", subject_id=trigger.pk, **filters)


def test_a_threshold_fires_after_n_consecutive_periods_for_its_person(world, committed):
    measure = measure_at(world.service, [95, 92, 85])
    trigger = MeasureTriggerFactory(measure=measure, person=world.rm, threshold=90, periods=2)
    flags_scan_provider(provider=world.provider)
    assert not trigger_flags(trigger).exists(), "one period below is not two"

    with committed():
        point_record(
            actor=world.rm,
            measure=measure,
            period_date=today() - datetime.timedelta(days=7),
            numerator=80,
            denominator=100,
        )
    flag = trigger_flags(trigger, resolved_at__isnull=True).get()
    assert flag.assignee == world.rm and flag.service == world.service
    assert "85, 80" in flag.detail and "below 90" in flag.detail and str(world.rm) in flag.detail

    with committed():
        point_record(
            actor=world.rm,
            measure=measure,
            period_date=today(),
            numerator=97,
            denominator=100,
        )
    assert not trigger_flags(trigger, resolved_at__isnull=True).exists()
    assert trigger_flags(trigger).count() == 1, "resolved, kept as history"


def test_above_fires_on_values_above(world):
    measure = measure_at(world.service, [3, 12, 15])
    trigger = MeasureTriggerFactory(measure=measure, person=world.rm, comparison="above", threshold=10, periods=2)
    flags_scan_provider(provider=world.provider)
    assert trigger_flags(trigger, resolved_at__isnull=True).count() == 1


def test_a_repeated_finding_fires_at_its_service_only_within_its_weeks(world, committed):
    template = TemplateFactory(provider=world.provider, criteria=2)
    trigger = FlagTrigger.objects.create(
        provider=world.provider,
        service=world.service,
        kind=T.REPEATED_FINDING,
        name="Escalation missed again",
        person=world.ni,
        created_by=world.quality,
        template=template,
        criterion_key="c1",
        count=3,
        weeks=6,
    )
    failing = [{"c1": "no", "c2": "yes"}, {"c1": "yes", "c2": "yes"}]
    monday = today() - datetime.timedelta(days=today().weekday())
    # Long ago (outside six weeks) and at the sibling service: neither counts.
    submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=failing,
        period_start=monday - datetime.timedelta(weeks=10),
    )
    submitted_audit(
        service=world.sibling,
        auditor=world.rm,
        template=template,
        answers=failing,
        period_start=monday - datetime.timedelta(weeks=1),
    )
    for weeks_ago in (1, 2):
        submitted_audit(
            service=world.service,
            auditor=world.rm,
            template=template,
            answers=failing,
            period_start=monday - datetime.timedelta(weeks=weeks_ago),
        )
    flags_scan_provider(provider=world.provider)
    assert not trigger_flags(trigger).exists(), "two in the window, three needed"

    with committed():  # the third submission is the event
        submitted_audit(
            service=world.service,
            auditor=world.rm,
            template=template,
            answers=failing,
            period_start=monday - datetime.timedelta(weeks=3),
        )
    flag = trigger_flags(trigger, resolved_at__isnull=True).get()
    assert flag.assignee == world.ni and flag.service == world.service
    assert "3 audits" in flag.detail

    # Idempotent: the scan again changes nothing.
    result = flags_scan_provider(provider=world.provider)
    assert result.raised[K.TRIGGER] == 0 and result.resolved[K.TRIGGER] == 0
    assert trigger_flags(trigger).count() == 1


def test_the_service_checks_the_rule_and_the_trail_keeps_each_change(world, committed):
    measure = measure_at(world.service, [80, 70])
    with pytest.raises(ValidationError) as refused:
        trigger_create(
            actor=world.rm,
            provider=world.provider,
            service=world.service,
            kind=T.MEASURE_THRESHOLD,
            name="",
            person=world.outsider,
            measure=measure,
            comparison="sideways",
            threshold=None,
            periods=0,
        )
    assert set(refused.value.message_dict) == {"name", "person", "comparison", "threshold", "periods"}
    other = measure_at(world.other_service)
    with pytest.raises(ValidationError) as refused:
        trigger_create(
            actor=world.rm,
            provider=world.provider,
            service=world.service,
            kind=T.MEASURE_THRESHOLD,
            name="Theirs",
            person=world.rm,
            measure=other,
            comparison="below",
            threshold=90,
            periods=1,
        )
    assert "measure" in refused.value.message_dict

    with committed():
        trigger = trigger_create(
            actor=world.rm,
            provider=world.provider,
            service=world.service,
            kind=T.MEASURE_THRESHOLD,
            name="Escalation slipping",
            person=world.rm,
            measure=measure,
            comparison="below",
            threshold=90,
            periods=2,
        )
    assert trigger_flags(trigger, resolved_at__isnull=True).count() == 1, "checked at once"
    with committed():
        trigger_update(actor=world.rm, trigger=trigger, threshold=60)
    assert not trigger_flags(trigger, resolved_at__isnull=True).exists()
    pk = trigger.pk
    with committed():
        trigger_update(actor=world.rm, trigger=trigger, threshold=90)
        trigger_delete(actor=world.rm, trigger=trigger)
    assert not Flag.objects.filter(kind=K.TRIGGER, subject_id=pk, resolved_at__isnull=True).exists()
    # The edit and the removal commit together: one re-evaluation, by when the trigger is gone.
    assert Flag.objects.filter(kind=K.TRIGGER, subject_id=pk).count() == 1
    entries = LogEntry.objects.filter(
        content_type__app_label="governance", content_type__model="flagtrigger", object_pk=str(pk)
    )
    assert sorted(entries.values_list("action", flat=True)) == [0, 1, 1, 2]  # created, updated twice, deleted


def test_the_flags_page_adds_edits_and_removes_triggers(world, login, committed):
    measure = measure_at(world.service, [80, 70])
    client = login(world.rm)
    url = reverse("governance:trigger_new", kwargs={"service": world.service.slug, "kind": "measure"})
    measure_page = client.get(reverse("recovery:measure_detail", kwargs={"pk": measure.pk})).content.decode()
    assert f'href="{url}?measure={measure.pk}"' in measure_page, "the measure's page links to a new trigger on it"
    viewer_page = login(world.viewer).get(reverse("recovery:measure_detail", kwargs={"pk": measure.pk}))
    assert "Add a trigger" not in viewer_page.content.decode()
    client = login(world.rm)
    page = client.get(f"{url}?measure={measure.pk}")
    assert page.status_code == 200 and "Who must act when it fires" in page.content.decode()

    data = {
        "name": "Escalation slipping",
        "measure": measure.pk,
        "comparison": "below",
        "threshold": "ninety",
        "periods": "2",
        "person": world.rm.pk,
        "what_to_do": "Check the week's records with the nurse in charge.",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400 and "Escalation slipping" in refused.content.decode()
    assert not FlagTrigger.objects.exists()

    with committed():
        done = client.post(url, {**data, "threshold": "90"})
    assert done.status_code == 302
    trigger = FlagTrigger.objects.get()
    flag = trigger_flags(trigger, resolved_at__isnull=True).get()
    listing = client.get(reverse("governance:flag_list", kwargs={"service": world.service.slug})).content.decode()
    assert "Escalation slipping" in listing and f"For {world.rm} to act" in listing
    detail = client.get(flag.get_absolute_url()).content.decode()
    assert "Who must act" in detail and "nurse in charge" in detail

    edit = reverse("governance:trigger_edit", kwargs={"pk": trigger.pk})
    assert 'value="Escalation slipping"' in client.get(edit).content.decode()
    with committed():
        client.post(edit, {**data, "threshold": "50"})
    trigger.refresh_from_db()
    assert trigger.threshold == 50 and not trigger_flags(trigger, resolved_at__isnull=True).exists()

    with committed():
        client.post(reverse("governance:trigger_remove", kwargs={"pk": trigger.pk}))
    assert not FlagTrigger.objects.exists()


def test_a_repeated_finding_is_chosen_from_the_services_audit_criteria(world, login):
    template = TemplateFactory(provider=world.provider, criteria=2, title="Deterioration record sample")
    TemplateFactory(provider=world.other_provider, title="Riverside's own audit")
    client = login(world.quality)
    url = reverse("governance:trigger_new", kwargs={"service": world.service.slug, "kind": "finding"})
    page = client.get(url).content.decode()
    assert "Deterioration record sample" in page and "Riverside" not in page
    done = client.post(
        url,
        {
            "name": "Escalation missed again",
            "finding": f"{template.pk}:c2",
            "count": "3",
            "weeks": "8",
            "person": world.ni.pk,
        },
    )
    assert done.status_code == 302
    trigger = FlagTrigger.objects.get()
    assert (trigger.kind, trigger.template, trigger.criterion_key, trigger.person) == (
        T.REPEATED_FINDING,
        template,
        "c2",
        world.ni,
    )
