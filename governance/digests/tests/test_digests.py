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
    assert "Closure proposals waiting for a decision" in body
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
    assert "High-risk closure proposals waiting for your decision" in ni_body
    assert "Safeguarding referrals reviewed within 24 hours" in ni_body
    quality_body = to(world.quality)[0].body
    assert "Falls rate" in quality_body
    assert "High-risk closure proposals" not in quality_body
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
