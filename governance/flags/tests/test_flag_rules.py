"""Each flag rule: raised, not duplicated when the scan runs again, resolved when the cause clears."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.periods import previous_period
from audits.tests.factories import SubmittedAuditFactory, TemplateFactory
from core.choices import RiskLevel
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from governance.flags.services import flags_scan_provider
from governance.flags.tests.factories import FlagFactory
from governance.models import Flag
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.models import ActionTransition, FailureTheme, RecoveryAction, ReviewLayer, ReviewOutcome
from recovery.reviewing.services import review_record
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

S = RecoveryAction.Status
K = Flag.Kind
TODAY = datetime.date.today()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def scan(world):
    return flags_scan_provider(provider=world.provider, today=TODAY)


def flags(kind, cause=None, **subject):
    qs = Flag.objects.filter(kind=kind)
    if cause:
        qs = qs.filter(cause=cause)
    return qs.filter(**subject)


def assert_lifecycle(world, kind, cause, clear, **subject):
    """Raised once, still one after a second scan, resolved (and kept) after ``clear()``."""
    scan(world)
    assert flags(kind, cause, **subject).filter(resolved_at__isnull=True).count() == 1
    scan(world)
    assert flags(kind, cause, **subject).count() == 1, "a re-run must not duplicate an open flag"
    clear()
    result = scan(world)
    flag = flags(kind, cause, **subject).get()
    assert flag.resolved_at is not None, "the flag should resolve once its cause clears"
    assert result.resolved[kind] >= 1
    scan(world)
    assert flags(kind, cause, **subject).count() == 1, "history stays; nothing new is raised"
    return flag


def overdue_action(world) -> RecoveryAction:
    """In progress since today, due three days ago."""
    return ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        status=S.IN_PROGRESS,
        started_on=TODAY,
        due_date=days_ago(3),
    )


def closed_action(world, **fields) -> RecoveryAction:
    theme = ThemeFactory(service=world.service, owner=world.rm)
    defaults = dict(
        theme=theme,
        owner=world.rm,
        status=S.CLOSED,
        started_on=days_ago(60),
        closed_at=timezone.now() - datetime.timedelta(days=1),
        closure_justification="",
    )
    defaults.update(fields)
    return ActionFactory(**defaults)


def test_unsupported_closure_without_impact_evidence(world):
    action = closed_action(world)
    action.evidence.add(
        EvidenceFactory(service=world.service, source_type=SourceType.TRAINING_RECORD, refers_to=days_ago(10)),
        # Impact, but from before the action started: it cannot show what the action changed.
        EvidenceFactory(service=world.service, source_type=SourceType.OBSERVATION, refers_to=days_ago(90)),
    )

    def clear():
        action.evidence.add(
            EvidenceFactory(service=world.service, source_type=SourceType.OBSERVATION, refers_to=days_ago(5))
        )

    flag = assert_lifecycle(world, K.UNSUPPORTED_CLOSURE, "no_impact_evidence", clear, subject_id=action.pk)
    assert flag.service == world.service and flag.provider == world.provider
    assert "impact evidence" in flag.detail


def test_unsupported_closure_with_a_measure_not_met(world):
    action = closed_action(world)
    measure = MeasureFactory(action=action, target_value=95)
    DataPointFactory(measure=measure, numerator=6, denominator=10, period_date=days_ago(2))

    def clear():
        RecoveryAction.objects.filter(pk=action.pk).update(
            closure_justification="Target missed by one record; the NI reviewed the sample and agreed."
        )

    flag = assert_lifecycle(world, K.UNSUPPORTED_CLOSURE, "measure_not_met", clear, subject_id=action.pk)
    assert measure.name in flag.detail


def test_high_risk_closure_needs_the_nominated_individual(world):
    action = closed_action(world, risk_level=RiskLevel.HIGH)
    ActionTransition.objects.create(
        action=action, from_status=S.CLOSURE_PROPOSED, to_status=S.CLOSED, actor=world.rm, at=timezone.now()
    )

    def clear():
        # Reopened and closed again, this time decided by the NI: the latest closure counts.
        ActionTransition.objects.create(
            action=action,
            from_status=S.CLOSURE_PROPOSED,
            to_status=S.CLOSED,
            actor=world.ni,
            at=timezone.now() + datetime.timedelta(seconds=1),
        )

    assert_lifecycle(world, K.UNSUPPORTED_CLOSURE, "no_ni_decision", clear, subject_id=action.pk)


def test_ordinary_risk_closure_by_the_rm_is_fine(world):
    action = closed_action(world, risk_level=RiskLevel.MEDIUM)
    ActionTransition.objects.create(action=action, from_status=S.CLOSURE_PROPOSED, to_status=S.CLOSED, actor=world.rm)
    scan(world)
    assert not flags(K.UNSUPPORTED_CLOSURE, "no_ni_decision").exists()


def test_no_follow_up_within_two_review_cycles_of_closure(world):
    action = closed_action(
        world, layers=[("registered_manager", "weekly")], closed_at=timezone.now() - datetime.timedelta(days=20)
    )
    measure = MeasureFactory(action=action, target_value=50)
    DataPointFactory(measure=measure, period_date=days_ago(25))

    def clear():
        DataPointFactory(measure=measure, period_date=days_ago(1))

    assert_lifecycle(world, K.UNSUPPORTED_CLOSURE, "no_follow_up", clear, subject_id=action.pk)


def test_a_re_audit_linked_after_closure_counts_as_follow_up(world):
    action = closed_action(
        world, layers=[("registered_manager", "weekly")], closed_at=timezone.now() - datetime.timedelta(days=20)
    )
    action.evidence.add(EvidenceFactory(service=world.service, source_type=SourceType.AUDIT, refers_to=days_ago(3)))
    scan(world)
    assert not flags(K.UNSUPPORTED_CLOSURE, "no_follow_up").exists()


def _review(world, layer):
    review_record(
        actor=world.rm, layer=layer, reviewed_on=TODAY, outcome=ReviewOutcome.ASSURED, looked_at="Sampled records."
    )


def test_action_layer_past_its_next_due(world):
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        status=S.IN_PROGRESS,
        started_on=days_ago(20),
        layers=[("registered_manager", "weekly"), ("nominated_individual", "monthly")],
    )
    weekly, monthly = action.review_layers.order_by("order")

    flag = assert_lifecycle(
        world, K.OVERDUE_REVIEW, f"layer:{weekly.pk}", lambda: _review(world, weekly), subject_type="action"
    )
    assert flag.subject_id == action.pk
    assert flag.detail.startswith("Weekly RM review overdue: due ")
    assert "(weekly RM review)" in flag.subject_label
    assert not flags(K.OVERDUE_REVIEW, f"layer:{monthly.pk}").exists(), "the monthly layer is not due yet"


def test_theme_layer_past_its_next_due(world):
    theme = ThemeFactory(service=world.service, owner=world.rm, layers=[("nominated_individual", "monthly")])
    layer = theme.review_layers.get()
    ReviewLayer.objects.filter(pk=layer.pk).update(last_reviewed_on=days_ago(40), next_due=days_ago(9))

    flag = assert_lifecycle(
        world,
        K.OVERDUE_REVIEW,
        f"layer:{layer.pk}",
        lambda: _review(world, layer),
        subject_type="theme",
        subject_id=theme.pk,
    )
    assert flag.detail.startswith("Monthly NI review overdue: theme review due ")


def test_scheduled_review_not_held(world):
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    review = OversightReviewFactory(service=world.service, chair=world.rm, scheduled_for=three_days_ago)
    # Today's meeting is not overdue yet.
    OversightReviewFactory(service=world.service, chair=world.rm, scheduled_for=timezone.now())

    def clear():
        type(review).objects.filter(pk=review.pk).update(status="finalised")

    assert_lifecycle(world, K.OVERDUE_REVIEW, "not_held", clear, subject_type="review", subject_id=review.pk)
    assert flags(K.OVERDUE_REVIEW, "not_held").count() == 1


def test_closure_proposal_waiting_too_long(world, settings):
    settings.CLOSURE_PROPOSAL_MAX_WAIT_DAYS = 14
    theme = ThemeFactory(service=world.service, owner=world.rm)
    waiting = ActionFactory(
        theme=theme,
        owner=world.rm,
        status=S.CLOSURE_PROPOSED,
        started_on=TODAY,
        proposed_at=timezone.now() - datetime.timedelta(days=20),
    )
    ActionFactory(
        theme=theme,
        owner=world.rm,
        status=S.CLOSURE_PROPOSED,
        started_on=TODAY,
        proposed_at=timezone.now() - datetime.timedelta(days=3),
    )

    def clear():
        RecoveryAction.objects.filter(pk=waiting.pk).update(status=S.REFUSED)

    assert_lifecycle(world, K.OVERDUE_REVIEW, "closure_waiting", clear, subject_id=waiting.pk)
    assert flags(K.OVERDUE_REVIEW, "closure_waiting").count() == 1


def test_overdue_action(world):
    action = overdue_action(world)

    def clear():
        RecoveryAction.objects.filter(pk=action.pk).update(due_date=TODAY + datetime.timedelta(days=14))

    flag = assert_lifecycle(world, K.OVERDUE_ACTION, "past_due", clear, subject_id=action.pk)
    assert "3 days ago" in flag.detail


def test_overdue_audit(world):
    template = TemplateFactory(provider=world.provider, frequency="weekly")
    template.services.add(world.service)
    type(template).objects.filter(pk=template.pk).update(created_at=timezone.now() - datetime.timedelta(days=60))
    version = template.current_version()
    SubmittedAuditFactory(
        template=template,
        template_version=version,
        service=world.service,
        period_start=days_ago(40),
        period_end=days_ago(34),
    )

    def clear():
        start, end = previous_period("weekly", TODAY)
        SubmittedAuditFactory(
            template=template, template_version=version, service=world.service, period_start=start, period_end=end
        )

    flag = assert_lifecycle(world, K.OVERDUE_AUDIT, f"service:{world.service.pk}", clear, subject_type="audit_template")
    assert flag.service == world.service
    # Only where the template is due: the sibling service has no flag.
    assert not Flag.objects.filter(kind=K.OVERDUE_AUDIT, service=world.sibling).exists()


def test_stale_measure(world):
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm), owner=world.rm, status=S.IN_PROGRESS
    )
    measure = MeasureFactory(action=action, cadence="weekly")
    DataPointFactory(measure=measure, period_date=days_ago(20))

    def clear():
        DataPointFactory(measure=measure, period_date=TODAY)

    assert_lifecycle(world, K.STALE_MEASURE, "no_recent_data", clear, subject_type="measure", subject_id=measure.pk)


STEADY = [90, 91, 89, 90, 92, 88, 90, 91, 89, 90]


def _points(measure, values, start: int):
    for i, value in enumerate(values):
        DataPointFactory(measure=measure, period_date=days_ago(start - 7 * i), numerator=value, denominator=100)


def test_drift_after_closure(world):
    action = closed_action(world)
    measure = MeasureFactory(action=action, target_value=85, cadence="weekly")
    _points(measure, [*STEADY, 40], start=70)

    def clear():
        _points(measure, [90, 91, 90], start=-7)  # the weeks after the fall (one point per period)

    flag = assert_lifecycle(world, K.DRIFT, "concern_after_closure", clear, subject_id=measure.pk)
    assert "reopening" in flag.detail


def test_drift_on_a_theme_under_watch(world):
    theme = ThemeFactory(
        service=world.service,
        owner=world.rm,
        status=FailureTheme.Status.MONITORING,
        keep_visible_until=TODAY + datetime.timedelta(days=30),
    )
    action = ActionFactory(theme=theme, owner=world.rm, status=S.IN_PROGRESS, started_on=TODAY)
    measure = MeasureFactory(action=action, target_value=85, cadence="weekly")
    _points(measure, [*STEADY, 40], start=70)
    scan(world)
    assert flags(K.DRIFT, subject_id=measure.pk, resolved_at__isnull=True).count() == 1


def test_no_drift_on_an_open_action_outside_watch(world):
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm), owner=world.rm, status=S.IN_PROGRESS
    )
    measure = MeasureFactory(action=action, target_value=85)
    _points(measure, [*STEADY, 40], start=70)
    scan(world)
    assert not flags(K.DRIFT).exists()


def test_a_resolved_cause_that_returns_raises_a_new_flag(world):
    action = overdue_action(world)
    scan(world)
    RecoveryAction.objects.filter(pk=action.pk).update(due_date=TODAY)
    scan(world)
    RecoveryAction.objects.filter(pk=action.pk).update(due_date=days_ago(1))
    scan(world)
    rows = flags(K.OVERDUE_ACTION, subject_id=action.pk)
    assert rows.count() == 2
    assert rows.filter(resolved_at__isnull=True).count() == 1


def test_scans_leave_other_providers_alone(world):
    ours = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm), owner=world.rm, status=S.OPEN, due_date=days_ago(2)
    )
    theirs = ActionFactory(
        theme=ThemeFactory(service=world.other_service, owner=world.outsider),
        owner=world.outsider,
        status=S.OPEN,
        due_date=days_ago(2),
    )
    scan(world)
    assert flags(K.OVERDUE_ACTION, subject_id=ours.pk).exists()
    assert not flags(K.OVERDUE_ACTION, subject_id=theirs.pk).exists()


def test_the_database_allows_one_open_flag_per_cause(world):
    flag = FlagFactory(service=world.service)
    with pytest.raises(IntegrityError), transaction.atomic():
        FlagFactory(
            service=world.service,
            kind=flag.kind,
            subject_type=flag.subject_type,
            subject_id=flag.subject_id,
            cause=flag.cause,
        )
    Flag.objects.filter(pk=flag.pk).update(resolved_at=timezone.now())
    same = {"kind": flag.kind, "subject_type": flag.subject_type, "subject_id": flag.subject_id, "cause": flag.cause}
    FlagFactory(service=world.service, **same)
