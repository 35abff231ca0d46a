"""Demo flags: the last demo step. Adds what the other demos leave out so every kind of flag
shows, then runs the scans (idempotent: the seed and the scan may both run again).

The other demos already give: a measure drifting after closure, a closure with a measure not
met, a lapsed audit, a review not held and actions past their review date. This adds:
- an overdue action with a measure that has gone quiet (overdue action, stale measure) at
  Meadowbank Nursing Home;
- at Oakfield Home Support, a high-risk action closed on training records alone, by the
  registered manager (unsupported closure: no impact evidence, no NI decision).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.choices import Cadence, RiskLevel
from evidence.models import SourceType
from evidence.services import evidence_create
from governance.flags.services import ScanResult, flags_scan_provider
from recovery.closure.services import action_open, action_start
from recovery.measures.services import measure_create, point_record
from recovery.models import ActionTransition, FailureTheme, OutcomeMeasure, RecoveryAction
from recovery.plan.services import action_create, action_evidence_link, theme_create

FALLS = "Falls when people move between rooms at night"
MEDICINES = "Missed and late medicine visits"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _falls(world, today: datetime.date) -> None:
    service = world.services.get("meadowbank-nursing")
    rm = world.users.get("rm.meadowbank@oakfield.example")
    if service is None or rm is None or FailureTheme.objects.filter(service=service, title=FALLS).exists():
        return
    start = today - datetime.timedelta(weeks=10)
    theme = theme_create(
        actor=rm,
        provider=world.provider,
        service=service,
        check_permission=False,
        title=FALLS,
        weakness_found="Unwitnessed falls at night rose; sensor mats were not checked at handover.",
        source=FailureTheme.Source.INTERNAL_AUDIT,
        source_date=start,
        risk_level=RiskLevel.MEDIUM,
        owner=rm,
        review_cadence=Cadence.MONTHLY,
    )
    FailureTheme.objects.filter(pk=theme.pk).update(last_reviewed_at=today - datetime.timedelta(days=5))
    action = action_create(
        actor=rm,
        theme=theme,
        check_permission=False,
        title="Check sensor mats and call bells at every night handover",
        baseline_issue="Four unwitnessed falls in a month; two sensor mats found switched off.",
        intended_outcome="People at risk of falling at night are heard and helped before they fall.",
        measurable_target="Fewer than 2 unwitnessed night falls a week for 8 weeks",
        owner=rm,
        due_date=today - datetime.timedelta(days=12),
        risk_level=RiskLevel.MEDIUM,
        review_cadence=Cadence.WEEKLY,
    )
    action_open(actor=rm, action=action, at=_at(start))
    action_start(actor=rm, action=action, at=_at(start, 11))
    RecoveryAction.objects.filter(pk=action.pk).update(last_reviewed_at=today - datetime.timedelta(days=4))
    measure = measure_create(
        actor=rm,
        action=action,
        check_permission=False,
        name="Unwitnessed night falls per week",
        kind=OutcomeMeasure.Kind.COUNT,
        direction=OutcomeMeasure.Direction.LOWER,
        unit="falls",
        baseline_value=4,
        baseline_date=start,
        target_value=1,
        target_date=today + datetime.timedelta(weeks=4),
        cadence=Cadence.WEEKLY,
    )
    # Three weeks of counts, then nothing for five weeks: the measure has gone quiet.
    for weeks_ago, value in ((8, 4), (7, 3), (6, 3)):
        point_record(
            actor=rm,
            measure=measure,
            period_date=today - datetime.timedelta(weeks=weeks_ago),
            value=value,
            check_permission=False,
        )


def _medicines(world, today: datetime.date) -> None:
    service = world.services.get("oakfield-home-support")
    rm = world.users.get("rm.homesupport@oakfield.example")
    if service is None or rm is None or FailureTheme.objects.filter(service=service, title=MEDICINES).exists():
        return
    start = today - datetime.timedelta(weeks=8)
    theme = theme_create(
        actor=rm,
        provider=world.provider,
        service=service,
        check_permission=False,
        title=MEDICINES,
        weakness_found="Time-critical medicines were given late on rural runs; two visits were missed.",
        source=FailureTheme.Source.INSPECTION,
        source_date=start,
        risk_level=RiskLevel.HIGH,
        owner=rm,
        review_cadence=Cadence.MONTHLY,
    )
    FailureTheme.objects.filter(pk=theme.pk).update(last_reviewed_at=today - datetime.timedelta(days=3))
    action = action_create(
        actor=rm,
        theme=theme,
        check_permission=False,
        title="Retrain care workers on time-critical medicines",
        baseline_issue="MAR charts show late doses for Parkinson's medicines on three runs.",
        intended_outcome="Time-critical medicines are given within 30 minutes of the prescribed time.",
        measurable_target="95% of sampled time-critical doses on time within 8 weeks",
        owner=rm,
        due_date=today - datetime.timedelta(days=5),
        risk_level=RiskLevel.HIGH,
        review_cadence=Cadence.WEEKLY,
    )
    action_open(actor=rm, action=action, at=_at(start))
    action_start(actor=rm, action=action, at=_at(start, 11))
    training = evidence_create(
        actor=rm,
        provider=world.provider,
        service=service,
        title="Time-critical medicines training attendance",
        refers_to=today - datetime.timedelta(weeks=3),
        source_type=SourceType.TRAINING_RECORD,
        recorded_in="Training matrix",
        description="All 14 care workers on the rural runs attended a one-hour session.",
    )
    action_evidence_link(actor=rm, action=action, item=training)
    # The closure services refuse this closure (no impact evidence, and a high-risk action needs
    # the NI), so the demo writes the state directly, as if imported from the provider's old
    # tracker: a training session marked "done" and the action closed by the registered manager.
    closed_at = _at(today - datetime.timedelta(days=6), 16)
    for from_status, to_status, at in (
        (RecoveryAction.Status.IN_PROGRESS, RecoveryAction.Status.CLOSURE_PROPOSED, closed_at),
        (RecoveryAction.Status.CLOSURE_PROPOSED, RecoveryAction.Status.CLOSED, closed_at),
    ):
        ActionTransition.objects.create(
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=rm,
            at=at,
            reason="Imported from the previous action tracker: training delivered.",
        )
    RecoveryAction.objects.filter(pk=action.pk).update(
        status=RecoveryAction.Status.CLOSED,
        proposed_by=rm,
        proposed_at=closed_at,
        closed_by=rm,
        closed_at=closed_at,
        closure_note="Training delivered to all care workers.",
    )


def seed(world) -> ScanResult:
    """Add the flag demo data (once) and scan every demo provider. Returns the scan counts."""
    today = timezone.localdate()
    _falls(world, today)
    _medicines(world, today)
    result = ScanResult(provider_id=0)
    for provider in (world.provider, world.other_provider):
        result.merge(flags_scan_provider(provider=provider, today=today))
    return result
