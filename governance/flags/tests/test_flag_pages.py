"""Flag lists, detail and acknowledgement; the service-page badges; the provider dashboard."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.flags.tests.factories import FlagFactory
from governance.models import Flag
from recovery.measures import spc
from recovery.measures.services import point_record
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

K = Flag.Kind


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_service_flag_list_filters_by_kind_and_state(world, login):
    FlagFactory(service=world.service, subject_label="Overdue one")
    FlagFactory(service=world.service, kind=K.DRIFT, cause="concern_after_closure", subject_label="Drifting measure")
    FlagFactory(
        service=world.service,
        subject_label="Seen already",
        acknowledged_by=world.rm,
        acknowledged_at=timezone.now(),
        acknowledgement_note="Chased the owner.",
    )
    FlagFactory(service=world.service, subject_label="Old news", resolved_at=timezone.now())
    FlagFactory(service=world.sibling, subject_label="Sibling flag")
    client = login(world.rm)
    url = reverse("governance:flag_list", kwargs={"service": world.service.slug})

    page = client.get(url).content.decode()
    assert "Overdue one" in page and "Drifting measure" in page and "Seen already" in page
    assert "Old news" not in page and "Sibling flag" not in page

    page = client.get(url, {"kind": K.DRIFT}).content.decode()
    assert "Drifting measure" in page and "Overdue one" not in page

    page = client.get(url, {"state": "acknowledged"}).content.decode()
    assert "Seen already" in page and "Overdue one" not in page

    page = client.get(url, {"state": "unacknowledged"}).content.decode()
    assert "Overdue one" in page and "Seen already" not in page

    page = client.get(url, {"state": "resolved"}).content.decode()
    assert "Old news" in page and "Overdue one" not in page


def test_provider_flag_list_shows_only_what_the_person_may_see(world, login):
    FlagFactory(service=world.service, subject_label="At Oak House")
    FlagFactory(service=world.sibling, subject_label="At Oak Lodge")
    FlagFactory(service=world.other_service, subject_label="Elsewhere")
    url = reverse("governance:provider_flag_list", kwargs={"provider": world.provider.slug})

    page = login(world.ni).get(url).content.decode()
    assert "At Oak House" in page and "At Oak Lodge" in page and "Elsewhere" not in page

    page = login(world.rm).get(url).content.decode()
    assert "At Oak House" in page and "At Oak Lodge" not in page


def test_empty_state(world, login):
    page = login(world.rm).get(reverse("governance:flag_list", kwargs={"service": world.service.slug}))
    assert "No open flags" in page.content.decode()


def test_acknowledge_needs_a_note_and_keeps_the_flag_open(world, login):
    flag = FlagFactory(service=world.service)
    client = login(world.deputy)
    url = reverse("governance:flag_acknowledge", kwargs={"pk": flag.pk})

    response = client.post(url, {"note": "   "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    flag.refresh_from_db()
    assert flag.acknowledged_at is None

    response = client.post(url, {"note": "Spoke to the owner; new date agreed."})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.acknowledged_by == world.deputy
    assert flag.acknowledgement_note == "Spoke to the owner; new date agreed."
    assert flag.is_open

    # A second acknowledgement does not overwrite the first.
    client.post(url, {"note": "Me too"})
    flag.refresh_from_db()
    assert flag.acknowledgement_note == "Spoke to the owner; new date agreed."

    detail = client.get(flag.get_absolute_url()).content.decode()
    assert "Spoke to the owner" in detail and "Acknowledged by" in detail


def test_acknowledging_is_in_the_audit_trail(world, login):
    from auditlog.models import LogEntry

    flag = FlagFactory(service=world.service)
    login(world.rm).post(reverse("governance:flag_acknowledge", kwargs={"pk": flag.pk}), {"note": "Looked."})
    entry = LogEntry.objects.get_for_object(flag).order_by("-timestamp").first()
    assert entry is not None and entry.actor == world.rm


def test_read_only_roles_see_no_acknowledge_form(world, login):
    flag = FlagFactory(service=world.service)
    page = login(world.viewer).get(flag.get_absolute_url()).content.decode()
    assert 'name="note"' not in page
    assert login(world.rm).get(flag.get_absolute_url()).content.decode().count('name="note"') == 1


def test_service_page_shows_flag_badges(world, login):
    FlagFactory(service=world.service)
    FlagFactory(service=world.service, kind=K.STALE_MEASURE, cause="no_recent_data", subject_type="measure")
    page = login(world.viewer).get(world.service.get_absolute_url()).content.decode()
    assert "2 open" in page
    assert "Stale measure" in page and "Overdue action" in page


@pytest.mark.parametrize("scope", ["service", "provider"])
def test_flag_list_query_count_does_not_grow(world, login, scope):
    client = login(world.ni)
    if scope == "service":
        url = reverse("governance:flag_list", kwargs={"service": world.service.slug})
    else:
        url = reverse("governance:provider_flag_list", kwargs={"provider": world.provider.slug})

    def make(n):
        for i in range(n):
            FlagFactory(
                service=world.service if i % 2 else world.sibling,
                acknowledged_by=world.rm if i % 3 == 0 else None,
                acknowledged_at=timezone.now() if i % 3 == 0 else None,
            )

    make(3)
    small = count_queries(client, url)
    make(60)
    large = count_queries(client, url)
    assert small == large


def _plan(world, n: int) -> None:
    today = datetime.date.today()
    for i in range(n):
        service = world.service if i % 2 else world.sibling
        theme = ThemeFactory(service=service, owner=world.rm, risk_level="high" if i % 3 == 0 else "medium")
        action = ActionFactory(theme=theme, owner=world.rm, status=RecoveryAction.Status.IN_PROGRESS)
        measure = MeasureFactory(action=action)
        for j in range(4):
            DataPointFactory(measure=measure, period_date=today - datetime.timedelta(days=7 * j), numerator=5 + j)
        FlagFactory(service=service)


def test_provider_dashboard_figures_and_query_count(world, login):
    client = login(world.board)
    url = reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug})
    _plan(world, 3)
    small = count_queries(client, url)
    _plan(world, 30)
    large = count_queries(client, url)
    assert small == large

    page = client.get(url).content.decode()
    assert "Oak House" in page and "Oak Lodge" in page and "River House" not in page
    dashboard = client.get(url).context["dashboard"]
    assert dashboard.totals.open_flags == 33
    assert dashboard.totals.measures == 33
    assert dashboard.totals.high_risk_themes == 11  # i % 3 == 0 for i in 0..2 and 0..29


def test_provider_dashboard_counts_a_concern_as_soon_as_the_point_is_recorded(world, login):
    """The signal and assurance counts come from each measure's stored summary, refreshed on write."""
    today = datetime.date.today()
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        status=RecoveryAction.Status.IN_PROGRESS,
    )
    measure = MeasureFactory(action=action, baseline_date=today - datetime.timedelta(weeks=20))
    for w, met in enumerate([8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9]):
        point_record(
            actor=world.rm,
            measure=measure,
            period_date=today - datetime.timedelta(weeks=15 - w),
            numerator=met,
            denominator=10,
        )
    client = login(world.board)
    url = reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug})
    [row] = [r for r in client.get(url).context["dashboard"].rows if r.service == world.service]
    assert row.measures == 1 and row.signals[spc.CONCERN] == 0 and row.signals[spc.COMMON_CAUSE] == 1

    point_record(actor=world.rm, measure=measure, period_date=today, numerator=2, denominator=10)
    [row] = [r for r in client.get(url).context["dashboard"].rows if r.service == world.service]
    assert row.signals[spc.CONCERN] == 1 and row.signals[spc.COMMON_CAUSE] == 0


def test_provider_page_links_to_dashboard_only_for_provider_wide_roles(world, login):
    url = world.provider.get_absolute_url()
    dashboard = reverse("governance:provider_dashboard", kwargs={"provider": world.provider.slug})
    assert dashboard in login(world.ni).get(url).content.decode()
    assert dashboard not in login(world.rm).get(url).content.decode()
