"""A registered manager clicks "Excel" on the recovery map and gets a workbook that opens,
with the plan in it: the download a commissioner is sent."""

from __future__ import annotations

import datetime

import openpyxl
import pytest

from recovery.tests.factories import ActionFactory, ThemeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rm_downloads_the_action_plan_as_excel(world, page, sign_in):
    theme = ThemeFactory(service=world.service, title="Late escalation – deterioration", owner=world.rm)
    action = ActionFactory(
        theme=theme,
        title="Weekly sampling of escalation records",
        owner=world.deputy,
        due_date=datetime.date(2026, 3, 31),
    )
    sign_in("rm@example.test")
    page.goto(f"/services/{world.service.slug}/recovery-map/")
    group = page.get_by_role("group", name="Export the action plan")
    with page.expect_download() as download:
        group.get_by_role("link", name="Excel").click()
    assert download.value.suggested_filename.startswith(f"action-plan-{world.service.slug}-")
    assert download.value.suggested_filename.endswith(".xlsx")

    with open(download.value.path(), "rb") as handle:  # the saved download has no extension
        wb = openpyxl.load_workbook(handle)
    ws = wb["Actions"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["Ref"] == action.reference
    assert row["Theme"] == "Late escalation – deterioration"
    assert row["Action"] == "Weekly sampling of escalation records"
    assert row["Due"] == datetime.datetime(2026, 3, 31)
