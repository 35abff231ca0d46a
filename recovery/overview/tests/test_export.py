"""The action plan as Excel, CSV and Word: what each holds, the map's scope and filters, and
bounded queries whatever the plan's size."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.models import ActionStep, ActionTransition, RecoveryAction
from recovery.overview.tests.test_map import build_plan, count_queries
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, StepFactory, ThemeFactory
from tests.exports_support import assert_sheet_header, csv_rows, document, document_text, sheet_rows, workbook

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
S = RecoveryAction.Status


@pytest.fixture
def plan(world):
    """A theme at Oak House with a closed action (its decision on record) and an open one, a
    provider-wide theme, and actions at the sibling service and at another provider."""
    theme = ThemeFactory(
        service=world.service, title="Late escalation – deterioration", risk_level="high", owner=world.rm
    )
    closed = ActionFactory(
        theme=theme,
        title='=HYPERLINK("http://example.test","Weekly sampling")',
        owner=world.deputy,
        status=S.CLOSED,
        started_on=TODAY - datetime.timedelta(days=60),
        closed_at=timezone.now() - datetime.timedelta(days=1),
        closed_by=world.ni,
        closure_note="Six weeks of prompt escalation.",
    )
    ActionTransition.objects.create(
        action=closed,
        from_status=S.CLOSURE_PROPOSED,
        to_status=S.CLOSED,
        actor=world.ni,
        reason="Sampled records confirm it – sustained for six weeks.",
    )
    StepFactory(action=closed, order=1, role="Senior carer", what="Check notes each shift", done_on=TODAY)
    measure = MeasureFactory(action=closed, name="Escalated on time")
    DataPointFactory(measure=measure, period_date=TODAY - datetime.timedelta(days=3), numerator=9, denominator=10)
    open_action = ActionFactory(theme=theme, title="Handover prompts", owner=world.lead, due_date=TODAY)
    wide = ThemeFactory(service=None, provider=world.provider, title="Governance oversight", owner=world.quality)
    wide_action = ActionFactory(theme=wide, service=world.service, title="Monthly quality walk-round")
    sibling = ActionFactory(theme=ThemeFactory(service=world.sibling), title="Sibling-only action")
    foreign = ActionFactory(theme=ThemeFactory(service=world.other_service), title="Riverside action")
    return {
        "theme": theme,
        "closed": closed,
        "open": open_action,
        "measure": measure,
        "wide": wide_action,
        "sibling": sibling,
        "foreign": foreign,
    }


def _url(fmt: str, world, provider: bool = False) -> str:
    if provider:
        return reverse(f"recovery:provider_plan_export_{fmt}", kwargs={"provider": world.provider.slug})
    return reverse(f"recovery:plan_export_{fmt}", kwargs={"service": world.service.slug})


def test_workbook_has_every_part_of_the_plan(world, client, plan):
    client.force_login(world.rm)
    wb = workbook(client.get(_url("xlsx", world)))
    assert wb.sheetnames == ["Actions", "Themes", "Steps", "Measures", "Closure decisions"]

    actions = wb["Actions"]
    header = [c.value for c in actions[1]]
    assert header[:4] == ["Ref", "Theme", "Service", "Action"]
    assert_sheet_header(actions, header)
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet_rows(actions)[1:]}
    assert set(rows) == {plan["closed"].reference, plan["open"].reference, plan["wide"].reference}
    closed = rows[plan["closed"].reference]
    assert closed["Theme"] == "Late escalation – deterioration"
    assert closed["Owner"] == str(world.deputy)
    assert closed["Status"] == "Closed"
    assert closed["Closure state"].startswith("Closed on ") and str(world.ni) in closed["Closure state"]
    assert closed["Last decision"] == "Closure approved"
    assert closed["Decision reason"] == "Sampled records confirm it – sustained for six weeks."
    assert closed["Measures (latest value, state)"] == "Escalated on time: 90% (On track)"
    assert closed["Steps"] == 1 and closed["Steps done"] == 1
    assert rows[plan["open"].reference]["Deadline"] == "Due soon"

    # Dates are dates, and a title that looks like a formula is text.
    ref_column = [c.value for c in actions["A"]]
    row = actions[ref_column.index(plan["closed"].reference) + 1]
    due = row[header.index("Due")]
    assert due.is_date and due.value.date() == plan["closed"].due_date
    title = row[header.index("Action")]
    assert title.value == plan["closed"].title and title.data_type == "s" and title.quotePrefix

    measures = sheet_rows(wb["Measures"])
    assert measures[1][2] == "Escalated on time" and measures[1][10] == 90.0
    assert wb["Measures"].cell(row=2, column=12).is_date  # latest period
    decisions = sheet_rows(wb["Closure decisions"])
    assert decisions[1][3] == "Closure approved" and decisions[1][4] == str(world.ni)
    themes = {r[0] for r in sheet_rows(wb["Themes"])[1:]}
    assert themes == {"Late escalation – deterioration", "Governance oversight"}
    assert sheet_rows(wb["Steps"])[1][4] == "Check notes each shift"


def test_csv_is_the_actions_sheet_with_a_bom(world, client, plan):
    client.force_login(world.rm)
    rows = csv_rows(client.get(_url("csv", world)))
    assert rows[0][:4] == ["Ref", "Theme", "Service", "Action"]
    by_ref = {r[0]: r for r in rows[1:]}
    assert by_ref[plan["closed"].reference][1] == "Late escalation – deterioration"  # the dash survives
    assert by_ref[plan["closed"].reference][3].startswith("'=")  # never run as a formula
    assert by_ref[plan["closed"].reference][8] == plan["closed"].due_date.isoformat()


def test_word_document_has_the_themes_actions_and_the_closure_story(world, client, plan):
    client.force_login(world.rm)
    doc = document(client.get(_url("docx", world)))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "Action plan: Oak House"
    assert "Late escalation – deterioration" in headings and "Governance oversight" in headings
    assert f"{plan['open'].reference} Handover prompts" in headings
    text = document_text(doc)
    assert "Check notes each shift" in text
    assert "Escalated on time" in text and "90%" in text
    assert "Closure approved by" in text and "sustained for six weeks" in text
    assert "Sibling-only action" not in text and "Riverside action" not in text


def test_exports_follow_the_map_filters(world, client, plan):
    client.force_login(world.rm)
    rows = csv_rows(client.get(_url("csv", world), {"status": S.CLOSED}))
    assert [r[0] for r in rows[1:]] == [plan["closed"].reference]
    doc = document(client.get(_url("docx", world), {"risk": "high"}))
    assert "Filtered: Risk: High." in document_text(doc)


def test_provider_export_shows_only_what_each_role_may_see(world, client, plan):
    client.force_login(world.quality)  # provider-wide: both services
    refs = {r[0] for r in csv_rows(client.get(_url("csv", world, provider=True)))[1:]}
    assert plan["sibling"].reference in refs and plan["foreign"].reference not in refs
    client.force_login(world.rm)  # one service: the provider page shows only it
    refs = {r[0] for r in csv_rows(client.get(_url("csv", world, provider=True)))[1:]}
    assert plan["sibling"].reference not in refs and plan["closed"].reference in refs
    assert plan["foreign"].reference not in refs
    # Another provider's service or provider: 404, whatever the format.
    for fmt in ("xlsx", "csv", "docx"):
        url = reverse(f"recovery:plan_export_{fmt}", kwargs={"service": world.other_service.slug})
        assert client.get(url).status_code == 404
        url = reverse(f"recovery:provider_plan_export_{fmt}", kwargs={"provider": world.other_provider.slug})
        assert client.get(url).status_code == 404


def test_map_page_links_to_the_exports_with_its_filters(world, client, plan):
    client.force_login(world.rm)
    page = client.get(reverse("recovery:map_service", kwargs={"service": world.service.slug}), {"risk": "high"})
    html = page.content.decode()
    assert f'href="{_url("xlsx", world)}?risk=high"' in html
    assert f'href="{_url("docx", world)}?risk=high"' in html
    assert ">Excel</a>" in html and ">CSV</a>" in html and ">Word</a>" in html


def _with_history(service, actor) -> None:
    """Every step done by someone and a closure decision on every action: what rows reach through."""
    ActionStep.objects.filter(action__service=service).update(done_by=actor, done_on=TODAY)
    ActionTransition.objects.bulk_create(
        ActionTransition(action=a, from_status=S.CLOSURE_PROPOSED, to_status=S.REFUSED, actor=actor, reason="Not yet.")
        for a in RecoveryAction.objects.filter(service=service)
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "docx"])
@pytest.mark.parametrize("provider", [False, True], ids=["service", "provider"])
def test_export_queries_do_not_grow_with_the_plan(world, client, django_assert_max_num_queries, fmt, provider):
    client.force_login(world.quality)
    url = _url(fmt, world, provider=provider)
    build_plan(world.service, 10, owner=world.owner)
    _with_history(world.service, world.rm)
    small = count_queries(client, url)
    build_plan(world.service, 50, owner=world.lead)
    _with_history(world.service, world.deputy)
    build_plan(world.sibling, 20, owner=world.quality)
    with django_assert_max_num_queries(small):
        client.get(url)
