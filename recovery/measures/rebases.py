"""Writes and reads for rebasing a measure's SPC chart (``MeasureRebase``).

Kept beside ``services.py`` rather than in it so the rule has one small home: a rebase says
"the way the work is done changed here", so the chart recalculates its limits from that point
and shows the process before and after, each part with its own mean, limits and rules
(``recovery.measures.spc``). Who rebased and why is kept on the row; removing a rebase records
who and why too, and never deletes the row. Every change copies the live dates to
``OutcomeMeasure.spc_rebase_dates`` and refreshes the stored summary, which then describes the
last segment.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from recovery.measures.services import measure_refresh_summary
from recovery.models import DataPoint, MeasureRebase, OutcomeMeasure
from recovery.plan.services import check_not_awaiting_decision


def default_rebase_date(measure: OutcomeMeasure) -> datetime.date | None:
    """The date a rebase is offered from: the action's start, so the chart shows before and after it."""
    return measure.action.started_on


def rebases_for(measure: OutcomeMeasure) -> list[MeasureRebase]:
    """Every rebase of ``measure``, live and removed, oldest first (one query)."""
    return list(
        MeasureRebase.objects.filter(measure=measure)
        .select_related("created_by", "removed_by")
        .order_by("from_date", "created_at", "pk")
    )


def _sync(measure: OutcomeMeasure) -> None:
    dates = list(
        MeasureRebase.objects.filter(measure=measure, removed_at__isnull=True)
        .order_by("from_date")
        .values_list("from_date", flat=True)
    )
    measure.spc_rebase_dates = [d.isoformat() for d in dates]
    # A plain UPDATE, like the summary: the rebase rows carry the audit trail.
    OutcomeMeasure.objects.filter(pk=measure.pk).update(spc_rebase_dates=measure.spc_rebase_dates)
    measure_refresh_summary(measure)
    events.changed(measure, reason="rebase")


def _lock(measure: OutcomeMeasure) -> None:
    list(OutcomeMeasure.objects.select_for_update(no_key=True).filter(pk=measure.pk).values_list("pk"))


@transaction.atomic
def measure_rebase_add(
    *, actor, measure: OutcomeMeasure, from_date: datetime.date | None, reason: str
) -> MeasureRebase:
    """Recalculate the measure's limits from ``from_date`` (the first period judged anew)."""
    policy.require(actor, policy.Verb.EDIT_PLAN, measure)
    check_not_awaiting_decision(measure.action)
    _lock(measure)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if from_date is None:
        errors["from_date"] = "Enter the date the new way of working began."
    elif from_date > timezone.localdate():
        errors["from_date"] = "A rebase cannot start in the future: add it once the change has happened."
    else:
        first = DataPoint.objects.filter(measure=measure).order_by("period_date").values_list("period_date", flat=True)
        first = first.first()
        if first is not None and from_date <= first:
            errors["from_date"] = (
                f"The limits already start from the first value ({first:%-d %b %Y}): choose a later date, "
                "when the way of working changed."
            )
        elif MeasureRebase.objects.filter(measure=measure, from_date=from_date, removed_at__isnull=True).exists():
            errors["from_date"] = "The limits are already recalculated from this date."
    if not reason:
        errors["reason"] = "Say what changed in how the work is done, so readers know why the limits moved."
    errors.update(limits.problems(MeasureRebase, reason=reason))
    if errors:
        raise ValidationError(errors)
    rebase = MeasureRebase(measure=measure, from_date=from_date, reason=reason, created_by=actor)
    rebase.full_clean()
    rebase.save()
    _sync(measure)
    return rebase


@transaction.atomic
def measure_rebase_remove(*, actor, rebase: MeasureRebase, reason: str) -> MeasureRebase:
    """Stop recalculating the limits at ``rebase`` (recorded with who and why; the row stays)."""
    measure = rebase.measure
    policy.require(actor, policy.Verb.EDIT_PLAN, measure)
    check_not_awaiting_decision(measure.action)
    _lock(measure)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Say why the limits should no longer be recalculated here."
    errors.update(limits.problems(MeasureRebase, removed_reason=reason))
    if "removed_reason" in errors:
        errors["reason"] = errors.pop("removed_reason")
    if errors:
        raise ValidationError(errors)
    # Lock the row: a second removal (a double click, two people) finds it already removed.
    rebase = MeasureRebase.objects.select_for_update().select_related("measure").get(pk=rebase.pk)
    if rebase.removed_at is not None:
        raise ValidationError("This rebase has already been removed.", code="already_removed")
    rebase.removed_at = timezone.now()
    rebase.removed_by = actor
    rebase.removed_reason = reason
    rebase.save(update_fields=["removed_at", "removed_by", "removed_reason"])  # the audit trail logs it
    _sync(measure)
    return rebase


def rebase_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> MeasureRebase:
    """One rebase, scoped through its measure (404 if not visible; 403 if ``verb`` is not allowed)."""
    qs = MeasureRebase.objects.select_related("measure__action")
    return policy.get_through_or_404(user, qs, "measure", verb, pk=pk)
