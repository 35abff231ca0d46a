"""Compliance and effectiveness of an audit. Pure functions over answers already loaded.

Compliance = yes / (yes + no); "not applicable" answers are left out. It is given per
criterion and overall (all yes answers over all yes + no answers of the audit). The page
computes the same figures as you type (static/js/audit_form.js); the server's are the ones
stored.

A criterion is one of three kinds (``Rule``): yes/no; a number, with an optional allowed
range and a pass rule ("at least 8", "at most 2"); or a time within a limit ("escalated
within 4 hours": the auditor types the time taken, or two clock times). A number or time
answer counts as a yes when it meets the standard and a no when it does not, so every
measure, feed and effectiveness rule counts it like a yes/no answer. A number criterion
without a pass rule is recorded but left out of compliance, like N/A.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

YES, NO, NA = "yes", "no", "na"
ANSWERS = (YES, NO, NA)

YES_NO, NUMBER, TIME = "yes_no", "number", "time"
KINDS = (YES_NO, NUMBER, TIME)
AT_LEAST, AT_MOST = "at_least", "at_most"
PASS_RULES = (AT_LEAST, AT_MOST)
NA_WORDS = {"na", "n/a", "n.a.", "not applicable"}
TIME_HELP = "Type the time taken (3:20, 3h 20m or 200 min) or the two clock times (14:05-17:30)."

_CLOCK = r"([01]?\d|2[0-3])[:.]([0-5]\d)"
_TWO_TIMES = re.compile(rf"^{_CLOCK}\s*(?:-|–|to)\s*{_CLOCK}$")
_H_MM = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_UNITS = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?))?\s*(?:(\d+)\s*(?:m|min|mins|minutes?))?$")


def parse_minutes(raw: str) -> int | None:
    """Minutes from what an auditor types for a time taken, or None if it is not one.

    "3:20", "3h 20m", "3 hours", "200 min", "200" (minutes) or two clock times "14:05-17:30"
    (a second time earlier than the first is taken as the next day).
    """
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    m = _TWO_TIMES.match(text)
    if m:
        start = int(m.group(1)) * 60 + int(m.group(2))
        end = int(m.group(3)) * 60 + int(m.group(4))
        return (end - start) % (24 * 60)
    m = _H_MM.match(text)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    m = _UNITS.match(text)
    if m and (m.group(1) or m.group(2)):
        return round(float(m.group(1) or 0) * 60) + int(m.group(2) or 0)
    return None


def format_minutes(minutes: int) -> str:
    hours, mins = divmod(int(minutes), 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h {mins} min" if mins else f"{hours} h"


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Rule:
    """How one criterion's answers are typed, stored and counted.

    Stored answers are strings: "yes"/"no"/"na" for yes/no; a number ("12.5") or "na" for a
    number; whole minutes ("185") or "na" for a time.
    """

    kind: str = YES_NO
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    pass_rule: str = ""
    pass_value: float | None = None
    limit_minutes: int | None = None

    @property
    def is_yes_no(self) -> bool:
        return self.kind not in (NUMBER, TIME)

    def standard(self) -> str:
        """The standard in words: "within 4 h", "at least 8 mmHg", or ""."""
        if self.kind == TIME and self.limit_minutes is not None:
            return f"within {format_minutes(self.limit_minutes)}"
        if self.kind == NUMBER and self.pass_rule in PASS_RULES and self.pass_value is not None:
            words = "at least" if self.pass_rule == AT_LEAST else "at most"
            return f"{words} {_number(self.pass_value)}{' ' + self.unit if self.unit else ''}"
        return ""

    def parse(self, raw: str) -> tuple[str, str | None]:
        """(stored value, problem) from what was typed; blank is ("", None)."""
        text = (raw or "").strip()
        if not text:
            return "", None
        if text.lower() in NA_WORDS:
            return NA, None
        if self.kind == NUMBER:
            try:
                value = float(text.replace(",", "."))
            except ValueError:
                return "", "Enter a number (or N/A)."
            if value != value or value in (float("inf"), float("-inf")):
                return "", "Enter a number (or N/A)."
            low, high = self.min_value, self.max_value
            if (low is not None and value < low) or (high is not None and value > high):
                if low is not None and high is not None:
                    return "", f"Enter a number from {_number(low)} to {_number(high)}."
                if low is not None:
                    return "", f"Enter a number of at least {_number(low)}."
                return "", f"Enter a number of at most {_number(high)}."
            return _number(value), None
        if self.kind == TIME:
            minutes = parse_minutes(text)
            if minutes is None:
                return "", TIME_HELP
            if minutes > 60 * 24 * 366:
                return "", "That is more than a year: " + TIME_HELP
            return str(minutes), None
        value = text.lower()
        if value in ANSWERS:
            return value, None
        return "", "Answer Yes, No or N/A."

    def is_stored(self, value: str) -> bool:
        """Whether ``value`` is a well-formed stored answer (what the services accept)."""
        if not isinstance(value, str) or not value:
            return False
        if value == NA or self.is_yes_no:
            return value in ANSWERS
        if self.kind == TIME:
            return value.isdigit()
        stored, problem = self.parse(value)
        return problem is None and stored == value

    def outcome(self, value: str) -> str:
        """YES, NO, NA or "" (unanswered) for a stored answer."""
        if value == NA:
            return NA
        if self.is_yes_no:
            return value if value in (YES, NO) else ""
        if self.kind == TIME:
            if not (isinstance(value, str) and value.isdigit()):
                return ""
            if self.limit_minutes is None:
                return NA
            return YES if int(value) <= self.limit_minutes else NO
        try:
            number = float(value)
        except (TypeError, ValueError):
            return ""
        if self.pass_value is None or self.pass_rule not in PASS_RULES:
            return NA  # recorded, not scored
        ok = number >= self.pass_value if self.pass_rule == AT_LEAST else number <= self.pass_value
        return YES if ok else NO

    def display(self, value: str) -> str:
        """A stored answer for people: "Yes", "3 h 20 min", "12.5 mmHg", "N/A" or "—"."""
        if value == NA:
            return "N/A"
        if not value:
            return "—"
        if self.is_yes_no:
            return {YES: "Yes", NO: "No"}.get(value, "—")
        if self.kind == TIME:
            return format_minutes(int(value)) if value.isdigit() else "—"
        return f"{value}{' ' + self.unit if self.unit else ''}"

    def typed(self, value: str) -> str:
        """A stored answer as the grid's text box shows it again (times as h:mm)."""
        if value == NA:
            return "N/A"
        if self.kind == TIME and value.isdigit():
            hours, mins = divmod(int(value), 60)
            return f"{hours}:{mins:02d}"
        return value


