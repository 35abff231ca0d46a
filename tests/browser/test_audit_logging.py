"""A registered manager logs a 10-record, 6-criterion audit with the keyboard alone.

Tab moves between fields and answer groups, arrow keys and Space choose an answer, Enter
presses buttons; nothing is clicked. The new audit's data point then appears on the linked
measure's chart (recovery:measure_detail).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from audits.models import Audit, AuditTemplate, MeasureFeed
from audits.tests.factories import AuditFactory, TemplateFactory
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CRITERIA = 6
RECORDS = 10
# (row, criterion) -> answer; every other answer is Yes.
NOT_YES = {(0, 0): "no", (1, 0): "no", (2, 3): "na"}


def _points_on_chart(page) -> int:
    """Data points are the chart's circles that carry a tooltip (the legend's do not)."""
    return page.locator("svg.spc-chart circle:has(title)").count()


def _answer(page, value: str) -> None:
    """Focus is on the first radio (Yes) of an unanswered group."""
    if value == "yes":
        page.keyboard.press("Space")
    elif value == "no":
        page.keyboard.press("ArrowRight")
    else:
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")


def _fill_row(page, row: int) -> None:
    page.keyboard.type(f"R-{1040 + row}")
    for criterion in range(CRITERIA):
        page.keyboard.press("Tab")
        _answer(page, NOT_YES.get((row, criterion), "yes"))
    page.keyboard.press("Tab")  # comment
    if row == 0:
        page.keyboard.type("Escalated the next morning")
    page.keyboard.press("Tab")  # Remove button
    page.keyboard.press("Tab")  # next row's reference, or "Add a record"


def _type_date(page, day: datetime.date) -> None:
    """Type into a date field (the browser's en-US mm/dd/yyyy) and Tab out of its segments."""
    field = page.evaluate("document.activeElement.id")
    page.keyboard.type(day.strftime("%m%d%Y"))
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") != field:
            return


def test_registered_manager_logs_an_audit_by_keyboard_and_the_measure_gains_a_point(world, page):
    template = TemplateFactory(
        provider=world.provider, title="Escalation record sample", criteria=CRITERIA, default_sample_size=RECORDS - 1
    )
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Night escalation")
    action = ActionFactory(theme=theme, service=world.service, provider=world.provider, owner=world.rm)
    measure = MeasureFactory(action=action, name="Concerns escalated on time")
    for weeks in (4, 3, 2):
        DataPointFactory(measure=measure, period_date=timezone.localdate() - datetime.timedelta(weeks=weeks))
    MeasureFeed.objects.create(measure=measure, template=template)

    # Sign in with the keyboard.
    page.goto("/accounts/login/")
    page.get_by_label("Email address").focus()
    page.keyboard.type("rm@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/login/" not in page.url

    page.goto(f"/measures/{measure.pk}/")
    before = _points_on_chart(page)
    assert before == 3

    # Start this week's audit: the template is chosen and the period defaults to this week.
    page.goto(reverse("audits:audit_start", args=[world.service.slug]) + f"?template={template.pk}")
    page.get_by_label("Audit").focus()
    page.keyboard.press("Tab")  # period (today, so this week)
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url("**/log/")
    audit = Audit.objects.get()

    # The grid starts with the template's sample of empty rows; focus the first reference.
    assert page.locator("tr.record-row").count() == RECORDS - 1
    page.get_by_label("Record reference, row 1").focus()
    for row in range(RECORDS - 1):
        _fill_row(page, row)
    # Focus is on "Add a record": Enter fetches a new row (htmx) and moves focus into it.
    assert page.evaluate("document.activeElement.id") == "add-record"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('ref-input')")
    assert page.locator("tr.record-row").count() == RECORDS
    _fill_row(page, RECORDS - 1)

    # Compliance as typed: 57 yes of 59 yes/no answers (one N/A left out).
    assert page.locator("#overall-compliance").inner_text().startswith("96.6% (57 of 59")
    assert page.locator("#autosave-status").inner_text() != ""

    page.keyboard.press("Tab")  # findings (past "Add a record")
    page.keyboard.type("Two records escalated late at night (R-1040, R-1041).")
    page.keyboard.press("Tab")  # Add an action
    page.keyboard.press("Enter")  # fetches a new action (htmx) and moves focus into it
    page.wait_for_function("document.activeElement && document.activeElement.name === 'actions-0-description'")
    page.keyboard.type("Re-brief the night team on the escalation tool")
    page.keyboard.press("Tab")  # owner
    page.keyboard.type("Deputy")
    page.keyboard.press("Tab")  # due date
    _type_date(page, timezone.localdate() + datetime.timedelta(days=7))  # then on to "Becomes"
    page.keyboard.type("Night")
    page.keyboard.press("Tab")  # Remove this action
    page.keyboard.press("Tab")  # Add an action
    page.keyboard.press("Tab")  # impact check date
    _type_date(page, timezone.localdate() + datetime.timedelta(days=28))  # then on to "Save draft"

    # The draft is saved as we go.
    page.wait_for_function("document.getElementById('autosave-status').textContent.startsWith('Saved')")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.DRAFT

    page.keyboard.press("Tab")  # Submit audit
    assert page.evaluate("document.activeElement.id") == "submit-audit"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/audits/{audit.pk}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Escalation record sample")

    audit.refresh_from_db()
    assert audit.status == Audit.Status.SUBMITTED
    assert audit.records.count() == RECORDS
    assert round(audit.compliance, 1) == 96.6
    assert audit.is_effective
    assert audit.impact_check_date == timezone.localdate() + datetime.timedelta(days=28)
    arising = audit.actions_arising.get()
    assert arising.owner == world.deputy and arising.action.theme == theme
    assert arising.due_date == timezone.localdate() + datetime.timedelta(days=7)

    page.goto(f"/measures/{measure.pk}/")
    assert _points_on_chart(page) == before + 1


def test_answers_typed_while_the_connection_is_down_are_sent_by_a_retry_and_shown_again(world, page):
    template = TemplateFactory(provider=world.provider, criteria=2, default_sample_size=2)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("rm@example.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.route("**/autosave/", lambda route: route.abort())  # the connection drops
    page.goto(reverse("audits:audit_edit", args=[audit.pk]))
    page.get_by_label("Record reference, row 1").focus()
    page.keyboard.type("R-2001")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # No
    page.wait_for_function("document.getElementById('autosave-status').textContent.includes('no connection')")
    assert page.locator("#sync-state").inner_text() == "Saved on this device"
    assert audit.records.count() == 0

    page.unroute("**/autosave/")  # the retry (2 s, then backing off) gets through by itself
    page.wait_for_function("document.getElementById('autosave-status').textContent.startsWith('Saved')")
    assert page.locator("#sync-state").inner_text() == "Sent"
    record = audit.records.get()
    assert (record.record_ref, record.answers) == ("R-2001", {"c1": "no"})
    page.reload()
    assert page.get_by_label("Record reference, row 1").input_value() == "R-2001"
    assert page.locator("#restore-banner").is_hidden()


def test_quality_lead_reorders_criteria_without_losing_what_was_typed(world, page):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("quality@example.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(reverse("audits:template_create", args=[world.provider.slug]))
    page.get_by_label("Title").fill("Medicines and MAR chart audit")
    page.get_by_label("Area").select_option("medicines")
    page.get_by_label("Criterion 1").fill("Stock count matches the MAR")
    page.get_by_role("button", name="Add a criterion").focus()
    page.keyboard.press("Enter")  # htmx fetches a new criterion; focus moves into it
    page.wait_for_function("document.activeElement && document.activeElement.name === 'criteria-1-text'")
    page.keyboard.type("Every dose signed for")
    page.get_by_role("button", name="move criterion 2 up").focus()
    page.keyboard.press("Enter")  # the list comes back reordered; focus stays on the Up button
    page.wait_for_function("document.activeElement && document.activeElement.value === 'up:criteria-0'")
    assert page.locator("#criteria-status").inner_text() == "Moved up to position 1."
    assert page.get_by_label("Criterion 1").input_value() == "Every dose signed for"
    assert page.get_by_label("Criterion 2").input_value() == "Stock count matches the MAR"
    page.get_by_role("button", name="Save template").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    template = AuditTemplate.objects.get(title="Medicines and MAR chart audit")
    texts = [c.text for c in template.current_version().criteria.all()]
    assert texts == ["Every dose signed for", "Stock count matches the MAR"]


def _sign_in_rm(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("rm@example.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _saved(page) -> None:
    page.wait_for_function("document.getElementById('autosave-status').textContent.startsWith('Saved')")


def test_removing_a_row_by_keyboard_renumbers_the_rest_keeps_them_and_saves(world, page):
    template = TemplateFactory(provider=world.provider, criteria=1, default_sample_size=3)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    _sign_in_rm(page)
    page.goto(reverse("audits:audit_edit", args=[audit.pk]))
    for row in (1, 2, 3):
        page.get_by_label(f"Record reference, row {row}").fill(f"R-{row}00")
    page.get_by_label("Comment, row 2").fill("typed, not yet saved")
    page.get_by_role("button", name="Remove row 1").focus()
    page.keyboard.press("Enter")  # htmx posts the grid; the list comes back renumbered
    page.wait_for_function("document.activeElement && document.activeElement.value === 'R-200'")
    assert page.get_by_label("Record reference, row 1").input_value() == "R-200"
    assert page.get_by_label("Comment, row 1").input_value() == "typed, not yet saved"
    assert page.get_by_label("Record reference, row 2").input_value() == "R-300"
    assert page.locator("tr.record-row").count() == 2
    _saved(page)  # the removal asks for an autosave
    assert list(audit.records.values_list("record_ref", "comment")) == [
        ("R-200", "typed, not yet saved"),
        ("R-300", ""),
    ]


def test_the_copy_on_the_device_is_restored_without_a_connection_rows_added_and_all(world, page):
    template = TemplateFactory(provider=world.provider, criteria=1, default_sample_size=1)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    _sign_in_rm(page)
    page.route("**/autosave/", lambda route: route.abort())
    page.goto(reverse("audits:audit_edit", args=[audit.pk]))
    page.get_by_role("button", name="Add a record").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'records-1-ref'")
    page.keyboard.type("R-2002")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Yes
    page.wait_for_function("document.getElementById('autosave-status').textContent.includes('no connection')")

    page.route("**/audits/**/*-row/**", lambda route: route.abort())  # restoring must not need the server
    page.reload()  # the copy is put back by itself, its added row built from the empty row
    page.wait_for_function("document.querySelectorAll('tr.record-row').length === 2")
    assert page.get_by_label("Record reference, row 2").input_value() == "R-2002"
    assert page.locator("#overall-compliance").inner_text().startswith("100% (1 of 1")
    page.wait_for_function("document.getElementById('autosave-status').textContent.includes('no connection')")

    page.unroute("**/autosave/")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # back online: the copy is sent
    _saved(page)
    assert list(audit.records.values_list("record_ref", "answers")) == [("R-2002", {"c1": "yes"})]


def test_an_autosave_refused_or_signed_out_says_why_and_keeps_the_copy(world, page):
    template = TemplateFactory(provider=world.provider, criteria=1, default_sample_size=1)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    _sign_in_rm(page)
    page.goto(reverse("audits:audit_edit", args=[audit.pk]))
    page.get_by_label("Record reference, row 1").fill("Jane Doe")
    expect(page.locator("#autosave-status")).to_contain_text("not saved: record reference in row 1 — “Jane Doe”")
    kept = [c for c in page.context.cookies() if c["name"] != "sessionid"]
    page.context.clear_cookies()  # the session times out; the CSRF cookie stays
    page.context.add_cookies(kept)
    page.get_by_label("Record reference, row 1").fill("R-4004")
    page.wait_for_function("document.getElementById('autosave-status').textContent.includes('signed out')")
    assert "R-4004" in page.evaluate(f"localStorage.getItem('audit-draft-{audit.pk}')")
    assert audit.records.count() == 0
