"""Open, overdue and due soon: one definition, and every consumer agrees on a past-due draft.

The decision (``RecoveryAction``'s docstring): an action is open until it is closed, drafts
included; an open action is overdue once its due date has passed. A draft written last month
and due last week is therefore flagged by the scan, listed in the digest and on the agenda,
counted on the dashboard, marked on the map and badged on the action and theme pages.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.digests.services import WEEKLY, digest_content
from governance.flags.rules import compute_flags
from governance.models import AgendaItem, Flag
from governance.reviews.agenda import build_agenda
from governance.reviews.tests.factories import in_progress_review
from recovery.models import RecoveryAction
from recovery.overview.dashboard import service_dashboard
from recovery.overview.selectors import recovery_map
from recovery.plan.models import DUE_SOON_DAYS, RecoveryActionQuerySet
from recovery.tests.factories import ActionFactory, ThemeFactory

pytestmark = pytest.mark.django_db
S = RecoveryAction.Status


def TODAY() -> datetime.date:
    return timezone.localdate()


def _days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


@pytest.fixture
def draft(world) -> RecoveryAction:
    """A past-due draft owned by the service's registered manager."""
    theme = ThemeFactory(service=world.service, owner=world.rm)
    return ActionFactory(theme=theme, owner=world.rm, status=S.DRAFT, due_date=_days(-7), title="Past-due draft")


# --- The one definition -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        (S.DRAFT, -1, "overdue"),
        (S.IN_PROGRESS, -1, "overdue"),
        (S.CLOSURE_PROPOSED, -30, "overdue"),
        (S.CLOSED, -30, None),
        (S.OPEN, 0, "due_soon"),
        (S.DRAFT, DUE_SOON_DAYS, "due_soon"),
        (S.OPEN, DUE_SOON_DAYS + 1, None),
        (S.CLOSED, 3, None),
    ],
)
def test_the_model_and_the_queryset_agree(world, status, due, expected):
    action = ActionFactory(theme=ThemeFactory(service=world.service), status=status, due_date=_days(due))
    assert action.deadline(TODAY()) == expected
    assert action.is_overdue(TODAY()) == (expected == "overdue")
    assert action.is_open == (status != S.CLOSED)
    qs = RecoveryAction.objects.filter(pk=action.pk)
    assert qs.open().exists() == (status != S.CLOSED)
    assert qs.overdue(TODAY()).exists() == (expected == "overdue")
    assert qs.due_soon(TODAY()).exists() == (expected == "due_soon")
    assert qs.with_deadline(TODAY()).get().deadline_state == (expected or "")
    assert qs.filter(RecoveryActionQuerySet.overdue_or_due_soon_q(TODAY())).exists() == (expected is not None)


# --- Every consumer sees the past-due draft -----------------------------------------------


def test_the_scan_flags_it(world, draft):
    wanted = compute_flags(world.provider, TODAY())
    assert (Flag.Kind.OVERDUE_ACTION, "action", draft.pk, "past_due") in wanted


def test_the_digest_lists_it(world, draft):
    sections = {s.title: s for s in digest_content(world.rm, WEEKLY, TODAY())}
    overdue = sections["Overdue"]
    assert any(item.label.startswith("Action overdue:") and draft.title in item.label for item in overdue.items)


def test_the_agenda_lists_it(world, draft):
    entries = build_agenda(in_progress_review(world.service, chair=world.rm), today=TODAY())
    overdue = [e for e in entries if e.kind == AgendaItem.Kind.OVERDUE_ACTION]
    assert [e.subject_id for e in overdue] == [draft.pk]
    assert overdue[0].snapshot["days_overdue"] == 7


def test_the_service_dashboard_counts_it(world, draft):
    dashboard = service_dashboard(world.rm, world.service, today=TODAY())
    assert [a.pk for a in dashboard.overdue] == [draft.pk]
    assert [a.pk for a in dashboard.needs_me.my_overdue] == [draft.pk]
    assert [o.action.pk for o in dashboard.needs_me.my_open] == [draft.pk]  # open: drafts included
    assert dashboard.needs_me.my_open[0].overdue


def test_the_recovery_map_marks_it(world, draft):
    the_map = recovery_map(world.rm, provider=world.provider, service=world.service, today=TODAY())
    rows = [row for theme in the_map.themes for row in theme.actions]
    assert [(row.action.pk, row.overdue) for row in rows] == [(draft.pk, True)]


def test_the_action_and_theme_pages_badge_it(world, draft, login):
    client = login(world.rm)
    page = client.get(reverse("recovery:action_detail", kwargs={"pk": draft.pk})).content.decode()
    assert '<span class="badge text-bg-danger">overdue</span>' in page
    page = client.get(reverse("recovery:theme_detail", kwargs={"pk": draft.theme_id})).content.decode()
    assert '<span class="badge text-bg-danger">overdue</span>' in page


def test_a_closed_action_past_its_date_is_nowhere(world, draft):
    RecoveryAction.objects.filter(pk=draft.pk).update(status=S.CLOSED)
    assert (Flag.Kind.OVERDUE_ACTION, "action", draft.pk, "past_due") not in compute_flags(world.provider, TODAY())
    assert not [
        item
        for section in digest_content(world.rm, WEEKLY, TODAY())
        for item in section.items
        if draft.title in item.label
    ]
    entries = build_agenda(in_progress_review(world.service, chair=world.rm), today=TODAY())
    assert not [e for e in entries if e.kind == AgendaItem.Kind.OVERDUE_ACTION]
    assert not service_dashboard(world.rm, world.service, today=TODAY()).overdue


def test_due_soon_is_badged_from_the_same_rule(world, login):
    action = ActionFactory(theme=ThemeFactory(service=world.service), status=S.OPEN, due_date=_days(3))
    page = login(world.rm).get(reverse("recovery:action_detail", kwargs={"pk": action.pk})).content.decode()
    assert '<span class="badge text-bg-warning">due soon</span>' in page


def test_no_template_compares_due_dates_itself():
    """Templates show the model's answer (``deadline_badge`` or a selector's ``overdue``)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"due_date\s*(<|>|<=|>=)|(<|>|<=|>=)\s*\w*\.?due_date", line):
                offenders.append(f"{path.relative_to(root)}:{n}")
    assert offenders == []
