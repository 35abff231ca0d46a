"""Files -> rows: read an uploaded action plan into a grid of plain cell values.

openpyxl reads .xlsx (and .xls saved as .xlsx), odfpy reads .ods, the standard library reads
CSV (UTF-8 with or without a byte-order mark, else Windows-1252). We read the raw grid, not
"a table with headers on the first row", because real plans put titles and merged cells
above the header row; finding that row is ``mapping.find_header``'s job.

Each row is ``(row_number, [cell, ...])`` with the spreadsheet's own row number (so problems
can be named as "row 7"), cells as ``str``, ``datetime.date`` or numbers, and blank rows
left out. A cell merged over several rows or columns carries the merged value in each.

Anything that is not a plan we can read raises ``UnreadableFile`` with a message for the
person who uploaded it; nothing is written before these checks pass.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass, field

# The largest plan accepted: a recovery plan is tens to hundreds of rows; 5,000 leaves room
# for a provider-wide register and refuses a data dump (checked while reading, before parsing
# the rest). The file itself may be at most MAX_BYTES.
MAX_ROWS = 5000
MAX_COLUMNS = 60
MAX_BYTES = 10 * 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class UnreadableFile(Exception):
    """The file cannot be imported; ``str(exc)`` says why, in words for the uploader."""


@dataclass
class Sheet:
    kind: str  # "xlsx", "ods", "csv"
    name: str
    rows: list[tuple[int, list]] = field(default_factory=list)
    sha256: str = ""
    encoding: str = ""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_plan(data: bytes, filename: str = "") -> Sheet:
    """Read the first sheet of a plan file (any supported kind, told apart by content)."""
    if not data or not data.strip():
        raise UnreadableFile("The file is empty.")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; a plan is much smaller.")
    if data.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data.replace(b"\x00", b""):
            raise UnreadableFile(
                "This spreadsheet is password-protected. Open it, remove the password "
                "(File > Info > Protect workbook > Encrypt with password), save it and upload it again."
            )
        raise UnreadableFile(
            "This is an old-style Excel .xls file. Open it and use Save As > Excel Workbook (.xlsx), then upload that."
        )
    if data.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            raise UnreadableFile("The file looks like a damaged spreadsheet: it could not be opened.") from None
        if "mimetype" in names and archive.read("mimetype").strip().startswith(ODS_MIME):
            sheet = _read_ods(archive, data)
        elif "xl/workbook.xml" in names:
            sheet = _read_xlsx(data)
        else:
            raise UnreadableFile(
                "This is not a spreadsheet (a .zip, a Word document or similar). Upload .xlsx, .ods or .csv."
            )
    else:
        sheet = _read_csv(data)
    sheet.sha256 = sha256_of(data)
    if not sheet.rows:
        raise UnreadableFile("The spreadsheet has no rows with anything in them.")
    return sheet


def _too_many_rows() -> UnreadableFile:
    return UnreadableFile(
        f"The sheet has more than {MAX_ROWS:,} rows. A recovery plan is much shorter: "
        "remove the rows that are not actions (or split the file) and upload it again."
    )


def _damaged(exc: Exception, kind: str) -> str:
    return (
        f"The spreadsheet could not be read ({type(exc).__name__}). Open it, save it again as {kind} and upload that."
    )


def _tidy(value):
    """A cell as the importer uses it: str (stripped), date, int/float, or None for blank."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, (datetime.date, int, float)) and not isinstance(value, bool):
        return value
    text = str(value).replace("\x00", "").strip()
    return text or None


def _keep(rows: list, number: int, cells: list) -> None:
    cells = [_tidy(c) for c in cells[:MAX_COLUMNS]]
    while cells and cells[-1] is None:
        cells.pop()
    if cells:
        rows.append((number, cells))


# --- xlsx ---------------------------------------------------------------------------------


def _read_xlsx(data: bytes) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Pass 1, streaming (read_only): count rows and find formulas, so a 50,000-row sheet
        # is refused before it is loaded whole.
        streamed = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        ws = streamed.worksheets[0]
        formulas: set[tuple[int, int]] = set()
        for count, row in enumerate(ws.iter_rows(), start=1):
            if count > MAX_ROWS:
                raise _too_many_rows()
            for cell in row[:MAX_COLUMNS]:
                if getattr(cell, "data_type", None) == "f":
                    formulas.add((cell.row, cell.column))
        streamed.close()
        # Pass 2: values as last calculated (data_only), and merged ranges.
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except UnreadableFile:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError) as exc:
        raise UnreadableFile(_damaged(exc, ".xlsx")) from None
    ws = book.worksheets[0]
    missing = [(r, c) for r, c in sorted(formulas) if ws.cell(row=r, column=c).value is None]
    if missing:
        from openpyxl.utils import get_column_letter

        cells = ", ".join(f"{get_column_letter(c)}{r}" for r, c in missing[:5])
        raise UnreadableFile(
            f"Some cells hold formulas with no saved result ({cells}{' and more' if len(missing) > 5 else ''}). "
            "Open the file in Excel or LibreOffice, save it and upload it again (or paste values over the formulas)."
        )
    grid: dict[int, list] = {}
    for row in ws.iter_rows(max_col=MAX_COLUMNS):
        grid[row[0].row] = [c.value for c in row]
    for merged in ws.merged_cells.ranges:
        value = ws.cell(row=merged.min_row, column=merged.min_col).value
        for r in range(merged.min_row, min(merged.max_row, ws.max_row) + 1):
            cells = grid.setdefault(r, [])
            for c in range(merged.min_col, min(merged.max_col, MAX_COLUMNS) + 1):
                while len(cells) < c:
                    cells.append(None)
                cells[c - 1] = value
    rows: list = []
    for number in sorted(grid):
        _keep(rows, number, grid[number])
    return Sheet(kind="xlsx", name=ws.title, rows=rows)


