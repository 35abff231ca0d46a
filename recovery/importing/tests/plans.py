"""A real-looking action plan, built with openpyxl as a provider's own spreadsheet would be:
a merged title and subtitle above the header (row 3), mixed date formats, blank rows, a row
with no action text, an owner who matches nobody, an unreadable date and an unknown key question."""

from __future__ import annotations

import datetime
import io

import openpyxl

HEADER = [
    "Ref",
    "Area of concern",
    "Key question",
    "Regulation",
    "Action to be taken",
    "Lead",
    "By when",
    "How we will know",
    "RAG",
    "Progress update",
    "Cost centre",
]

ROWS = {
    # row number -> cells
    4: [
        "A1",
        "Medicines records incomplete",
        "Safe",
        "Reg 12",
        "Weekly MAR chart audit by the deputy",
        "Deputy Persona",
        datetime.datetime(2027, 2, 28),
        "95% of sampled MAR charts complete for 8 weeks",
        "Amber",
        "Audit tool drafted",
        "Pharmacy visit booked",
    ],
    6: [
        "A2",
        "Deterioration not escalated",
        "Safe",
        12,
        "Senior carers escalate changes within the shift",
        "Registered manager",
        "31/03/2027",
        "",
        "Red",
        "Not started",
        "",
    ],
    7: ["A3", "Complaints about communication", "Responsive", "Reg 16", "", "Lead Persona", "1 Apr 2027"],
    8: [
        "A4",
        "Audits do not challenge",
        "Well-led",
        "Regulation 17",
        "Monthly audit of audits by the quality lead",
        "Jo Nobody",
        "April 2027",
        "90% of audits with findings, owners and impact checks",
        "Red",
    ],
    10: [
        "A5",
        "Staffing instability",
        "Safe",
        "Reg 18",
        "Rota reviewed weekly against planned staffing",
        "deputy@example.test",
        "2027-02-15",
        "Four consecutive weeks of planned staffing",
        "Green",
        "Complete - closed at the October meeting",
    ],
    11: ["A6", "Staffing instability", "Safe", "", "Agency staff inducted on first shift", "Lead Persona", "ASAP"],
    12: [
        "A7",
        "Dignity at mealtimes",
        "Compassion",
        "Reg 10",
        "Mealtime observations each week",
        "Lead Persona",
        "15.03.27",
        "",
        "Amber",
    ],
}
IMPORTED = [4, 6, 10]
PROBLEMS = {7: "No action text", 8: "Jo Nobody", 11: "ASAP", 12: "Compassion"}


def build_plan(rows: dict | None = None) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Action plan"
    ws["A1"] = "Oak House: CQC inspection action plan"
    ws.merge_cells("A1:K1")
    ws["A2"] = "Inspected 12 May 2026. Updated monthly by the registered manager."
    ws.merge_cells("A2:K2")
    ws.append(HEADER)
    for number, cells in sorted((rows or ROWS).items()):
        for column, value in enumerate(cells, start=1):
            ws.cell(row=number, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
