"""Governance's entries on an action's timeline: challenges raised and review decisions."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from governance.models import AgendaItem, Challenge
from recovery.plan.selectors import TimelineEntry


def action_timeline_entries(action) -> list[TimelineEntry]:
    """Two queries: challenges about the action (directly or through an agenda item), and decisions."""
    items = list(
        AgendaItem.objects.filter(subject_type="action", subject_id=action.pk)
        .exclude(decision="")
        .select_related("review", "decided_by")
    )
    challenges = Challenge.objects.filter(
        Q(action=action) | Q(agenda_item__subject_type="action", agenda_item__subject_id=action.pk)
    ).select_related("raised_by", "responded_by", "review", "addressed_to")
    entries = []
    for c in challenges:
        where = f" in {c.review.title}" if c.review_id else ""
        if c.response:
            detail = f"{c.text} — Response from {c.responded_by}: {c.response}"
        elif c.addressed_to_id:
            due = f" by {c.due_on.day} {c.due_on:%b %Y}" if c.due_on else ""
            detail = f"{c.text} — For {c.addressed_to} to answer{due}."
        else:
            detail = f"{c.text} — No response yet."
        entries.append(
            TimelineEntry(
                when=timezone.localdate(c.raised_at),
                at=c.raised_at,
                kind="challenge",
                title=f"{c.get_kind_display()}{where}",
                detail=detail,
                who=str(c.raised_by),
            )
        )
    for item in items:
        at = item.decided_at or item.review.scheduled_for
        entries.append(
            TimelineEntry(
                when=timezone.localdate(at),
                at=at,
                kind="review",
                title=f"{item.get_decision_display()} at {item.review.title}",
                detail=item.rationale,
                who=str(item.decided_by) if item.decided_by_id else "",
            )
        )
    return entries