# --- ods ----------------------------------------------------------------------------------


def _read_ods(archive: zipfile.ZipFile, data: bytes) -> Sheet:
    manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in archive.namelist() else b""
    if b"encryption-data" in manifest:
        raise UnreadableFile(
            "This spreadsheet is password-protected. Open it, save a copy without a password and upload that."
        )
    from odf import opendocument
    from odf.namespaces import OFFICENS, TABLENS
    from odf.table import Table, TableRow

    try:
        doc = opendocument.load(io.BytesIO(data))
    except Exception as exc:  # odfpy raises whatever its XML parser raised
        raise UnreadableFile(_damaged(exc, ".ods")) from None
    tables = doc.spreadsheet.getElementsByType(Table)
    if not tables:
        raise UnreadableFile("The spreadsheet has no sheets.")
    table = tables[0]
    rows: list = []
    spans: dict[int, tuple[int, object]] = {}  # column -> (last row it covers, value) for row-merges
    number = 0
    for row in table.getElementsByType(TableRow):
        repeat = int(row.attributes.get((TABLENS, "number-rows-repeated"), 1) or 1)
        cells: list = []
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            times = min(int(cell.attributes.get((TABLENS, "number-columns-repeated"), 1) or 1), MAX_COLUMNS)
            value = _ods_value(cell, OFFICENS) if cell.qname[1] == "table-cell" else None
            for _ in range(times):
                if len(cells) >= MAX_COLUMNS:
                    break
                cells.append(value)
            if cell.qname[1] == "table-cell":
                across = int(cell.attributes.get((TABLENS, "number-columns-spanned"), 1) or 1)
                down = int(cell.attributes.get((TABLENS, "number-rows-spanned"), 1) or 1)
                start = len(cells) - 1
                for offset in range(1, min(across, MAX_COLUMNS - start)):
                    spans[start + offset] = (number + 1, value)  # covered cells to the right, this row
                if down > 1:
                    for offset in range(min(across, MAX_COLUMNS - start)):
                        spans[start + offset] = (number + down, value)
        empty = all(c is None for c in cells)
        if empty and repeat > 1:
            number += repeat  # trailing padding rows (often a million of them): counted, not expanded
            continue
        for _ in range(repeat):
            number += 1
            if number > MAX_ROWS:
                raise _too_many_rows()
            line = list(cells)
            for column, (until, value) in list(spans.items()):
                if number <= until:
                    while len(line) <= column:
                        line.append(None)
                    if line[column] is None:
                        line[column] = value
                else:
                    del spans[column]
            _keep(rows, number, line)
    return Sheet(kind="ods", name=str(table.getAttribute("name") or "Sheet1"), rows=rows)


def _ods_value(cell, officens):
    kind = cell.attributes.get((officens, "value-type"))
    if kind == "date":
        raw = cell.attributes.get((officens, "date-value")) or ""
        try:
            return datetime.date.fromisoformat(raw[:10])
        except ValueError:
            pass
    elif kind in ("float", "percentage", "currency"):
        raw = cell.attributes.get((officens, "value"))
        try:
            number = float(raw)
            return int(number) if number.is_integer() else number
        except (TypeError, ValueError):
            pass
    return "\n".join(_text(p) for p in cell.childNodes if p.qname[1] == "p") or None


def _text(node) -> str:
    out = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            out.append(str(child.data))
        elif child.qname[1] == "s":
            out.append(" " * int(child.attributes.get((child.qname[0], "c"), 1) or 1))
        elif child.qname[1] == "tab":
            out.append("\t")
        elif child.qname[1] == "line-break":
            out.append("\n")
        else:
            out.append(_text(child))
    return "".join(out)


# --- csv ----------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (a byte-order mark is dropped), else Windows-1252."""
    if b"\x00" in data[:4096]:
        raise UnreadableFile("This is not a spreadsheet or CSV file. Upload .xlsx, .ods or .csv.")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise UnreadableFile("This file is not text we can read as CSV. Save it as CSV UTF-8 or .xlsx.") from None


def _read_csv(data: bytes) -> Sheet:
    text, encoding = decode_text(data)
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise _too_many_rows()
            _keep(rows, number, cells)
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV file could not be read: {exc}.") from None
    if rows and max(len(cells) for _, cells in rows) < 2:
        raise UnreadableFile("This does not look like a plan: every row has one column. Upload .xlsx, .ods or .csv.")
    return Sheet(kind="csv", name="CSV", rows=rows, encoding=encoding)
