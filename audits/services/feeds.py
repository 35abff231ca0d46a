"""Measures fed by audits (see ``MeasureFeed`` for the two kinds)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import limits
from core import permissions as policy
from recovery.measures import services as measure_services
from recovery.models import DataPoint, OutcomeMeasure, PointCorrection

from .. import compliance as comp
from ..models import Audit, AuditDataPoint, AuditTemplate, MeasureFeed, rules_of
from ..periods import period_bounds, period_label


@transaction.atomic
def feed_create(
    *,
    actor,
    template: AuditTemplate,
    measure: OutcomeMeasure,
    kind: str = MeasureFeed.Kind.COMPLIANCE,
    criterion_keys: Sequence[str] = (),
) -> MeasureFeed:
    """Link a measure to a template. Audits already submitted give their points now
    (``feed_backfill``), and each audit submitted from now on adds or updates its own."""
    policy.require(actor, policy.Verb.EDIT_PLAN, measure)
    errors: dict[str, str] = {}
    if measure.provider_id != template.provider_id:
        errors["measure"] = "Choose a measure of this provider."
    elif measure.kind != OutcomeMeasure.Kind.PERCENTAGE:
        errors["measure"] = "Audits feed percentage measures (sampled items meeting a standard)."
    elif MeasureFeed.objects.filter(measure=measure).exists():
        errors["measure"] = "This measure is already fed by an audit."
    if kind not in MeasureFeed.Kind.values:
        errors["kind"] = "Choose what the audits feed."
    version = template.current_version()
    known = set(version.criteria.values_list("key", flat=True)) if version else set()
    keys = [k for k in criterion_keys if k]
    if kind == MeasureFeed.Kind.EFFECTIVENESS:
        keys = []
    elif any(k not in known for k in keys):
        errors["criterion_keys"] = "Choose criteria of this template."
    if errors:
        raise ValidationError(errors)
    feed = MeasureFeed.objects.create(measure=measure, template=template, kind=kind, criterion_keys=keys)
    feed_backfill(actor=actor, feed=feed)
    return feed


@transaction.atomic
def feed_backfill(*, actor, feed: MeasureFeed) -> int:
    """Add the points of audits submitted before the feed existed. Returns how many were added.

    Idempotent: running it again adds nothing. A compliance feed skips audits that already
    gave this measure a point; an effectiveness feed works out one point per period of the
    measure's cadence that has submitted audits in scope, updating the audit point a period
    already has (so it agrees with the audits) and never adding a second.
    """
    if feed.kind == MeasureFeed.Kind.EFFECTIVENESS:
        return _backfill_effectiveness(actor=actor, measure=feed.measure)
    measure = feed.measure
    audits = (
        Audit.objects.filter(status=Audit.Status.SUBMITTED, template_version__template_id=feed.template_id)
        .filter(provider_id=measure.provider_id)
        .exclude(data_points__measure=measure)
        .select_related("template_version__template")
        .prefetch_related("records", "template_version__criteria")
        .order_by("period_end", "pk")
    )
    if measure.service_id:
        audits = audits.filter(service_id=measure.service_id)
    added = 0
    for audit in audits:
        criteria = list(audit.template_version.criteria.all())
        keys = [c.key for c in criteria]
        result = comp.compute([r.answers for r in audit.records.all()], keys, rules_of(criteria))
        tally = result.for_keys([k for k in (feed.criterion_keys or keys) if k in keys])
        if not tally.answered:
            continue
        point = measure_services.point_record(
            actor=actor,
            measure=measure,
            period_date=audit_period_date(audit),
            numerator=tally.yes,
            denominator=tally.answered,
            source=DataPoint.Source.AUDIT,
            note=f"{audit.template_version.template} audit, {period_label_for(audit)}",
            check_permission=False,
        )
        _link(audit, measure, point)
        added += 1
    return added


def _link(audit: Audit, measure: OutcomeMeasure, point: DataPoint) -> None:
    """Record that ``audit`` gave ``point`` (the period's one point, perhaps already linked)."""
    AuditDataPoint.objects.update_or_create(data_point=point, defaults={"audit": audit, "measure": measure})


def fed_by_audit(measure: OutcomeMeasure) -> str | None:
    """Why a value cannot be typed for ``measure`` by hand, if an audit feeds it (else None)."""
    feed = MeasureFeed.objects.filter(measure=measure).select_related("template").first()
    if feed is None:
        return None
    return (
        f"This measure is fed by the “{feed.template.title}” audit: its values come from submitted audits. "
        "Log or amend the audit instead."
    )


def _in_scope(audit: Audit) -> Q:
    """Measures an audit at this service may feed: the service's own, or provider-wide ones."""
    return Q(measure__service_id=audit.service_id) | Q(
        measure__service__isnull=True, measure__provider_id=audit.provider_id
    )


def _amended(audit: Audit) -> str:
    """The reason an amendment gives the points it corrects (within the correction's limit)."""
    return f"Audit amended: {audit.amendment_reason}"[: limits.NOTE]


def audit_period_date(audit: Audit):
    """The date of the point an audit gives a measure: the last day of the audit's own period.

    An audit of 30 Nov-6 Dec is the week ending 6 Dec, even when submitted on 1 Dec.
    """
    return audit.period_end


def period_label_for(audit: Audit) -> str:
    """ "Week of 30 Nov – 6 Dec 2026": the audit's period in the words the audit pages use."""
    return period_label(audit.template_version.template.frequency, audit.period_start, audit.period_end)


def feed_measures(*, actor, audit: Audit, keys: Sequence[str], result: comp.Compliance, previous, label: str) -> None:
    """After a submit: add or update the points of every measure this audit feeds.

    An amendment changes the point the audit it replaces gave: a correction, with the
    amendment's reason, in the point's history (``point_correct``).
    """
    today = timezone.localdate()
    period_date = audit_period_date(audit)
    template = audit.template_version.template
    feeds = list(
        MeasureFeed.objects.filter(_in_scope(audit))
        .filter(Q(kind=MeasureFeed.Kind.EFFECTIVENESS, measure__provider_id=audit.provider_id) | Q(template=template))
        .select_related("measure")
    )
    compliance_feeds = [f for f in feeds if f.kind == MeasureFeed.Kind.COMPLIANCE]
    old_links = {}
    if previous is not None:
        old_links = {link.measure_id: link for link in previous.data_points.select_related("data_point__measure")}
    for feed in compliance_feeds:
        measure = feed.measure
        if measure.kind != OutcomeMeasure.Kind.PERCENTAGE:
            continue
        wanted = [k for k in (feed.criterion_keys or keys) if k in keys]
        tally = result.for_keys(wanted)
        if not tally.answered:
            continue
        note = f"{template.title} audit, {label}"
        link = old_links.get(measure.pk)
        if link is not None:
            measure_services.point_correct(
                actor=actor,
                point=link.data_point,
                reason=_amended(audit),
                period_date=period_date,
                numerator=tally.yes,
                denominator=tally.answered,
                note=f"{note} (amended)",
                via=PointCorrection.Via.AUDIT,
                check_permission=False,
            )
            link.audit = audit
            link.save(update_fields=["audit"])
        else:
            point = measure_services.point_record(
                actor=actor,
                measure=measure,
                period_date=period_date,
                numerator=tally.yes,
                denominator=tally.answered,
                source=DataPoint.Source.AUDIT,
                note=note,
                check_permission=False,
            )
            _link(audit, measure, point)
    for feed in feeds:
        if feed.kind == MeasureFeed.Kind.EFFECTIVENESS:
            _update_effectiveness(actor=actor, measure=feed.measure, audit=audit, today=today)


def _effectiveness_scope(measure: OutcomeMeasure):
    scope = Audit.objects.filter(provider_id=measure.provider_id, status=Audit.Status.SUBMITTED)
    if measure.service_id:
        scope = scope.filter(service_id=measure.service_id)
    return scope


def _backfill_effectiveness(*, actor, measure: OutcomeMeasure) -> int:
    """One point per period with submitted audits in scope; returns how many points were added."""
    today = timezone.localdate()
    ends = sorted(set(_effectiveness_scope(measure).values_list("period_end", flat=True)))
    periods = sorted({period_bounds(measure.cadence, end) for end in ends})
    added = 0
    for start, end in periods:
        added += _effectiveness_point(actor=actor, measure=measure, start=start, end=end, today=today)
    return added


def _update_effectiveness(*, actor, measure: OutcomeMeasure, audit: Audit, today) -> None:
    """One point per period of the measure's cadence: effective / submitted audits in scope."""
    start, end = period_bounds(measure.cadence, audit.period_end)
    _effectiveness_point(actor=actor, measure=measure, start=start, end=end, today=today, audit=audit)


def _effectiveness_point(*, actor, measure: OutcomeMeasure, start, end, today, audit: Audit | None = None) -> int:
    """Make the period's audit point say effective / submitted; 1 if a point was added, else 0."""
    scope = Audit.objects.filter(
        provider_id=measure.provider_id, status=Audit.Status.SUBMITTED, period_end__range=(start, end)
    )
    if measure.service_id:
        scope = scope.filter(service_id=measure.service_id)
    counts = scope.aggregate(total=Count("pk"), effective=Count("pk", filter=Q(is_effective=True)))
    if not counts["total"]:
        return 0
    period_date = end
    note = "Share of the audits submitted for this period that were effective"
    point = (
        DataPoint.objects.filter(measure=measure, source=DataPoint.Source.AUDIT, period_date__range=(start, end))
        .order_by("pk")
        .first()
    )
    if point is not None:
        if (point.numerator, point.denominator, point.period_date) == (
            counts["effective"],
            counts["total"],
            period_date,
        ):
            return 0  # already right: nothing to correct (a re-run of the backfill)
        if audit is None:
            reason = f"Backfilled from past audits: {counts['effective']} of {counts['total']} effective."
        elif audit.amends_id:
            reason = _amended(audit)
        else:
            reason = (
                f"Another audit was submitted for this period: {counts['effective']} of {counts['total']} effective."
            )
        measure_services.point_correct(
            actor=actor,
            point=point,
            reason=reason,
            period_date=period_date,
            numerator=counts["effective"],
            denominator=counts["total"],
            note=note,
            via=PointCorrection.Via.AUDIT,
            check_permission=False,
        )
        return 0
    else:
        measure_services.point_record(
            actor=actor,
            measure=measure,
            period_date=period_date,
            numerator=counts["effective"],
            denominator=counts["total"],
            source=DataPoint.Source.AUDIT,
            note=note,
            check_permission=False,
        )
        return 1
