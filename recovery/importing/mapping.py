"""Header detection and column mapping: which row holds the headings, and which column is what.

The fields an imported row can fill, each with the headings people use for it in real plans
(``SYNONYMS``). ``find_header`` picks the first row, among the top ``HEADER_SEARCH_ROWS``, whose
cells name the most known fields (titles and merged banners above it name none);
``propose_mapping`` maps each of its columns to a field, or to nothing, in which case the
column is kept in the action's notes.
"""

from __future__ import annotations

import re

# field -> label shown on the mapping page
FIELDS: dict[str, str] = {
    "ref": "Row ID / reference",
    "issue": "Issue / finding / concern",
    "action": "Action",
    "owner": "Owner / lead",
    "due": "Due / target date",
    "outcome": "Intended outcome / how we will know",
    "key_question": "Key question / domain",
    "regulation": "Regulation",
    "statement": "Quality statement",
    "risk": "Risk / priority / RAG",
    "progress": "Status / progress",
    "comments": "Evidence / comments",
}
# Fields kept as history in the action's notes, never as a status.
NOTE_FIELDS = ("progress", "comments")

# Headings people use, normalised (lower case, letters and digits only, single spaces).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ref": (
        "id",
        "ref",
        "ref no",
        "reference",
        "action id",
        "action ref",
        "action no",
        "no",
        "number",
        "item",
        "item no",
    ),
    "issue": (
        "issue",
        "issues",
        "finding",
        "findings",
        "concern",
        "concerns",
        "area of concern",
        "area for improvement",
        "what was found",
        "breach",
        "problem",
        "identified issue",
        "issue identified",
        "cqc finding",
        "inspection finding",
        "shortfall",
        "gap",
        "baseline",
        "current position",
    ),
    "action": (
        "action",
        "actions",
        "action required",
        "actions required",
        "action to be taken",
        "actions to be taken",
        "what we will do",
        "what will we do",
        "action planned",
        "planned action",
        "improvement action",
        "task",
        "tasks",
    ),
    "owner": (
        "owner",
        "action owner",
        "lead",
        "lead person",
        "responsible",
        "responsible person",
        "person responsible",
        "who",
        "by whom",
        "assigned to",
        "accountable",
    ),
    "due": (
        "due",
        "due date",
        "date due",
        "target",
        "target date",
        "by when",
        "deadline",
        "completion date",
        "timescale",
        "timescales",
        "date for completion",
        "expected completion",
        "review date",
    ),
    "outcome": (
        "outcome",
        "intended outcome",
        "expected outcome",
        "desired outcome",
        "success measure",
        "success measures",
        "success criteria",
        "measure of success",
        "how we will know",
        "how will we know",
        "how will we measure",
        "measurable outcome",
        "impact",
    ),
    "key_question": ("key question", "kq", "domain", "cqc domain", "key line of enquiry", "kloe", "cqc key question"),
    "regulation": ("regulation", "regulations", "reg", "regulation breached", "breach of regulation", "hsca reg"),
    "statement": ("quality statement", "quality statements", "statement", "qs", "saf statement"),
    "risk": ("risk", "risk level", "risk rating", "priority", "rag", "rag rating", "rating", "severity"),
    "progress": ("status", "progress", "progress update", "update", "current status", "rag status", "complete"),
    "comments": ("evidence", "comments", "comment", "notes", "note", "evidence of completion", "evidence required"),
}

HEADER_SEARCH_ROWS = 15


def normalise(text) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(text or "").lower()).split())


_LOOKUP = {normalise(word): name for name, words in SYNONYMS.items() for word in words}


def field_for(heading) -> str:
    """The field a heading names, or "" (kept in the notes). Exact synonyms first, then the
    longest synonym found inside the heading ("Action(s) to be taken by the RM")."""
    text = normalise(heading)
    if not text:
        return ""
    if text in _LOOKUP:
        return _LOOKUP[text]
    best = ("", 0)
    padded = f" {text} "
    for word, name in _LOOKUP.items():
        if len(word) > 2 and f" {word} " in padded and len(word) > best[1]:
            best = (name, len(word))
    return best[0]


def find_header(rows: list[tuple[int, list]]) -> int:
    """Index (into ``rows``) of the heading row: the first of the top rows naming the most fields.
    A row must name at least two distinct fields (a lone merged title names none)."""
    best_index, best_score = 0, 0
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [c for c in cells if isinstance(c, str)]
        named = {field_for(c) for c in texts} - {""}
        distinct = len(set(texts)) >= 2  # a title merged across the row repeats one value
        score = len(named) if distinct else 0
        if score > best_score:
            best_index, best_score = index, score
    return best_index


def headings(cells: list) -> list[str]:
    """Column headings (blank ones named by their column letter)."""
    from openpyxl.utils import get_column_letter

    return [str(c) if c not in (None, "") else f"Column {get_column_letter(i + 1)}" for i, c in enumerate(cells)]


def propose_mapping(heads: list[str]) -> list[str]:
    """A field per column ("" for none); a field is given to its first column only."""
    used: set[str] = set()
    mapping = []
    for heading in heads:
        name = field_for(heading)
        if name in used:
            name = ""
        used.add(name)
        mapping.append(name)
    return mapping


def check_mapping(mapping: list[str]) -> list[str]:
    """What a mapping lacks or repeats, in words (empty when it can be used)."""
    problems = []
    chosen = [m for m in mapping if m]
    if "action" not in chosen:
        problems.append("Choose the column that holds the action.")
    repeated = sorted({m for m in chosen if chosen.count(m) > 1})
    for name in repeated:
        problems.append(f"“{FIELDS[name]}” is chosen for more than one column.")
    return problems
