"""Email digests: one per person per period, only when something needs them, opt-out respected."""

from __future__ import annotations

import datetime

from django.core import mail
from django.utils import timezone

from core.choices import RiskLevel
from core.models import Role
from core.tests.factories import MembershipFactory, UserFactory
from governance.digests import services as digests
from governance.digests import tasks
from governance.flags.tests.factories import FlagFactory
from governance.models import DigestSent, Flag
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory

MONDAY = datetime.date(2026, 11, 16)


def to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_weekly_digest_lists_what_needs_the_registered_manager(world):
    FlagFactory(service=world.service, subject_label="A-7 Escalation sampling")
    FlagFactory(service=world.sibling, subject_label="Not theirs")
    proposal = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.deputy,
        status=RecoveryAction.Status.CLOSURE_PROPOSED,
        proposed_by=world.deputy,
        proposed_at=timezone.now(),
        title="Daily handover checklist",
    )
    sent = digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY)
    assert sent == 1  # only the RM receives weekly digests here
    [message] = to(world.rm)
    body = message.body
    assert "A-7 Escalation sampling" in body and "Not theirs" not in body
    assert proposal.title in body
    assert "Waiting on you" in body and f"Closure to decide: A-{proposal.pk} Daily handover checklist" in body
    html = message.alternatives[0][0]
    assert "A-7 Escalation sampling" in html
    assert DigestSent.objects.filter(user=world.rm, kind="weekly", period="2026-W47").exists()


def test_one_digest_per_person_per_period(world):
    FlagFactory(service=world.service)
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY) == 1
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY + datetime.timedelta(days=3)) == 0
    assert len(to(world.rm)) == 1
    # The next week is a new period.
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY + datetime.timedelta(days=7)) == 1
    assert len(to(world.rm)) == 2


def test_opted_out_people_get_nothing(world):
    FlagFactory(service=world.service)
    world.rm.digest_opt_in = False
    world.rm.save()
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY) == 0
    assert mail.outbox == []


def test_nothing_is_sent_when_nothing_needs_them(world):
    FlagFactory(service=world.service, resolved_at=timezone.now())
    FlagFactory(
        service=world.service,
        acknowledged_by=world.rm,
        acknowledged_at=timezone.now(),
        acknowledgement_note="Dealt with.",
    )
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY) == 0
    assert mail.outbox == []
    assert not DigestSent.objects.exists()


def test_monthly_digest_for_the_ni_and_quality_lead(world):
    FlagFactory(service=world.sibling, kind=Flag.Kind.DRIFT, cause="concern_after_closure", subject_label="Falls rate")
    FlagFactory(service=world.service, subject_label="A-3 Rota gaps")
    ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        status=RecoveryAction.Status.CLOSURE_PROPOSED,
        risk_level=RiskLevel.HIGH,
        proposed_by=world.rm,
        proposed_at=timezone.now(),
        title="Safeguarding referrals reviewed within 24 hours",
    )
    assert digests.digests_send_all(kind=digests.MONTHLY, today=MONDAY) == 2
    ni_body = to(world.ni)[0].body
    assert "Falls rate" in ni_body and "A-3 Rota gaps" in ni_body
    assert "Closure to decide (high risk)" in ni_body
    assert "Safeguarding referrals reviewed within 24 hours" in ni_body
    quality_body = to(world.quality)[0].body
    assert "Falls rate" in quality_body
    assert "Closure to decide" not in quality_body  # a quality lead does not decide closures
    assert DigestSent.objects.filter(kind="monthly", period="2026-11").count() == 2
    assert digests.digests_send_all(kind=digests.MONTHLY, today=MONDAY + datetime.timedelta(days=10)) == 0


def test_digest_tasks_fan_out_per_person(world):
    FlagFactory(service=world.service)
    other_rm = UserFactory(email="rm2@example.test")
    MembershipFactory(user=other_rm, provider=world.provider, service=world.sibling, role=Role.REGISTERED_MANAGER)
    FlagFactory(service=world.sibling)
    # Queued for every RM (the outsider too, who has nothing: no email for them).
    assert tasks.send_digests.delay("weekly", MONDAY.isoformat()).get() == 3
    assert not to(world.outsider)
    assert len(to(world.rm)) == 1 and len(to(other_rm)) == 1
    # Run again (a retried beat tick): nothing more is sent.
    tasks.send_digests.delay("weekly", MONDAY.isoformat()).get()
    assert len(mail.outbox) == 2


def test_the_digest_is_my_work_due_overdue_and_waiting_with_links_from_site_url(world, settings):
    from audits.models import AuditTemplate
    from audits.tests.factories import TemplateFactory

    settings.SITE_URL = "https://care.example.org"
    template = TemplateFactory(provider=world.provider, title="Medicines round check")
    AuditTemplate.objects.filter(pk=template.pk).update(created_at=timezone.now() - datetime.timedelta(days=90))
    overdue = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        title="Fill the rota",
        due_date=MONDAY - datetime.timedelta(days=3),
    )
    TemplateFactory(provider=world.other_provider, title="Not this provider's")
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY) == 1
    [message] = to(world.rm)
    body = message.body
    assert "Overdue" in body and f"Action overdue: A-{overdue.pk} Fill the rota" in body
    assert "Due now" in body and "Audit due: Medicines round check (Oak House)" in body
    assert "Not this provider's" not in body
    assert (
        f"https://care.example.org/actions/{overdue.pk}/" in body
        or f"https://care.example.org{overdue.get_absolute_url()}" in body
    )
    assert (
        "https://care.example.org/audits/" in body
        or "https://care.example.org/services/oak-house/audits/start/" in body
    )
    assert "127.0.0.1" not in body and ":8000" not in body
    assert "https://care.example.org/" in message.alternatives[0][0]


def test_the_next_digest_says_what_changed_since_the_last(world):
    theme = ThemeFactory(service=world.service, owner=world.rm)
    first = ActionFactory(
        theme=theme, owner=world.rm, title="Fill the rota", due_date=MONDAY - datetime.timedelta(days=3)
    )
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY) == 1
    assert "Changed since your last digest" not in to(world.rm)[0].body  # the first one has nothing to compare
    sent = DigestSent.objects.get(user=world.rm)
    assert any("Fill the rota" in label for label, _urgency in sent.items.values())
    # A week on: the rota action is closed, a new one is overdue.
    RecoveryAction.objects.filter(pk=first.pk).update(status=RecoveryAction.Status.CLOSED)
    ActionFactory(theme=theme, owner=world.rm, title="Check night cover", due_date=MONDAY)
    assert digests.digests_send_all(kind=digests.WEEKLY, today=MONDAY + datetime.timedelta(days=7)) == 1
    body = to(world.rm)[1].body
    assert "Changed since your last digest" in body
    assert "New since " in body and "Check night cover" in body
    assert f"No longer waiting: Action overdue: A-{first.pk} Fill the rota" in body
