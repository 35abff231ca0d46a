"""Downloads people can open: the one home for writing .xlsx and CSV files (and sending a .docx).

Tabular writing only, no domain. Each feature's selectors build ``Table`` rows of plain
Python values (text, numbers, dates, datetimes, booleans, None) and its views call
``xlsx_response`` or ``csv_response``; what a row holds and who may see it stays with the
feature and the permission policy.

Both writers are formula-safe: a text value starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is never run as a formula. In .xlsx it is stored as text with Excel's
own "quote prefix" (shown exactly as typed, still text when the cell is edited); in CSV, which
has no types, it gets a leading apostrophe. CSV is UTF-8 with a byte-order mark, so Excel
shows "–" and "é" as typed rather than "â€“". Workbooks are written in openpyxl's write-only
mode (rows go to disk as they come) and sent from a temporary file.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv; charset=utf-8"
BOM = "\ufeff"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "d mmm yyyy"
DATETIME_FORMAT = "d mmm yyyy hh:mm"
MAX_WIDTH = 80
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    """One column: its header, its width in characters and (for numbers) an Excel number format."""

    header: str
    width: int = 16
    number_format: str = ""
    wrap: bool = False


@dataclass
class Table:
    """A sheet (or a CSV file): a title, its columns and its rows (each a sequence of values)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def xml_safe(text: str) -> str:
    """``text`` without the control characters .xlsx and .docx (XML) cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _local(value: datetime.datetime) -> datetime.datetime:
    """A naive local datetime (Excel has no time zones)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None, microsecond=0)


def _plain(value: Any) -> Any:
    """Booleans as Yes/No, None as blank; everything else as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value


# --- CSV --------------------------------------------------------------------------------


def csv_text(value: Any) -> str:
    """One value as CSV text: dates ISO, datetimes local to the minute, formulas defused."""
    value = _plain(value)
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if is_formula_like(value):  # text only: a negative number stays a number
        return f"'{value}"
    return str(value)


def csv_response(table: Table, filename: str) -> HttpResponse:
    """``table`` as a UTF-8 CSV download with a byte-order mark."""
    response = HttpResponse(content_type=CSV)
    _attachment(response, filename)
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow([csv_text(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_text(v) for v in row])
    return response


# --- xlsx -------------------------------------------------------------------------------


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of []:*?/\\)."""
    base = _SHEET_NAME_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell(ws, value: Any, column: Column) -> WriteOnlyCell | Any:
    value = _plain(value)
    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(ws, value=_local(value))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, int | float):
        if not column.number_format:
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = column.number_format
        return cell
    text = xml_safe(str(value))
    if is_formula_like(text) or column.wrap:
        cell = WriteOnlyCell(ws, value=text)
        if is_formula_like(text):
            cell.data_type = "s"  # text, never a formula
            cell.quotePrefix = True  # and still text when someone edits the cell
        if column.wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    return text


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E7EEF7")


def write_workbook(tables: Iterable[Table], handle) -> None:
    """Write ``tables`` as the sheets of one workbook to the binary file ``handle``."""
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(sheet_title(xml_safe(table.title), taken))
        ws.freeze_panes = "A2"
        for i, column in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(column.width, MAX_WIDTH)
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(ws, value=xml_safe(column.header))
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            if is_formula_like(column.header):
                cell.data_type, cell.quotePrefix = "s", True
            header.append(cell)
        ws.append(header)
        if table.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}1"
        for row in table.rows:
            ws.append([_cell(ws, v, c) for v, c in zip(row, table.columns, strict=False)])
    if not wb.worksheets:
        wb.create_sheet("Empty")
    wb.save(handle)


def xlsx_response(tables: Iterable[Table], filename: str) -> FileResponse:
    """``tables`` as one .xlsx download, one sheet each, sent from a temporary file."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_workbook(tables, handle)
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX)
    _attachment(response, filename)
    return response


# --- docx -------------------------------------------------------------------------------


def docx_response(document, filename: str) -> HttpResponse:
    """A python-docx ``Document`` as a download (the layout is the feature's)."""
    buffer = io.BytesIO()
    document.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=DOCX)
    _attachment(response, filename)
    return response


# --- shared -----------------------------------------------------------------------------


def download_name(*parts: str, ext: str) -> str:
    """``"action-plan-oak-house-2026-12-01.xlsx"``: the parts slugified, today's date, the extension."""
    words = [slugify(p) for p in parts if p] + [timezone.localdate().isoformat()]
    return "-".join(w for w in words if w) + f".{ext}"


def _attachment(response, name: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
