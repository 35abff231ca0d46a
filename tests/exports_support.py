"""Reading exports back in tests, as a person's spreadsheet or word processor would."""

from __future__ import annotations

import csv
import io

import docx
import openpyxl

from core.exports import BOM, CSV, DOCX, XLSX


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download, after checking it is one and starts with the UTF-8 BOM."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == CSV
    assert response["Content-Disposition"].startswith("attachment;")
    body = _body(response)
    assert body.startswith(BOM.encode("utf-8")), body[:10]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def workbook(response) -> openpyxl.Workbook:
    """The workbook of an .xlsx download (openpyxl reads it back, formulas as formulas)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(_body(response)))


def sheet_rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def assert_sheet_header(ws, header: list[str]) -> None:
    """The header is the first row, bold, and frozen above the rest."""
    assert [c.value for c in ws[1]] == header
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"


def document(response) -> docx.document.Document:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"].startswith("attachment;")
    return docx.Document(io.BytesIO(_body(response)))


def document_text(doc) -> str:
    """Every paragraph and table cell of a .docx, one per line."""
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)
