"""Warnings about implausible audit input: shown, never refused, never silently accepted.

- a date more than a year ahead (the impact check, an action's due date): "31 Dec 9999" is
  refused by the date fields; a date next year may be right, so it is only questioned;
- a sample far below the template's sample size (fewer than half the records it asks for);
- the same record reference on two rows.

The logging screen and its autosave line show them as they arise (the sample size only
once the audit is being submitted, or is), the submit message repeats them, and a submitted
audit's page keeps them. One function, pure over values already loaded.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence

from django.utils import timezone

AHEAD = datetime.timedelta(days=365)


def _day(d: datetime.date) -> str:
    return f"{d.day} {d:%b %Y}"


def draft_warnings(
    *,
    audit,
    refs: Sequence[str],
    due_dates: Sequence[datetime.date | None] = (),
    sampled: int | None = None,
    final: bool = True,
    today: datetime.date | None = None,
) -> list[str]:
    """What looks wrong in ``audit`` (its dates and template) with these record references.

    ``final``: the audit is being submitted (or was), so a short sample is worth saying.
    """
    today = today or timezone.localdate()
    out = []
    latest = max(today, audit.period_end) + AHEAD
    if audit.impact_check_date and audit.impact_check_date > latest:
        out.append(
            f"The impact check date ({_day(audit.impact_check_date)}) is more than a year ahead: "
            "check the year; a re-check usually comes within weeks."
        )
    for i, due in enumerate(due_dates, 1):
        if due and due > latest:
            out.append(f"Action {i} is due on {_day(due)}, more than a year ahead: check the year.")
    rows = defaultdict(list)
    for row, ref in enumerate(refs, 1):
        if ref and ref.strip():
            rows[ref.strip().upper()].append(row)
    for _ref, where in rows.items():
        if len(where) > 1:
            shown = refs[where[0] - 1].strip()
            out.append(
                f"The record reference {shown} is on rows {', '.join(map(str, where))}: "
                "each sampled record should appear once."
            )
    size = audit.template_version.template.default_sample_size
    count = len([r for r in refs if r]) if sampled is None else sampled
    if final and size and count < (size + 1) // 2:
        out.append(
            f"Only {count} of the {size} records this audit samples were checked: a sample this small "
            "may miss what a full one would find. Say why in the findings."
        )
    return out
