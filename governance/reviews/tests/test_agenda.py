"""The live agenda: every source appears, a recorded item survives a refresh, cleared items go."""

from __future__ import annotations

import datetime

from django.utils import timezone

from audits.models import Audit
from audits.tests.factories import SubmittedAuditFactory
from core.choices import RiskLevel
from governance.flags.tests.factories import FlagFactory
from governance.models import AgendaItem, OversightReview
from governance.reviews import services as services
from governance.reviews.agenda import build_agenda
from governance.reviews.tests.factories import OversightReviewFactory, proposed_action
from recovery.models import FailureTheme, RecoveryAction
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

K = AgendaItem.Kind
TODAY = timezone.localdate()


def _every_source(w, service):
    """One record of each kind the agenda looks for, at ``service``; returns {kind: subject id}."""
    s, p = service, service.provider
    proposal = proposed_action(s, w.deputy)
    flag = FlagFactory(service=s, provider=p)
    high = ThemeFactory(service=s, provider=p, risk_level=RiskLevel.HIGH, title="Late escalation")
    live = ActionFactory(theme=high, service=s, provider=p, status=RecoveryAction.Status.IN_PROGRESS)
    measure = MeasureFactory(action=live, baseline_value=60, target_value=95)
    DataPointFactory(measure=measure, numerator=4, denominator=10, value=40.0, period_date=TODAY)
    overdue = ActionFactory(
        theme=high,
        service=s,
        provider=p,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=TODAY - datetime.timedelta(days=9),
    )
    audit = SubmittedAuditFactory(
        service=s,
        provider=p,
        status=Audit.Status.DRAFT,
        template_version__template__provider=p,
        period_start=TODAY - datetime.timedelta(days=20),
        period_end=TODAY - datetime.timedelta(days=14),
    )
    watched = ThemeFactory(
        service=s,
        provider=p,
        status=FailureTheme.Status.CLOSED,
        keep_visible_until=TODAY + datetime.timedelta(days=30),
        title="Medicines recording",
    )
    return {
        K.CLOSURE_PROPOSAL: proposal.pk,
        K.FLAG: flag.pk,
        K.HIGH_RISK_THEME: high.pk,
        K.MEASURE_CONCERN: measure.pk,
        K.OVERDUE_ACTION: overdue.pk,
        K.OVERDUE_AUDIT: audit.pk,
        K.WATCH_THEME: watched.pk,
    }


def test_each_source_kind_appears_once_in_meeting_order(world):
    expected = _every_source(world, world.service)
    review = OversightReviewFactory(service=world.service, provider=world.provider)
    entries = build_agenda(review, today=TODAY)
    found = {(e.kind, e.subject_id) for e in entries}
    for kind, pk in expected.items():
        assert (kind, pk) in found, f"{kind} missing from the agenda"
    assert entries[0].kind == K.CLOSURE_PROPOSAL
    assert entries[-1].kind == K.WATCH_THEME


def test_a_service_review_looks_only_at_its_service_and_a_provider_review_at_all(world):
    _every_source(world, world.sibling)
    review = OversightReviewFactory(service=world.service, provider=world.provider)
    assert build_agenda(review, today=TODAY) == []
    across = OversightReviewFactory(service=None, provider=world.provider, kind=OversightReview.Kind.QUARTERLY_BOARD)
    assert len(build_agenda(across, today=TODAY)) >= 7
    other = OversightReviewFactory(service=world.other_service, provider=world.other_provider)
    assert build_agenda(other, today=TODAY) == []


def test_start_materialises_the_agenda_with_snapshots(world):
    _every_source(world, world.service)
    review = OversightReviewFactory(service=world.service, provider=world.provider)
    services.review_start(actor=world.rm, review=review)
    review.refresh_from_db()
    assert review.status == OversightReview.Status.IN_PROGRESS
    items = list(review.agenda_items.all())
    assert {i.kind for i in items} == {
        K.CLOSURE_PROPOSAL,
        K.FLAG,
        K.HIGH_RISK_THEME,
        K.MEASURE_CONCERN,
        K.OVERDUE_ACTION,
        K.OVERDUE_AUDIT,
        K.WATCH_THEME,
    }
    overdue = next(i for i in items if i.kind == K.OVERDUE_ACTION)
    assert overdue.snapshot["days_overdue"] == 9 and overdue.snapshot["service"] == world.service.name


def _overdue(service, title: str) -> RecoveryAction:
    return ActionFactory(
        theme=ThemeFactory(service=service, provider=service.provider),
        service=service,
        provider=service.provider,
        title=title,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=TODAY - datetime.timedelta(days=3),
    )


def _flag_item(review, action):
    # An overdue action is on the agenda once, as itself (its "overdue action" flag is not repeated).
    return review.agenda_items.get(kind=K.OVERDUE_ACTION, subject_id=action.pk)


def test_refresh_adds_new_items_keeps_recorded_ones_and_drops_cleared_ones(world):
    # Real causes, not hand-made flags: the agenda re-evaluates its scope's flags when it is built.
    s = world.service
    recorded_action, cleared_action = _overdue(s, "Recorded"), _overdue(s, "Cleared")
    review = OversightReviewFactory(service=s, provider=s.provider)
    services.review_start(actor=world.rm, review=review)
    recorded = _flag_item(review, recorded_action)
    cleared_flag_id = _flag_item(review, cleared_action).subject_id
    services.item_challenge(actor=world.board, item=recorded, kind="question", text="Who is following this up?")
    # Both causes clear (new due dates); a new one arises.
    later = TODAY + datetime.timedelta(days=30)
    RecoveryAction.objects.filter(pk__in=[recorded_action.pk, cleared_action.pk]).update(due_date=later)
    new_action = _overdue(s, "New")

    services.agenda_refresh(actor=world.rm, review=review)

    ids = set(review.agenda_items.filter(kind=K.OVERDUE_ACTION).values_list("subject_id", flat=True))
    assert recorded.subject_id in ids, "an item with a challenge on it is kept"
    assert cleared_flag_id not in ids, "an untouched item whose cause cleared is dropped"
    assert _flag_item(review, new_action), "new items are added"
    assert review.agenda_items.get(pk=recorded.pk).challenges.count() == 1


def test_a_recorded_items_snapshot_is_not_rewritten(world):
    s = world.service
    action = ActionFactory(
        theme=ThemeFactory(service=s, provider=s.provider),
        service=s,
        provider=s.provider,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=TODAY - datetime.timedelta(days=3),
    )
    review = OversightReviewFactory(service=s, provider=s.provider)
    services.review_start(actor=world.rm, review=review)
    item = review.agenda_items.get(kind=K.OVERDUE_ACTION)
    services.item_decide(actor=world.rm, item=item, decision="not_assured", rationale="No plan to catch up.")
    RecoveryAction.objects.filter(pk=action.pk).update(due_date=TODAY - datetime.timedelta(days=5))
    services.agenda_refresh(actor=world.rm, review=review)
    item.refresh_from_db()
    assert item.snapshot["days_overdue"] == 3 and item.decision == "not_assured"
