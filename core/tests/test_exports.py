"""The shared export writers: what Excel and a CSV reader get back."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo

import openpyxl
import pytest

from core.exports import BOM, Column, Table, csv_response, sheet_title, write_workbook, xlsx_response

COLUMNS = (Column("Name", 30), Column("Due", 12), Column("Score", 8, "0.0"), Column("Done"), Column("At"))
ROWS = [
    ("Falls review – January", datetime.date(2026, 1, 31), 83.25, True, None),
    ("=1+1", None, -2, False, datetime.datetime(2026, 3, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))),
    ("+44 20 7946 0000", None, None, None, None),
    ("-", None, None, None, None),
    ("@SUM(A1)", None, None, None, None),
    ("\tTabbed", None, None, None, None),
    ("\rReturn", None, None, None, None),
]


def _workbook(tables) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    write_workbook(tables, buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_xlsx_has_a_bold_frozen_header_widths_dates_and_numbers():
    ws = _workbook([Table("Plan", COLUMNS, ROWS)])["Plan"]
    assert [c.value for c in ws[1]] == ["Name", "Due", "Score", "Done", "At"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 30
    assert ws["B2"].is_date and ws["B2"].value == datetime.datetime(2026, 1, 31)
    assert ws["E3"].is_date  # an aware datetime is written as local time (Excel has no zones)
    assert ws["C2"].value == 83.25 and ws["C2"].number_format == "0.0"
    assert ws["C3"].value == -2  # a negative number stays a number
    assert ws["D2"].value == "Yes" and ws["D3"].value == "No"
    assert ws["A2"].value == "Falls review – January"


def test_xlsx_never_stores_a_formula():
    ws = _workbook([Table("Plan", COLUMNS, ROWS)])["Plan"]
    for row in range(3, 3 + 5 + 1):
        cell = ws.cell(row=row, column=1)
        assert cell.data_type == "s", (cell.value, cell.data_type)
        assert cell.quotePrefix, cell.value
    assert ws["A3"].value == "=1+1"  # shown exactly as typed


def test_csv_has_the_bom_iso_dates_and_defused_formulas():
    response = csv_response(Table("Plan", COLUMNS, ROWS), "plan.csv")
    body = response.content
    assert body.startswith(BOM.encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Due", "Score", "Done", "At"]
    assert rows[1] == ["Falls review – January", "2026-01-31", "83.25", "Yes", ""]
    assert [r[0] for r in rows[2:]] == ["'=1+1", "'+44 20 7946 0000", "'-", "'@SUM(A1)", "'\tTabbed", "'\rReturn"]
    assert rows[2][2] == "-2"  # numbers are not text
    assert rows[2][4].startswith("2026-03-01 ")


def test_control_characters_are_dropped_not_a_server_error():
    ws = _workbook([Table("Plan", COLUMNS, [("Bell\x07 and\x00 null", None, None, None, None)])])["Plan"]
    assert ws["A2"].value == "Bell and null"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    assert sheet_title("Actions: open/closed [all]", taken) == "Actions  open closed  all"
    assert sheet_title("x" * 40, taken) == "x" * 31
    assert sheet_title("x" * 40, taken) == "x" * 27 + " (2)"


@pytest.mark.django_db
def test_xlsx_response_is_an_attachment():
    response = xlsx_response([Table("Plan", COLUMNS, ROWS[:1])], "plan-2026.xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="plan-2026.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["Plan"]
