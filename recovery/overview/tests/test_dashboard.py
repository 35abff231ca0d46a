"""The service dashboard panel: counts, measures needing attention, overdue work, and what needs me."""

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import panels
from core.permissions import forget
from recovery.models import RecoveryAction
from recovery.overview.dashboard import service_dashboard, service_dashboard_for_page
from recovery.overview.tests.test_map import build_plan
from recovery.overview.views import dashboard_panel_context
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, StepFactory, ThemeFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PANEL = "recovery/overview/dashboard_panel.html"


def render_panel(user, service) -> str:
    request = RequestFactory().get("/")
    request.user = user
    dashboard = service_dashboard_for_page(request, service)
    context = dashboard_panel_context(request, service, dashboard=dashboard)
    return render_to_string(PANEL, {"panel": context, "service": service})


def panel_queries(user, service) -> int:
    forget(user)
    with CaptureQueriesContext(connection) as ctx:
        render_panel(user, service)
    return len(ctx.captured_queries)


def test_panel_is_registered_on_the_service_page(world, client):
    assert PANEL in [p.template for p in panels._PANELS]
    client.force_login(world.viewer)
    html = client.get(reverse("core:service_detail", kwargs={"service": world.service.slug})).content.decode()
    assert "Recovery dashboard" in html


def test_the_page_builds_the_dashboard_once_and_the_parts_below_the_fold_not_at_all(world, monkeypatch):
    """The recovery panel declares the dashboard read; ``service_panels`` builds it once for the
    page, and not for the parts below the fold (the next-review panel counts its queue itself)."""
    by_template = {p.template: p for p in panels._PANELS}
    review_panel = by_template["governance/reviews/_panel_next.html"]
    assert by_template[PANEL].reads == {"dashboard": service_dashboard_for_page}
    assert panels.part_of(by_template[PANEL]) == 0 and panels.part_of(review_panel) == 2
    assert review_panel.reads == {}

    built = []

    def counting(request, service):
        built.append(service)
        return service_dashboard_for_page(request, service)

    shared = {"dashboard": counting}
    monkeypatch.setattr(
        panels,
        "_PANELS",
        [panels.Panel(p.order, p.template, p.context, shared if p.reads else p.reads) for p in panels._PANELS],
    )
    _action(world, status="closure_proposed", proposed_by=world.deputy)
    request = RequestFactory().get("/")
    request.user = world.rm
    above = dict(panels.service_panels(request, world.service, part=0))
    assert built == [world.service] and review_panel.template not in above
    below = {}
    for part, _ in panels.parts_below_fold():
        below.update(panels.service_panels(request, world.service, part=part))
    assert built == [world.service] and PANEL not in below
    assert set(above) | set(below) == set(by_template) and not set(above) & set(below)
    # The queue the next-review panel counts is the proposals the dashboard lists.
    assert above[PANEL]["dashboard"].needs_me.proposals.total == below[review_panel.template]["queue"] == 1


def _part(world, n: int, service=None) -> str:
    return reverse("core:service_panels_below", kwargs={"service": (service or world.service).slug, "part": n})


def test_the_page_loads_its_parts_below_the_fold_when_they_scroll_into_view(world, client):
    client.force_login(world.viewer)
    html = client.get(reverse("core:service_detail", kwargs={"service": world.service.slug})).content.decode()
    assert [n for n, _ in panels.parts_below_fold()] == [1, 2]
    assert f'hx-get="{_part(world, 1)}"' in html and f'hx-get="{_part(world, 2)}"' in html
    assert html.count('hx-trigger="revealed"') == 2
    assert "Recovery dashboard" in html and 'id="themes-heading"' not in html and "Next review" not in html
    themes = client.get(_part(world, 1), headers={"HX-Request": "true"}).content.decode()
    assert 'id="themes-heading"' in themes and "Next review" not in themes and "<html" not in themes
    rest = client.get(_part(world, 2), headers={"HX-Request": "true"}).content.decode()
    assert "Next review" in rest and "Evidence packs" in rest and "<html" not in rest
    page = client.get(_part(world, 2)).content.decode()  # without JavaScript: a page of its own
    assert "<html" in page and "Next review" in page and world.service.get_absolute_url() in page
    assert client.get(_part(world, 3)).status_code == 404


@pytest.mark.parametrize("part", [1, 2])
def test_the_parts_below_the_fold_are_not_found_for_another_providers_people(world, client, part):
    client.force_login(world.users["outsider"])
    assert client.get(_part(world, part), headers={"HX-Request": "true"}).status_code == 404
    assert client.get(_part(world, part)).status_code == 404


