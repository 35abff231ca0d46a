"""Importing an existing plan through a real browser, as the quality lead.

Service page -> Import a plan -> upload the real-looking workbook -> the columns as guessed
(one changed and changed back) -> the preview names every problem row -> the owner nobody
matched is fixed by choosing a person, the row with an unreadable date is skipped -> import ->
the summary lists the skipped rows and the actions are on the plan.
"""

import pytest
from playwright.sync_api import expect

from recovery.importing.models import ImportedRow
from recovery.importing.tests.plans import IMPORTED, PROBLEMS, build_plan
from recovery.models import RecoveryAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_quality_lead_imports_a_plan_fixing_and_skipping_rows(world, page, sign_in, tmp_path):
    plan = tmp_path / "oak-house-action-plan.xlsx"
    plan.write_bytes(build_plan())
    sign_in("quality@example.test")
    page.goto(f"/services/{world.service.slug}/")
    # The themes (and their "Import a plan") are below the service page's fold: loaded when scrolled to.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.get_by_role("link", name="Import a plan")).to_be_visible()
    page.get_by_role("link", name="Import a plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import an action plan")
    page.get_by_label("Action plan file").set_input_files(str(plan))
    page.get_by_role("button", name="Upload and choose columns").click()

    # The columns, as guessed from the header on row 3.
    expect(page.get_by_role("heading", level=1)).to_have_text("Which column is which?")
    expect(page.get_by_text("found on row 3")).to_be_visible()
    lead = page.get_by_label("Lead")
    expect(lead).to_have_value("owner")
    expect(page.get_by_label("Action to be taken")).to_have_value("action")
    expect(page.get_by_label("By when")).to_have_value("due")
    expect(page.get_by_label("RAG", exact=True)).to_have_value("risk")
    page.get_by_label("Action to be taken").select_option("")
    page.get_by_role("button", name="Check the rows").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the column that holds the action.")
    page.get_by_label("Action to be taken").select_option("action")
    page.get_by_role("button", name="Check the rows").click()

    # Every problem row is named; nothing is written yet.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check the rows")
    for number in PROBLEMS:
        expect(page.locator(f"#row-{number}")).to_have_class("table-warning")
    expect(page.locator("#row-8")).to_contain_text("“Jo Nobody” matches nobody")
    expect(page.locator("#row-11")).to_contain_text("“ASAP” is not a date we can read")
    expect(page.locator("#row-7")).to_contain_text("No action text.")
    expect(page.locator("#row-12")).to_contain_text("“Compassion” is not a CQC key question.")
    assert RecoveryAction.objects.count() == 0

    page.locator("#row-8").get_by_label("Owner").select_option(label=str(world.lead))
    page.locator("#row-11").get_by_label("Skip this row").check()
    page.get_by_role("button", name="Save fixes and check again").click()
    expect(page.locator("#row-8")).not_to_have_class("table-warning")
    expect(page.locator("#row-8")).to_contain_text(str(world.lead))
    expect(page.locator("#row-11")).to_contain_text("Skipped")

    page.get_by_role("button", name="Import the rows").click()
    expect(page.locator("#import-summary")).to_contain_text("Imported 4 row(s), updated 0, skipped 3")
    expect(page.locator("#import-summary")).to_contain_text("SHA-256")
    skipped = page.locator("#skipped-rows")
    expect(skipped).to_contain_text("Row 7: No action text.")
    expect(skipped).to_contain_text("Row 11: Skipped in the preview.")
    expect(skipped).to_contain_text("Row 12:")
    assert sorted(ImportedRow.objects.values_list("row_number", flat=True)) == sorted([*IMPORTED, 8])

    page.get_by_role("link", name=f"Go to {world.service.name}'s plan").click()
    expect(page.get_by_role("heading", name="Recovery dashboard")).to_be_visible()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the themes load when scrolled to
    expect(page.get_by_role("link", name="Medicines records incomplete")).to_be_visible()
