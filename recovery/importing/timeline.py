"""The imported plan's notes on an action's timeline: status/progress, RAG, comments and any
column the mapping did not use, as they stood in the file (history, never a status)."""

from __future__ import annotations

from django.utils import timezone

from recovery.importing.selectors import notes_for
from recovery.plan.selectors import TimelineEntry


def action_timeline_entries(action) -> list[TimelineEntry]:
    entries = []
    for row in notes_for(action):
        detail = " · ".join(f"{heading}: {text}" for heading, text in row.notes.items())
        entries.append(
            TimelineEntry(
                when=timezone.localdate(row.updated_at),
                at=row.updated_at,
                kind="imported",
                title=f"Row {row.row_number} of {row.plan_import.filename}",
                detail=detail or "No notes in the plan.",
                who=str(row.plan_import.created_by),
            )
        )
    return entries