@pytest.mark.parametrize("persona", ["rm", "ni"])
def test_parts_below_the_fold_query_count_does_not_grow(world, client, persona, django_assert_max_num_queries):
    user = world.users[persona]
    client.force_login(user)
    build_plan(world.service, 10, owner=world.owner, proposer=world.deputy)
    small = []
    for part in (1, 2):
        forget(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_part(world, part), headers={"HX-Request": "true"}).status_code == 200
        small.append(len(ctx.captured_queries))
    build_plan(world.service, 190, owner=world.owner, proposer=world.deputy)
    for part, n in zip((1, 2), small, strict=True):
        forget(user)
        with django_assert_max_num_queries(n):
            assert client.get(_part(world, part), headers={"HX-Request": "true"}).status_code == 200


@pytest.mark.parametrize("persona", ["rm", "ni"])
def test_service_page_query_count_does_not_grow_with_the_plan(world, client, persona, django_assert_max_num_queries):
    """The whole service page (every app's panel), at two sizes of plan: the same queries."""
    user = world.users[persona]
    client.force_login(user)
    url = reverse("core:service_detail", kwargs={"service": world.service.slug})
    build_plan(world.service, 10, owner=world.owner, proposer=world.deputy)
    forget(user)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    build_plan(world.service, 190, owner=world.owner, proposer=world.deputy)
    forget(user)
    with django_assert_max_num_queries(len(small)) as large:
        html = client.get(url).content.decode()
    assert "Recovery dashboard" in html
    assert len(large) == len(small.captured_queries)


@pytest.mark.parametrize("persona", ["rm", "owner", "ni"])
def test_dashboard_query_count_does_not_grow_with_the_plan(world, persona, django_assert_max_num_queries):
    user = world.users[persona]
    build_plan(world.service, 10, owner=world.owner, proposer=world.deputy)
    small = panel_queries(user, world.service)
    build_plan(world.service, 190, owner=world.owner, proposer=world.deputy)
    forget(user)
    with django_assert_max_num_queries(small):
        html = render_panel(user, world.service)
    assert "Actions by status and risk" in html
    assert panel_queries(user, world.service) == small


def _action(world, **kw):
    theme = kw.pop("theme", None) or ThemeFactory(service=world.service, provider=world.provider)
    return ActionFactory(theme=theme, **kw)


def test_counts_by_status_and_risk(world):
    _action(world, risk_level="high", status="open")
    _action(world, risk_level="high", status="open")
    _action(world, risk_level="low", status="open")
    _action(world, risk_level="medium", status="closed")
    _action(world, risk_level="high", service=world.sibling)  # another service: not counted
    d = service_dashboard(world.rm, world.service)
    assert [(c.status, c.by_risk, c.total) for c in d.status_counts] == [
        ("open", [2, 0, 1], 3),
        ("closed", [0, 1, 0], 1),
    ]
    assert d.risk_totals == [2, 1, 1] and d.total == 4


def test_measures_off_track_or_with_concern_and_overdue_actions(world):
    a = _action(world, title="Escalation", due_date=TODAY - datetime.timedelta(days=1), status="in_progress")
    off = MeasureFactory(action=a, name="Off track one")
    DataPointFactory(measure=off, numerator=5, period_date=TODAY - datetime.timedelta(days=1))  # 50%: below the line
    fine = MeasureFactory(action=a, name="On target")
    DataPointFactory(measure=fine, numerator=10)
    concern = MeasureFactory(action=a, name="Dropping", target_value=70)
    # Steady at 100 then a drop: a special-cause concern, though the latest 80% still meets the 70% target.
    for weeks_ago, value in zip(range(8, 0, -1), [10, 10, 10, 10, 10, 10, 10, 8], strict=True):
        DataPointFactory(measure=concern, numerator=value, period_date=TODAY - datetime.timedelta(weeks=weeks_ago))
    _action(world, title="Closed late", due_date=TODAY - datetime.timedelta(days=9), status="closed")
    d = service_dashboard(world.rm, world.service)
    assert [s.measure.name for s in d.attention] == ["Off track one", "Dropping"]
    assert [x.title for x in d.overdue] == ["Escalation"]
    html = render_panel(world.rm, world.service)
    assert "Off track one" in html and "Special cause – concern" in html and "was due" in html


def test_registered_manager_needs(world):
    proposed = _action(world, title="Ordinary proposal", status="closure_proposed", proposed_by=world.deputy)
    _action(world, title="Their own proposal", status="closure_proposed", proposed_by=world.rm)
    _action(world, title="High-risk proposal", status="closure_proposed", risk_level="high", proposed_by=world.deputy)
    overdue = _action(world, title="Mine, late", owner=world.rm, status="open", due_date=TODAY - datetime.timedelta(1))
    stale = MeasureFactory(action=overdue, name="Nobody recorded this", baseline_date=TODAY - datetime.timedelta(40))
    n = service_dashboard(world.rm, world.service).needs_me
    assert [a.pk for a in n.proposals] == [proposed.pk]
    assert n.high_risk_proposals == []  # the nominated individual decides those
    assert [a.pk for a in n.my_overdue] == [overdue.pk]
    assert [s.measure.pk for s in n.my_stale_measures] == [stale.pk]
    html = render_panel(world.rm, world.service)
    assert "Closures awaiting your decision" in html and "Ordinary proposal" in html
    assert "Your measures without recent data" in html


