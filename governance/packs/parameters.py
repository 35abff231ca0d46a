"""What a pack may ask for (key questions, sections, a period) and the check of a pack's stored parameters."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

KEY_QUESTIONS: list[tuple[str, str]] = [
    ("safe", "Safe"),
    ("effective", "Effective"),
    ("caring", "Caring"),
    ("responsive", "Responsive"),
    ("well_led", "Well-led"),
]
KEY_QUESTION_CODES = [code for code, _ in KEY_QUESTIONS]

# (key, heading) in the order the pack prints them.
SECTIONS: list[tuple[str, str]] = [
    ("position", "Position by key question"),
    ("themes", "Original failure themes and leadership learning"),
    ("actions_completed", "Actions completed"),
    ("actions_open", "Open actions and continued monitoring"),
    ("audits", "Re-audit findings"),
    ("measures", "Trend data"),
    ("competency", "Staff competency evidence"),
    ("feedback", "People's and families' feedback"),
    ("challenge", "Governance: challenge and decisions"),
    ("embedded", "Learning embedded in routine practice"),
    ("manifest", "Evidence manifest"),
]
SECTION_KEYS = [key for key, _ in SECTIONS]


class PackParameterError(ValueError):
    """The pack's stored parameters cannot be used (the render fails with this message)."""


@dataclass(frozen=True)
class PackParameters:
    date_from: datetime.date
    date_to: datetime.date
    key_questions: list[str]
    sections: list[str]

    def as_json(self) -> dict:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "key_questions": list(self.key_questions),
            "sections": list(self.sections),
        }


def _date(raw, name: str) -> datetime.date:
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        raise PackParameterError(f"The pack's {name} is not a date: {raw!r}.") from None


def parse_parameters(raw: dict) -> PackParameters:
    """Validate stored parameters; missing ones take the defaults (all key questions and sections)."""
    if not isinstance(raw, dict):
        raise PackParameterError("The pack's parameters are not readable.")
    today = timezone.localdate()
    date_to = _date(raw.get("date_to") or today, "end date")
    date_from = _date(raw.get("date_from") or (date_to - datetime.timedelta(days=182)), "start date")
    if date_from > date_to:
        raise PackParameterError("The pack's period starts after it ends.")
    kqs = raw.get("key_questions") or KEY_QUESTION_CODES
    sections = raw.get("sections") or SECTION_KEYS
    unknown = [k for k in kqs if k not in KEY_QUESTION_CODES] + [s for s in sections if s not in SECTION_KEYS]
    if unknown:
        raise PackParameterError(f"The pack asks for parts that do not exist: {', '.join(map(str, unknown))}.")
    return PackParameters(
        date_from=date_from,
        date_to=date_to,
        key_questions=[k for k in KEY_QUESTION_CODES if k in kqs],
        sections=[s for s in SECTION_KEYS if s in sections],
    )
