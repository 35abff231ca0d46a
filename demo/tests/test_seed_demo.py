"""seed_demo end to end: idempotent, the people and roles, every kind of flag."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from core.models import Membership, Provider, Service, User
from governance.models import Flag


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from auditlog.models import LogEntry

    call_command("seed_demo", stdout=open(os.devnull, "w"))
    counts = [m.objects.count() for m in (Provider, Service, User, Membership, LogEntry)]
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert [m.objects.count() for m in (Provider, Service, User, Membership, LogEntry)] == counts
    assert Provider.objects.count() == 2
    assert Service.objects.filter(provider__slug="oakfield").values("service_type").distinct().count() == 3
    roles = set(Membership.objects.values_list("role", flat=True))
    assert len(roles) == 8


@pytest.mark.django_db
def test_the_demo_shows_every_kind_of_flag_and_reseeding_adds_none():
    call_command("seed_demo", stdout=io.StringIO())
    open_flags = Flag.objects.filter(provider__slug="oakfield", resolved_at__isnull=True)
    assert set(open_flags.values_list("kind", flat=True)) == set(Flag.Kind.values)
    before = Flag.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Flag.objects.count() == before
    # The escalation story's review flags follow its layers: the NI's monthly review is overdue.
    escalation = open_flags.filter(kind=Flag.Kind.OVERDUE_REVIEW, subject_label__startswith="A-").filter(
        subject_label__contains="Escalate changes in health within the shift"
    )
    assert [f.detail.split(":")[0] for f in escalation] == ["Monthly NI review overdue"]


@pytest.mark.django_db
def test_seed_demo_prints_the_sign_ins(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"  # as `make demo PORT=8123` makes it
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "Sign in at http://127.0.0.1:8123/ with password" in text
    assert "password: recovery-demo-2026" in text
    for email in ("rm@oakfield.example", "ni@oakfield.example", "viewer@oakfield.example", "admin@oakfield.example"):
        assert email in text
    assert "Read-only viewer (oakfield-house), Read-only viewer (meadowbank-nursing)" in text


def test_no_domain_app_imports_the_demo():
    """demo is the top layer: it drives the domain services, and nothing below imports it."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for app in ("core", "evidence", "recovery", "audits", "governance")
        for path in (root / app).rglob("*.py")
        if re.search(r"^\s*(from demo[. ]|import demo\b)", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []


@pytest.mark.django_db
def test_the_escalation_story_has_its_two_triggers_for_the_rm_and_the_ni():
    from governance.models import FlagTrigger

    call_command("seed_demo", stdout=io.StringIO())
    triggers = FlagTrigger.objects.filter(service__slug="oakfield-house").select_related("person")
    assert {(t.kind, t.person.email) for t in triggers} == {
        (FlagTrigger.Kind.MEASURE_THRESHOLD, "rm@oakfield.example"),
        (FlagTrigger.Kind.REPEATED_FINDING, "ni@oakfield.example"),
    }
    # Late escalation turns up in nearly every weekly sample: the NI's trigger holds.
    repeated = triggers.get(kind=FlagTrigger.Kind.REPEATED_FINDING)
    flag = Flag.objects.get(kind=Flag.Kind.TRIGGER, subject_id=repeated.pk, resolved_at__isnull=True)
    assert flag.assignee.email == "ni@oakfield.example"


@pytest.mark.django_db
def test_each_demo_persona_sees_their_own_work_first(client):
    """Issue 10's demo: the RM's audits and actions, the NI's closures and next reviews (the
    monthly leadership series she chairs), the quality lead's audit effectiveness and packs,
    the viewer's progress."""
    call_command("seed_demo", stdout=io.StringIO())
    expected = {
        "rm@oakfield.example": ["Audits due this week", "Your actions"],
        "ni@oakfield.example": ["Closures waiting for your decision", "Your next reviews"],
        "quality@oakfield.example": ["Audits that did not show the actions working", "Evidence packs you asked for"],
        "viewer@oakfield.example": ["Nothing waits for you", "Progress at your services"],
    }
    for email, first in expected.items():
        client.force_login(User.objects.get(email=email))
        html = client.get("/").content.decode()
        headings = [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]
        assert [h.rstrip("0123456789 ") for h in headings[: len(first)]] == first, (email, headings)
    client.force_login(User.objects.get(email="ni@oakfield.example"))
    html = client.get("/").content.decode()
    assert "Monthly leadership review" in html  # her next meeting, from the series