def test_nominated_individual_sees_high_risk_proposals(world):
    high = _action(world, title="High-risk", status="closure_proposed", risk_level="high", proposed_by=world.rm)
    _action(world, title="Own high", status="closure_proposed", risk_level="high", proposed_by=world.ni)
    n = service_dashboard(world.ni, world.service).needs_me
    assert [a.pk for a in n.high_risk_proposals] == [high.pk]
    assert "High-risk closures awaiting your decision" in render_panel(world.ni, world.service)


def test_action_owner_sees_open_actions_and_steps(world):
    mine = _action(world, title="Handover checks", owner=world.owner, status="in_progress")
    StepFactory(action=mine, what="Check handover notes daily", done_on=None)
    StepFactory(action=mine, what="Already done", done_on=TODAY)
    _action(world, title="Closed already", owner=world.owner, status="closed")
    _action(world, title="Someone else's", owner=world.deputy, status="open")
    proposal = _action(world, title="A proposal", status="closure_proposed", proposed_by=world.deputy)
    n = service_dashboard(world.owner, world.service).needs_me
    assert [(o.action.title, [s.what for s in o.open_steps]) for o in n.my_open] == [
        ("Handover checks", ["Check handover notes daily"])
    ]
    assert n.proposals == [] and proposal.status == RecoveryAction.Status.CLOSURE_PROPOSED  # owners do not decide
    html = render_panel(world.owner, world.service)
    assert "Your open actions" in html and "Check handover notes daily" in html and "Already done" not in html


def test_viewer_has_nothing_waiting(world):
    _action(world, status="closure_proposed", proposed_by=world.deputy)
    html = render_panel(world.viewer, world.service)
    assert "Nothing is waiting for you at this service." in html
    assert "No recovery actions" not in html


def test_empty_service(world):
    html = render_panel(world.ni, world.sibling)
    assert "No recovery actions at this service yet." in html
    assert "No overdue actions." in html


def test_each_list_is_capped_with_and_n_more(world):
    from recovery.overview.dashboard import DASHBOARD_CAP

    late = TODAY - datetime.timedelta(days=3)
    n = DASHBOARD_CAP + 3
    for i in range(n):
        a = _action(world, title=f"Late {i:02d}", owner=world.rm, status="in_progress", due_date=late)
        MeasureFactory(action=a, name=f"Unmeasured {i:02d}", baseline_date=TODAY - datetime.timedelta(days=60))
        _action(world, title=f"Proposal {i:02d}", status="closure_proposed", proposed_by=world.deputy)
    # Off track: a value below the line.
    for i in range(n):
        DataPointFactory(
            measure=MeasureFactory(action=_action(world, status="open"), name=f"Off {i:02d}"),
            numerator=2,
            period_date=TODAY - datetime.timedelta(days=1),
        )
    d = service_dashboard(world.rm, world.service)
    assert len(d.overdue) == DASHBOARD_CAP and d.overdue.total == n and d.overdue.more == 3
    assert len(d.needs_me.proposals) == DASHBOARD_CAP and d.needs_me.proposals.more == 3
    assert (len(d.needs_me.my_overdue), d.needs_me.my_overdue.more) == (DASHBOARD_CAP, 3)
    assert (len(d.needs_me.my_open), d.needs_me.my_open.more) == (DASHBOARD_CAP, 3)
    assert (len(d.needs_me.my_stale_measures), d.needs_me.my_stale_measures.more) == (DASHBOARD_CAP, 3)
    # Off track first (the "Off" ones), then by name; the stale "Unmeasured" ones have no data.
    assert [s.measure.name for s in d.attention] == [f"Off {i:02d}" for i in range(DASHBOARD_CAP)]
    assert d.attention.more == 3
    # The counts still cover every action.
    assert d.total == 3 * n
    html = render_panel(world.rm, world.service)
    assert html.count("and 3 more") == 6
    assert "Late 07" in html and "Late 08" not in html
    map_url = reverse("recovery:map_service", kwargs={"service": world.service.slug})
    assert f'href="{map_url}"' in html and f'href="{map_url}?status=closure_proposed"' in html


def test_short_lists_have_no_more_link(world):
    _action(world, title="Just late", due_date=TODAY - datetime.timedelta(days=2), status="open")
    d = service_dashboard(world.rm, world.service)
    assert d.overdue.total == 1 and d.overdue.more == 0
    assert "more —" not in render_panel(world.rm, world.service)