YES_NO_RULE = Rule()


@dataclass
class Tally:
    yes: int = 0
    no: int = 0
    na: int = 0
    blank: int = 0

    @property
    def answered(self) -> int:
        return self.yes + self.no

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.yes / self.answered, 1) if self.answered else None


@dataclass
class Compliance:
    per_criterion: dict[str, Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)

    @property
    def percent(self) -> float | None:
        return self.overall.percent

    def for_keys(self, keys: Iterable[str]) -> Tally:
        """Pooled tally over some criteria (a measure fed by a subset)."""
        total = Tally()
        for key in keys:
            t = self.per_criterion.get(key)
            if t is not None:
                total.yes, total.no, total.na, total.blank = (
                    total.yes + t.yes,
                    total.no + t.no,
                    total.na + t.na,
                    total.blank + t.blank,
                )
        return total


def compute(
    answer_sets: Iterable[Mapping[str, str]], keys: Sequence[str], rules: Mapping[str, Rule] | None = None
) -> Compliance:
    """``answer_sets``: one ``{criterion key: stored answer}`` per sampled record; ``rules``
    says how each criterion's answers count (default: yes/no)."""
    rules = rules or {}
    result = Compliance(per_criterion={key: Tally() for key in keys})
    for answers in answer_sets:
        for key in keys:
            tally = result.per_criterion[key]
            value = rules.get(key, YES_NO_RULE).outcome(answers.get(key, ""))
            if value == YES:
                tally.yes += 1
            elif value == NO:
                tally.no += 1
            elif value == NA:
                tally.na += 1
            else:
                tally.blank += 1
    overall = result.overall
    for tally in result.per_criterion.values():
        overall.yes += tally.yes
        overall.no += tally.no
        overall.na += tally.na
        overall.blank += tally.blank
    return result


# An audit is effective when it says what it found, and when it found gaps, turns them into
# owned, dated actions with a date to re-check that practice changed. An audit with only
# "yes" answers needs findings (what was looked at and seen) but no actions.
GAP_NO_FINDINGS = "no_findings"
GAP_NO_ACTIONS = "no_actions"
GAP_NO_IMPACT_CHECK = "no_impact_check"
GAP_LABELS = {
    GAP_NO_FINDINGS: "No findings recorded",
    GAP_NO_ACTIONS: "Gaps found but no actions with owners",
    GAP_NO_IMPACT_CHECK: "Gaps found but no impact check date",
}


def effectiveness_gaps(*, findings: str, no_answers: int, actions_with_owner: int, has_impact_check: bool) -> list[str]:
    gaps = []
    if not findings.strip():
        gaps.append(GAP_NO_FINDINGS)
    if no_answers:
        if not actions_with_owner:
            gaps.append(GAP_NO_ACTIONS)
        if not has_impact_check:
            gaps.append(GAP_NO_IMPACT_CHECK)
    return gaps
