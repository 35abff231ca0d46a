"""Compliance and effectiveness of an audit. Pure functions over answers already loaded.

Compliance = yes / (yes + no); "not applicable" answers are left out. It is given per
criterion and overall (all yes answers over all yes + no answers of the audit). The page
computes the same figures as you type (static/js/audit_form.js); the server's are the ones
stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

YES, NO, NA = "yes", "no", "na"
ANSWERS = (YES, NO, NA)


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


def compute(answer_sets: Iterable[Mapping[str, str]], keys: Sequence[str]) -> Compliance:
    """``answer_sets``: one ``{criterion key: yes/no/na}`` per sampled record."""
    result = Compliance(per_criterion={key: Tally() for key in keys})
    for answers in answer_sets:
        for key in keys:
            tally = result.per_criterion[key]
            value = answers.get(key, "")
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
