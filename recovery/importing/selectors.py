"""Reads for plan imports: the columns of an upload and every row as it would be imported."""

from __future__ import annotations

import datetime

from core import permissions as policy
from recovery.importing.interpret import Context, RowPlan, interpret
from recovery.importing.mapping import headings
from recovery.importing.models import ImportedRow, PlanImport


def _cell(value):
    if isinstance(value, dict) and "date" in value:
        return datetime.date.fromisoformat(value["date"])
    return value


def heads_of(plan_import: PlanImport) -> list[str]:
    width = max((len(cells) for _n, cells in plan_import.rows), default=0)
    first = list(plan_import.rows[0][1]) if plan_import.rows else []
    return headings(first + [None] * (width - len(first)))


def preview(plan_import: PlanImport, ctx: Context | None = None) -> list[RowPlan]:
    """Every row below the header as it would be imported, with its problems."""
    ctx = ctx or Context.load(plan_import.service)
    heads = heads_of(plan_import)
    plans = []
    for number, cells in plan_import.rows[1:]:
        fixes = plan_import.fixes.get(str(number), {})
        plans.append(interpret(ctx, heads, plan_import.mapping, number, [_cell(c) for c in cells], fixes))
    return plans


def imports_at(user, service) -> list[PlanImport]:
    """The latest imports at a service (for its import page), newest first."""
    queryset = PlanImport.objects.filter(service=service).select_related("created_by").defer("rows", "fixes")
    return list(policy.objects_for(user, queryset)[:10])


def notes_for(action) -> list[ImportedRow]:
    rows = ImportedRow.objects.filter(action=action).select_related("plan_import__created_by")
    return list(rows.defer("plan_import__rows", "plan_import__fixes", "plan_import__result"))


def samples(plan_import: PlanImport, width: int) -> list[str]:
    """The first value under each heading, to help choose what the column is."""
    from recovery.importing.interpret import text_of

    out = [""] * width
    for _number, cells in plan_import.rows[1:50]:
        for index, cell in enumerate(cells[:width]):
            if not out[index] and cell not in (None, ""):
                out[index] = text_of(_cell(cell))
    return out
