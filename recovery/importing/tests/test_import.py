"""Importing a real-looking action plan: through the web preview, through import_plan, and again.

The plan (``plans.build_plan``) has its header on row 3 under merged title cells, mixed date
formats, blank rows, a row with no action text, an owner who matches nobody, an unreadable
date and an unknown key question; each problem row is named and nothing else is lost.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from recovery.importing import reading, services
from recovery.importing.models import ImportedRow, PlanImport
from recovery.importing.tests.plans import IMPORTED, PROBLEMS, ROWS, build_plan
from recovery.models import FailureTheme, RecoveryAction

pytestmark = pytest.mark.django_db
S = RecoveryAction.Status


def _upload(client, service, data: bytes, name="plan.xlsx"):
    url = reverse("recovery:plan_import_upload", kwargs={"service": service.slug})
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def _web_import(client, world, data=None):
    response = _upload(client, world.service, data or build_plan())
    plan_import = PlanImport.objects.latest("pk")
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("recovery:plan_import_mapping", kwargs={"pk": plan_import.pk})
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    form = {f"col_{i}": m for i, m in enumerate(plan_import.mapping)}
    response = client.post(response["Location"], form)
    assert response.status_code == 302
    return plan_import, response["Location"]


def test_web_preview_names_every_problem_row_and_writes_nothing_until_confirm(world, client):
    client.force_login(world.rm)
    data = build_plan()
    plan_import, preview_url = _web_import(client, world, data)
    assert plan_import.mapping[:8] == [
        "ref",
        "issue",
        "key_question",
        "regulation",
        "action",
        "owner",
        "due",
        "outcome",
    ]
    page = client.get(preview_url)
    body = page.content.decode()
    for number in ROWS:  # every row of the file is shown, blank rows are not
        assert f'id="row-{number}"' in body
    assert 'id="row-5"' not in body and 'id="row-9"' not in body
    for number, words in PROBLEMS.items():
        row_html = body.split(f'id="row-{number}"')[1].split("</tr>")[0]
        assert "text-danger" in row_html and words.split()[0] in row_html, number
    assert RecoveryAction.objects.count() == 0 and FailureTheme.objects.count() == 0

    # Fix the owner of row 8 in the preview and skip row 12; the others stay as they are.
    rows = {f"rows-{i}-row": str(n) for i, n in enumerate(sorted(PROBLEMS))}
    fixes = {"rows-TOTAL_FORMS": "4", "rows-INITIAL_FORMS": "4", **rows}
    fixes["rows-1-owner"] = str(world.lead.pk)
    fixes["rows-3-skip"] = "on"
    assert client.post(preview_url, fixes).status_code == 302
    confirm = reverse("recovery:plan_import_confirm", kwargs={"pk": plan_import.pk})
    assert client.post(confirm).status_code == 302

    imported = {r.row_number: r.action for r in ImportedRow.objects.select_related("action")}
    assert sorted(imported) == sorted([*IMPORTED, 8])
    assert imported[8].owner == world.lead
    # Baseline and intended outcome: open; no outcome: a draft. RAG/status never closes anything.
    assert imported[4].status == S.OPEN and imported[6].status == S.DRAFT
    assert not RecoveryAction.objects.filter(status=S.CLOSED).exists()
    assert imported[10].status == S.OPEN  # "Complete - closed ..." in the file is a note, not a closure
    assert ImportedRow.objects.get(row_number=10).notes["Progress update"].startswith("Complete")
    assert imported[6].owner == world.rm  # "Registered manager": the one person in that role
    assert str(imported[6].due_date) == "2027-03-31" and str(imported[8].due_date) == "2027-04-30"
    assert imported[4].theme.title == "Medicines records incomplete"
    assert imported[4].theme.regulations == ["reg12"]
    notes = ImportedRow.objects.get(row_number=4).notes
    assert notes["RAG"] == "Amber" and notes["Cost centre"] == "Pharmacy visit booked"
    # Rows 10 and 11 share an issue: one theme (row 11 was skipped for its date).
    assert FailureTheme.objects.filter(title="Staffing instability").count() == 1
    plan_import.refresh_from_db()
    skipped = dict(map(tuple, plan_import.result["skipped"]))
    assert set(skipped) == {7, 11, 12} and "ASAP" in skipped[11] and "preview" in skipped[12]
    entry = LogEntry.objects.get_for_object(plan_import).get()
    assert entry.changes["file_sha256"][1] == reading.sha256_of(data)
    assert entry.changes["rows_in_file"][1] == str(len(ROWS)) and entry.actor == world.rm
    assert client.get(imported[4].get_absolute_url()).content.decode().count("Pharmacy visit booked") == 1

    # A second import of the same file adds nothing.
    again, preview_url = _web_import(client, world, data)
    client.post(reverse("recovery:plan_import_confirm", kwargs={"pk": again.pk}))
    again.refresh_from_db()
    assert RecoveryAction.objects.count() == 4 and again.result["imported"] == []
    assert any("unchanged" in why for _n, why in again.result["skipped"])


def test_import_plan_command_imports_names_skipped_rows_and_a_second_run_adds_nothing(world, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(build_plan())
    out = io.StringIO()
    call_command("import_plan", str(path), "--service", world.service.slug, "--dry-run", stdout=out)
    assert "Would import 3 row(s)" in out.getvalue() and RecoveryAction.objects.count() == 0
    assert PlanImport.objects.count() == 0  # a dry run keeps nothing, not even the import
    out = io.StringIO()
    call_command("import_plan", str(path), "--service", world.service.slug, stdout=out)
    text = out.getvalue()
    assert "Imported 3 row(s), updated 0, skipped 4" in text
    for number, words in PROBLEMS.items():
        assert f"row {number}: skipped." in text and words.split()[0] in text.split(f"row {number}:")[1].split("\n")[0]
    assert RecoveryAction.objects.count() == 3

    with pytest.raises(CommandError, match="Nothing could be imported"):
        call_command("import_plan", str(path), "--service", world.service.slug, stdout=io.StringIO())
    assert RecoveryAction.objects.count() == 3

    # An updated file: a changed outcome updates the action (and opens the draft) by its ID.
    rows = {**ROWS, 6: [*ROWS[6][:7], "Every change escalated within the shift", *ROWS[6][8:]]}
    path.write_bytes(build_plan(rows))
    out = io.StringIO()
    call_command("import_plan", str(path), "--service", world.service.slug, stdout=out)
    assert "Imported 0 row(s), updated 1" in out.getvalue()
    action = ImportedRow.objects.get(row_key="ref:a2").action
    assert action.intended_outcome == "Every change escalated within the shift" and action.status == S.OPEN
    assert RecoveryAction.objects.count() == 3


def test_csv_with_bom_and_windows_1252_import_the_same(world):
    header = "Issue,Action,Owner,Due date,Outcome\r\n"
    row = "Falls not reviewed – repeat,Post-fall huddle,Lead Persona,31/01/2027,Fewer repeat falls\r\n"
    for data in (b"\xef\xbb\xbf" + (header + row).encode(), (header + row).encode("cp1252")):
        plan_import = services.plan_import_start(actor=world.rm, service=world.service, filename="p.csv", data=data)
        plan_import = services.plan_import_map(actor=world.rm, plan_import=plan_import, mapping=plan_import.mapping)
        [plan] = services.preview(plan_import)
        assert plan.issue == "Falls not reviewed – repeat" and not plan.problems


def _xlsx(fill) -> bytes:
    book = openpyxl.Workbook()
    fill(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ods() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Plan")
    for cells in (
        ["Issue", "Action", "Owner", "Due"],
        ["Records gaps", "Daily record audit", "Rm Persona", "1/2/2027"],
    ):
        tr = TableRow()
        for value in cells:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_ods_is_read(world):
    plan_import = services.plan_import_start(actor=world.rm, service=world.service, filename="p.ods", data=_ods())
    plan_import = services.plan_import_map(actor=world.rm, plan_import=plan_import, mapping=plan_import.mapping)
    [plan] = services.preview(plan_import)
    assert plan.action == "Daily record audit" and plan.owner_id == world.rm.pk and str(plan.due) == "2027-02-01"


def _many(ws):
    ws.append(["Issue", "Action", "Owner", "Due"])
    for i in range(50_000):
        ws.append([f"Issue {i}", f"Action {i}", "Rm Persona", "1/2/2027"])


def _formula(ws):
    ws.append(["Issue", "Action", "Owner", "Due"])
    ws.append(["Records", '=A2&" audit"', "Rm Persona", "1/2/2027"])


BAD_FILES = {
    "empty": (b"", "empty"),
    "not a spreadsheet": (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" + bytes(200), "not a spreadsheet"),
    "word document": (None, "not a spreadsheet"),
    "encrypted": (reading.OLE_MAGIC + bytes(100) + "EncryptionInfo".encode("utf-16-le") + bytes(100), "password"),
    "old xls": (reading.OLE_MAGIC + bytes(300), "Save As"),
    "50,000 rows": (None, "more than 5,000 rows"),
    "formulas never calculated": (None, "formulas with no saved result"),
    "header only": (b"Issue,Action,Owner\r\n", "no rows of actions"),
    "too large": (b"Issue,Action\r\n" + b"x" * (10 * 1024 * 1024), "larger than 10 MB"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_gets_a_clear_message_on_the_upload_page_and_writes_nothing(world, client, kind):
    data, message = BAD_FILES[kind]
    if kind == "50,000 rows":
        data = _xlsx(_many)
    elif kind == "formulas never calculated":
        data = _xlsx(_formula)
    elif kind == "word document":
        out = io.BytesIO()
        import zipfile

        with zipfile.ZipFile(out, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")
        data = out.getvalue()
    client.force_login(world.rm)
    response = _upload(client, world.service, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PlanImport.objects.count() == 0 and RecoveryAction.objects.count() == 0


def test_another_providers_import_is_not_found(world, client):
    plan_import = services.plan_import_start(
        actor=world.outsider, service=world.other_service, filename="p.xlsx", data=build_plan()
    )
    client.force_login(world.rm)
    for name in ("plan_import_mapping", "plan_import_preview"):
        assert client.get(reverse(f"recovery:{name}", kwargs={"pk": plan_import.pk})).status_code == 404
    assert client.post(reverse("recovery:plan_import_confirm", kwargs={"pk": plan_import.pk})).status_code == 404


def test_a_long_file_offers_fix_forms_for_the_first_hundred_problem_rows_and_lists_the_rest(world, client):
    lines = ["Issue,Action,Owner,Due"] + [f"Issue {i},Action {i},Nobody {i},31/01/2027" for i in range(150)]
    data = "\r\n".join(lines).encode()
    plan_import = services.plan_import_start(actor=world.rm, service=world.service, filename="p.csv", data=data)
    services.plan_import_map(actor=world.rm, plan_import=plan_import, mapping=plan_import.mapping)
    client.force_login(world.rm)
    page = client.get(reverse("recovery:plan_import_preview", kwargs={"pk": plan_import.pk})).content.decode()
    assert page.count('name="rows-99-skip"') == 1 and 'name="rows-100-skip"' not in page
    assert "50 more row(s) with problems" in page and 'id="row-151"' in page


def test_an_issue_merged_down_over_its_actions_belongs_to_each_row():
    def fill(ws):
        ws.append(["Plan"])
        ws.append(["Issue", "Action", "Owner", "Due"])
        ws.append(["Falls not reviewed", "Post-fall huddle", "Rm Persona", "1/2/2027"])
        ws.append([None, "Monthly falls analysis", "Rm Persona", "1/3/2027"])
        ws.merge_cells("A3:A4")

    sheet = reading.read_plan(_xlsx(fill))
    assert [cells[0] for _n, cells in sheet.rows[2:]] == ["Falls not reviewed", "Falls not reviewed"]


def test_headings_people_use_map_to_the_fields():
    from recovery.importing.mapping import find_header, propose_mapping

    heads = ["No.", "CQC finding", "Actions required", "Person responsible", "Target date", "How will we know?"]
    assert propose_mapping(heads) == ["ref", "issue", "action", "owner", "due", "outcome"]
    assert find_header([(1, ["Oak House action plan"]), (2, heads), (3, ["1", "x", "y"])]) == 1
