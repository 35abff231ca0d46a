"""Writes for plan imports: start (upload), choose columns, fix or skip rows, confirm.

Nothing reaches the plan before ``plan_import_confirm``, which writes every row in one
transaction through the plan services (``theme_create``, ``action_create``, ``action_update``)
and the closure door (``action_open``: a row with a baseline issue and an intended outcome
opens; every other row stays a draft). Status, progress and RAG columns are never read as a
status: they go to the row's notes with comments and unknown columns. The confirm leaves an
audit-trail entry on the import with the file's SHA-256 and row count.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import permissions as policy
from core.audit import log_update
from core.models import FrameworkItem, Service, User
from recovery.closure import services as closure
from recovery.importing.interpret import Context, RowPlan
from recovery.importing.mapping import FIELDS, check_mapping, find_header, normalise, propose_mapping
from recovery.importing.models import ImportedRow, PlanImport
from recovery.importing.reading import Sheet, UnreadableFile, read_plan
from recovery.importing.selectors import heads_of, preview
from recovery.models import FailureTheme, RecoveryAction
from recovery.plan import services as plan

FIXABLE = ("issue", "action", "owner", "due", "key_question")


def _json_cell(value):
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    return value


@transaction.atomic
def plan_import_start(*, actor, service: Service, filename: str, data: bytes) -> PlanImport:
    """Read the upload, find its header row and propose a mapping. Refuses (ValidationError on
    ``file``) what cannot be read; nothing of the plan is written."""
    policy.require(actor, policy.Verb.EDIT_PLAN, service)
    try:
        sheet: Sheet = read_plan(data, filename)
    except UnreadableFile as exc:
        raise ValidationError({"file": str(exc)}) from None
    index = find_header(sheet.rows)
    rows = [[number, [_json_cell(c) for c in cells]] for number, cells in sheet.rows[index:]]
    if len(rows) < 2:
        raise ValidationError({"file": "The sheet has a header row but no rows of actions below it."})
    plan_import = PlanImport.objects.create(
        provider_id=service.provider_id,
        service=service,
        created_by=actor,
        filename=(filename or "plan")[:255],
        file_kind=sheet.kind,
        file_sha256=sheet.sha256,
        file_size=len(data),
        sheet_name=sheet.name[:100],
        rows=rows,
        header_index=0,
    )
    plan_import.mapping = propose_mapping(heads_of(plan_import))
    plan_import.save(update_fields=["mapping"])
    return plan_import


def _check_open(plan_import: PlanImport) -> None:
    if plan_import.stage == PlanImport.Stage.IMPORTED:
        raise ValidationError("This file has already been imported. Upload it again to import it again.")


@transaction.atomic
def plan_import_map(*, actor, plan_import: PlanImport, mapping: list[str]) -> PlanImport:
    """Choose which column is which field; the preview follows."""
    policy.require(actor, policy.Verb.EDIT_PLAN, plan_import)
    plan_import = PlanImport.objects.select_for_update().get(pk=plan_import.pk)
    _check_open(plan_import)
    mapping = [m if m in FIELDS else "" for m in mapping]
    problems = check_mapping(mapping)
    if problems:
        raise ValidationError(problems)
    plan_import.mapping = mapping
    plan_import.stage = PlanImport.Stage.PREVIEW
    plan_import.save(update_fields=["mapping", "stage", "updated_at"])
    return plan_import


@transaction.atomic
def plan_import_fix(
    *, actor, plan_import: PlanImport, fixes: dict[int, dict], skipped: set[int], shown: set[int] | None = None
) -> PlanImport:
    """Keep what was typed in the preview for the rows it names (field -> value) and which of
    the rows ``shown`` (default: those in ``fixes``) to skip. Values are checked again when the
    preview is drawn and at confirm."""
    policy.require(actor, policy.Verb.EDIT_PLAN, plan_import)
    plan_import = PlanImport.objects.select_for_update().get(pk=plan_import.pk)
    _check_open(plan_import)
    numbers = {number for number, _cells in plan_import.rows[1:]}
    stored = dict(plan_import.fixes)
    for number, values in fixes.items():
        if number not in numbers:
            continue
        kept = {k: v for k, v in values.items() if k in FIXABLE and v not in (None, "")}
        if kept:
            stored[str(number)] = {**stored.get(str(number), {}), **kept}
    plan_import.fixes = stored
    shown = (set(fixes) if shown is None else set(shown)) & numbers
    plan_import.skipped = sorted((set(plan_import.skipped) - shown) | (set(skipped) & shown))
    plan_import.save(update_fields=["fixes", "skipped", "updated_at"])
    return plan_import


@dataclass
class ImportResult:
    imported: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "updated": self.updated, "skipped": [list(s) for s in self.skipped]}


class _Themes:
    """Themes at the service, matched by title (case, spacing, punctuation ignored), made once."""

    def __init__(self, *, actor, plan_import: PlanImport, owners: dict[int, User]):
        self.actor, self.plan_import, self.owners = actor, plan_import, owners
        self.known = {normalise(t.title): t for t in FailureTheme.objects.filter(service=plan_import.service)}

    def for_row(self, row: RowPlan) -> FailureTheme:
        key = normalise(row.theme_title)
        theme = self.known.get(key)
        if theme is None:
            theme = plan.theme_create(
                actor=self.actor,
                provider=self.plan_import.service.provider,
                service=self.plan_import.service,
                check_permission=False,
                title=row.theme_title,
                weakness_found=row.issue or row.theme_title,
                source=FailureTheme.Source.INSPECTION,
                source_reference=f"Imported from {self.plan_import.filename}"[:200],
                regulations=row.regulations,
                risk_level=row.risk,
                owner=self.owners[row.owner_id],
                framework_items=FrameworkItem.objects.filter(pk__in=row.statements),
            )
            self.known[key] = theme
        return theme


def _action_fields(row: RowPlan, owners: dict[int, User]) -> dict:
    return {
        "title": row.action[:200],
        "baseline_issue": row.issue or row.theme_title,
        "intended_outcome": row.outcome,
        "owner": owners[row.owner_id],
        "due_date": row.due,
        "risk_level": row.risk,
    }


def _why_not(row: RowPlan) -> str:
    return " ".join(row.problems.values())


@transaction.atomic
def plan_import_confirm(*, actor, plan_import: PlanImport, dry_run: bool = False) -> ImportResult:
    """Write the plan: every row without problems that the user did not skip, in one
    transaction. A row already imported (same row key) is updated when it changed, else
    skipped; rows with problems are skipped with their reasons. ``dry_run`` works it all out
    and rolls back."""
    policy.require(actor, policy.Verb.EDIT_PLAN, plan_import)
    plan_import = (
        PlanImport.objects.select_for_update(of=("self",)).select_related("service__provider").get(pk=plan_import.pk)
    )
    _check_open(plan_import)
    if check_mapping(plan_import.mapping):
        raise ValidationError(check_mapping(plan_import.mapping))
    ctx = Context.load(plan_import.service)
    rows = preview(plan_import, ctx)
    owners = {u.pk: u for u in User.objects.filter(pk__in={r.owner_id for r in rows if r.owner_id})}
    themes = _Themes(actor=actor, plan_import=plan_import, owners=owners)
    found = ImportedRow.objects.filter(service=plan_import.service, row_key__in=[r.key for r in rows])
    existing = {r.row_key: r for r in found.select_related("action")}
    user_skipped = set(plan_import.skipped)
    result = ImportResult()
    new_rows: list[ImportedRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.number in user_skipped:
            result.skipped.append((row.number, "Skipped in the preview."))
            continue
        if row.problems:
            result.skipped.append((row.number, _why_not(row)))
            continue
        if row.key in seen:
            result.skipped.append((row.number, f"The same issue and action as row {seen[row.key]}."))
            continue
        seen[row.key] = row.number
        before = existing.get(row.key)
        if before is not None:
            if before.content_hash == row.content_hash:
                result.skipped.append((row.number, f"Already imported as {before.action.reference}, unchanged."))
                continue
            why = _update(actor=actor, plan_import=plan_import, before=before, row=row, owners=owners)
            if why:
                result.skipped.append((row.number, why))
            else:
                result.updated.append(row.number)
            continue
        theme = themes.for_row(row)
        action = plan.action_create(
            actor=actor, theme=theme, check_permission=False, relations_loaded=True, **_action_fields(row, owners)
        )
        if row.can_open:
            closure.action_open(actor=actor, action=action)
        new_rows.append(
            ImportedRow(
                provider_id=plan_import.provider_id,
                service=plan_import.service,
                action=action,
                plan_import=plan_import,
                row_key=row.key,
                content_hash=row.content_hash,
                row_number=row.number,
                notes=row.notes,
            )
        )
        result.imported.append(row.number)
    # The bookkeeping of which row became which action, written at once (the actions and
    # their transitions are on the trail row by row; the import's own entry names the file).
    ImportedRow.objects.bulk_create(new_rows, batch_size=500)
    if not dry_run:
        before_stage = plan_import.stage
        plan_import.stage = PlanImport.Stage.IMPORTED
        plan_import.imported_at = timezone.now()
        plan_import.result = result.as_dict()
        plan_import.save(update_fields=["stage", "imported_at", "result", "updated_at"])
        log_update(
            plan_import,
            {
                "stage": (before_stage, plan_import.stage),
                "file_sha256": (None, plan_import.file_sha256),
                "rows_in_file": (None, len(rows)),
                "imported": (None, len(result.imported)),
                "updated": (None, len(result.updated)),
                "skipped": (None, len(result.skipped)),
            },
            actor=actor,
        )
    else:
        transaction.set_rollback(True)
    return result


def _update(*, actor, plan_import: PlanImport, before: ImportedRow, row: RowPlan, owners) -> str:
    """Bring an action imported earlier up to date with its row; the reason when it cannot be."""
    action = before.action
    if action.status == RecoveryAction.Status.CLOSED:
        return f"{action.reference} is closed: reopen it to change it."
    if action.status == RecoveryAction.Status.CLOSURE_PROPOSED:
        return f"{action.reference} is waiting for a closure decision: it cannot change now."
    fields = _action_fields(row, owners)
    if action.status != RecoveryAction.Status.DRAFT and fields["risk_level"] != action.risk_level:
        fields.pop("risk_level")  # a change of risk after opening needs its own reason, on the action page
    if action.started_on and not fields["intended_outcome"]:
        fields.pop("intended_outcome")
    try:
        action = plan.action_update(actor=actor, action=action, **fields)
        if row.can_open and action.status == RecoveryAction.Status.DRAFT:
            closure.action_open(actor=actor, action=action)
    except ValidationError as exc:
        return " ".join(exc.messages)
    before.plan_import = plan_import
    before.content_hash, before.row_number, before.notes = row.content_hash, row.number, row.notes
    before.save(update_fields=["plan_import", "content_hash", "row_number", "notes", "updated_at"])
    return ""
