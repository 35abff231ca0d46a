"""The closure workflow: every allowed and forbidden move, who may decide, the closure rules."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from core.choices import CADENCE_DAYS
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from recovery.closure import services as closure
from recovery.models import ActionTransition, RecoveryAction
from recovery.plan.selectors import actions_awaiting_decision
from recovery.plan.services import theme_move, theme_update
from recovery.tests.factories import (
    ActionFactory,
    DataPointFactory,
    MeasureFactory,
    ThemeFactory,
    in_progress_action,
    proposed_action,
)

S = RecoveryAction.Status
TODAY = timezone.localdate


def _days(n: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=n)


def _impact(action, *, days_ago: int = 2, **kw):
    item = EvidenceFactory(service=action.service, refers_to=_days(days_ago), **kw)
    action.evidence.add(item)
    return item


# Each transition function with the arguments that satisfy its own rules.
def _call(name: str, world, action):
    if name == "open":
        return closure.action_open(actor=world.rm, action=action)
    if name == "start":
        return closure.action_start(actor=world.rm, action=action)
    if name == "propose":
        return closure.action_propose_closure(actor=world.lead, action=action, note="Done", justification="Agreed")
    if name == "approve":
        return closure.action_decide_closure(
            decision="approve", actor=world.ni, action=action, rationale="Evidence holds"
        )
    if name == "refuse":
        return closure.action_decide_closure(
            decision="refuse", actor=world.ni, action=action, rationale="Thin", further_checks="Re-audit"
        )
    if name == "reopen":
        return closure.action_reopen(actor=world.rm, action=action, reason="Measure worsened")
    raise AssertionError(name)


ALLOWED_FROM = {
    "open": {S.DRAFT},
    "start": {S.OPEN},
    "propose": {S.IN_PROGRESS},
    "approve": {S.CLOSURE_PROPOSED},
    "refuse": {S.CLOSURE_PROPOSED},
    "reopen": {S.CLOSED},
}
ENDS_IN = {
    "open": [S.OPEN],
    "start": [S.IN_PROGRESS],
    "propose": [S.CLOSURE_PROPOSED],
    "approve": [S.CLOSED],
    "refuse": [S.REFUSED, S.IN_PROGRESS],
    "reopen": [S.REOPENED, S.IN_PROGRESS],
}


def _action_in(world, status: str) -> RecoveryAction:
    action = ActionFactory(
        theme=ThemeFactory(service=world.service),
        owner=world.owner,
        status=status,
        started_on=None if status in (S.DRAFT, S.OPEN) else _days(20),
        proposed_by=world.deputy if status == S.CLOSURE_PROPOSED else None,
        closed_at=timezone.now() if status == S.CLOSED else None,
    )
    _impact(action)
    return action


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("name", list(ALLOWED_FROM))
def test_every_transition_is_allowed_only_from_its_status(world, name, status):
    action = _action_in(world, status)
    if status in ALLOWED_FROM[name]:
        _call(name, world, action)
        action.refresh_from_db()
        moves = list(action.transitions.values_list("from_status", "to_status"))
        assert [to for _, to in moves] == ENDS_IN[name]
        assert moves[0][0] == status
        assert action.status == ENDS_IN[name][-1]
    else:
        with pytest.raises(ValidationError):
            _call(name, world, action)
        action.refresh_from_db()
        assert action.status == status
        assert not action.transitions.exists()


def test_the_whole_path_keeps_its_history(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service), owner=world.owner)
    assert action.status == S.DRAFT
    closure.action_open(actor=world.rm, action=action)
    closure.action_start(actor=world.deputy, action=action)
    assert action.started_on == TODAY()
    _impact(action, days_ago=0)
    closure.action_propose_closure(actor=world.owner, action=action, note="Escalation on time", justification="x")
    closure.action_decide_closure(
        decision="refuse", actor=world.rm, action=action, rationale="One week only", further_checks="4 weeks"
    )
    closure.action_propose_closure(actor=world.owner, action=action, note="Four weeks now", justification="x")
    closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Four weeks sampled")
    closure.action_reopen(actor=world.quality, action=action, reason="Drifted in December")
    statuses = list(action.transitions.order_by("at", "pk").values_list("to_status", flat=True))
    assert statuses == [
        S.OPEN,
        S.IN_PROGRESS,
        S.CLOSURE_PROPOSED,
        S.REFUSED,
        S.IN_PROGRESS,
        S.CLOSURE_PROPOSED,
        S.CLOSED,
        S.REOPENED,
        S.IN_PROGRESS,
    ]
    refusal = action.transitions.get(to_status=S.REFUSED)
    assert (refusal.actor, refusal.reason, refusal.further_checks) == (world.rm, "One week only", "4 weeks")
    assert action.status == S.IN_PROGRESS and action.closed_at is None


def test_work_cannot_start_without_an_intended_outcome(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service), status=S.OPEN, intended_outcome="")
    with pytest.raises(ValidationError) as exc:
        closure.action_start(actor=world.rm, action=action)
    assert "intended_outcome" in exc.value.message_dict
    action.refresh_from_db()
    assert action.status == S.OPEN


def test_roles_without_plan_rights_cannot_open_or_start(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service))
    for persona in ("owner", "viewer", "board", "outsider"):
        with pytest.raises(PermissionDenied):
            closure.action_open(actor=world.users[persona], action=action)


# --- Proposing closure --------------------------------------------------------------------


def test_proposal_needs_a_note(world):
    action = in_progress_action(world.service)
    _impact(action)
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="  ", justification="x")
    assert "note" in exc.value.message_dict


def test_proposal_without_any_evidence_is_refused(world):
    action = in_progress_action(world.service)
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Done", justification="x")
    assert "No evidence is linked" in exc.value.message_dict["evidence"][0]
    assert RecoveryAction.objects.get(pk=action.pk).status == S.IN_PROGRESS


def test_activity_evidence_alone_is_not_enough(world):
    action = in_progress_action(world.service)
    _impact(action, source_type=SourceType.TRAINING_RECORD)
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Everyone trained", justification="x")
    assert "only shows activity" in exc.value.message_dict["evidence"][0]


def test_impact_evidence_dated_before_the_action_started_does_not_count(world):
    action = in_progress_action(world.service, days_ago=10)
    _impact(action, days_ago=11)
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Done", justification="x")
    assert "before the action started" in exc.value.message_dict["evidence"][0]
    _impact(action, days_ago=10)  # on the start date counts
    closure.action_propose_closure(actor=world.lead, action=action, note="Done", justification="x")
    assert action.status == S.CLOSURE_PROPOSED


def test_removed_evidence_does_not_count(world):
    action = in_progress_action(world.service)
    _impact(action, removed_at=timezone.now(), removal_reason="Uploaded to the wrong service")
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Done", justification="x")
    assert "evidence" in exc.value.message_dict


def test_unmet_measure_needs_a_justification(world):
    action = in_progress_action(world.service)
    _impact(action)
    measure = MeasureFactory(action=action, baseline_value=60, target_value=95)
    DataPointFactory(measure=measure, numerator=7, denominator=10, period_date=_days(1))
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Better", justification="")
    assert measure.name in exc.value.message_dict["justification"][0]
    closure.action_propose_closure(
        actor=world.lead, action=action, note="Better", justification="Sample of four; every case escalated"
    )
    action.refresh_from_db()
    assert action.closure_justification == "Sample of four; every case escalated"


def test_met_measures_need_no_justification(world):
    """Met means sustained: at target for the measure's four periods in a row since work started."""
    action = in_progress_action(world.service)
    _impact(action)
    measure = MeasureFactory(action=action, baseline_value=60, target_value=90, sustain_periods=4)
    for days in (22, 15, 8, 1):
        DataPointFactory(measure=measure, numerator=10, denominator=10, period_date=_days(days))
    closure.action_propose_closure(actor=world.owner, action=action, note="All sampled cases on time")
    assert action.status == S.CLOSURE_PROPOSED and action.proposed_by == world.owner


def test_an_action_without_a_measure_needs_a_justification(world):
    action = in_progress_action(world.service)
    _impact(action)
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Done")
    assert "no outcome measure" in exc.value.message_dict["justification"][0]


def test_viewer_and_board_cannot_propose(world):
    action = in_progress_action(world.service)
    _impact(action)
    for persona in ("viewer", "board", "ni"):
        with pytest.raises(PermissionDenied):
            closure.action_propose_closure(actor=world.users[persona], action=action, note="x", justification="x")


def test_the_proposal_snapshot_records_evidence_and_measures(world):
    action = in_progress_action(world.service)
    item = _impact(action)
    measure = MeasureFactory(action=action)
    DataPointFactory(measure=measure, numerator=9, denominator=10, period_date=_days(3))
    closure.action_propose_closure(actor=world.lead, action=action, note="Better", justification="Nearly there")
    t = action.transitions.get(to_status=S.CLOSURE_PROPOSED)
    assert t.actor == world.lead and t.reason == "Better"
    assert t.snapshot["evidence"][0]["id"] == item.pk and t.snapshot["evidence"][0]["nature"] == "impact"
    assert t.snapshot["measures"][0]["latest"] == 90.0
    assert t.snapshot["closure_justification"] == "Nearly there"


# --- Deciding -----------------------------------------------------------------------------


def test_nobody_approves_their_own_proposal(world):
    action = proposed_action(world.service, proposer=world.rm)
    with pytest.raises(PermissionDenied):
        closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Fine")
    with pytest.raises(PermissionDenied):
        closure.action_decide_closure(
            decision="refuse", actor=world.rm, action=action, rationale="x", further_checks="y"
        )
    assert RecoveryAction.objects.get(pk=action.pk).status == S.CLOSURE_PROPOSED
    closure.action_decide_closure(decision="approve", actor=world.ni, action=action, rationale="Evidence holds")
    assert action.status == S.CLOSED and action.closed_by == world.ni


def test_registered_manager_cannot_approve_a_high_risk_closure(world):
    action = proposed_action(world.service, proposer=world.lead, risk_level="high")
    with pytest.raises(PermissionDenied, match="nominated individual"):
        closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Fine")
    closure.action_decide_closure(
        decision="approve", actor=world.ni, action=action, rationale="Observed practice twice"
    )
    assert action.status == S.CLOSED


def test_registered_manager_approves_an_ordinary_closure(world):
    action = proposed_action(world.service, proposer=world.lead)
    closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Re-audit at 96%")
    t = action.transitions.get()
    assert (t.from_status, t.to_status, t.actor, t.reason) == (
        S.CLOSURE_PROPOSED,
        S.CLOSED,
        world.rm,
        "Re-audit at 96%",
    )


@pytest.mark.parametrize("persona", ["deputy", "lead", "owner", "quality", "viewer", "board", "outsider"])
def test_other_roles_cannot_decide(world, persona):
    action = proposed_action(world.service, proposer=world.rm)
    with pytest.raises(PermissionDenied):
        closure.action_decide_closure(decision="approve", actor=world.users[persona], action=action, rationale="Fine")


def test_approval_and_refusal_need_their_reasons(world):
    action = proposed_action(world.service, proposer=world.lead)
    with pytest.raises(ValidationError) as exc:
        closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale=" ")
    assert "rationale" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        closure.action_decide_closure(decision="refuse", actor=world.rm, action=action, rationale="", further_checks="")
    assert {"rationale", "further_checks"} <= set(exc.value.message_dict)
    assert RecoveryAction.objects.get(pk=action.pk).status == S.CLOSURE_PROPOSED


def test_approval_is_refused_when_the_evidence_was_removed_since_the_proposal(world):
    action = proposed_action(world.service, proposer=world.lead)
    action.evidence.update(removed_at=timezone.now())
    with pytest.raises(ValidationError, match="no longer there"):
        closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Fine")


def test_refusal_sends_the_action_back_in_progress_with_the_checks(world):
    action = proposed_action(world.service, proposer=world.lead, risk_level="high")
    closure.action_decide_closure(
        decision="refuse",
        actor=world.ni,
        action=action,
        rationale="Only training records",
        further_checks="Observe two handovers",
    )
    action.refresh_from_db()
    assert action.status == S.IN_PROGRESS and action.proposed_by is None
    refusal = action.transitions.get(to_status=S.REFUSED)
    assert refusal.further_checks == "Observe two handovers"
    assert refusal.snapshot["evidence"], "the refusal keeps what the decider saw"


def test_two_deciders_at_once_only_one_succeeds(world):
    action = proposed_action(world.service, proposer=world.lead)
    seen_by_rm = RecoveryAction.objects.get(pk=action.pk)
    seen_by_ni = RecoveryAction.objects.get(pk=action.pk)
    closure.action_decide_closure(decision="approve", actor=world.rm, action=seen_by_rm, rationale="Holds")
    with pytest.raises(closure.StaleAction, match="Someone else has just changed"):
        closure.action_decide_closure(
            decision="refuse", actor=world.ni, action=seen_by_ni, rationale="No", further_checks="More"
        )
    action.refresh_from_db()
    assert action.status == S.CLOSED
    assert list(action.transitions.values_list("to_status", flat=True)) == [S.CLOSED]


def test_conditional_update_refuses_when_the_row_moved_underneath(world):
    """Even past the lock check, the UPDATE names the status it expects."""
    action = proposed_action(world.service, proposer=world.lead)
    RecoveryAction.objects.filter(pk=action.pk).update(status=S.CLOSED)
    with pytest.raises(closure.StaleAction):
        closure._move(actor=world.rm, action=action, to=S.CLOSED, at=timezone.now())
    assert not ActionTransition.objects.filter(action=action).exists()


# --- Keep visible until -------------------------------------------------------------------


def test_closing_an_action_sets_the_theme_keep_visible_date(world):
    theme = ThemeFactory(service=world.service, layers=[("nominated_individual", "monthly")])
    action = proposed_action(world.service, proposer=world.lead, theme=theme)
    closed_on = timezone.now() - datetime.timedelta(days=5)
    closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Holds", at=closed_on)
    theme.refresh_from_db()
    expected = timezone.localdate(closed_on) + datetime.timedelta(days=2 * CADENCE_DAYS["monthly"])
    assert theme.keep_visible_until == expected == theme.visible_until


def test_keep_visible_follows_the_last_closure_and_reopening_clears_it(world):
    theme = ThemeFactory(service=world.service, layers=[("registered_manager", "weekly")])
    first = proposed_action(world.service, proposer=world.lead, theme=theme)
    second = proposed_action(world.service, proposer=world.lead, theme=theme)
    closure.action_decide_closure(
        decision="approve", actor=world.rm, action=first, rationale="a", at=timezone.now() - datetime.timedelta(days=20)
    )
    closure.action_decide_closure(decision="approve", actor=world.rm, action=second, rationale="b")
    theme.refresh_from_db()
    assert theme.keep_visible_until == TODAY() + datetime.timedelta(days=14)
    closure.action_reopen(actor=world.rm, action=second, reason="Drift")
    theme.refresh_from_db()
    assert theme.keep_visible_until == TODAY() - datetime.timedelta(days=20) + datetime.timedelta(days=14)


def test_keep_visible_override_needs_a_reason_and_wins(world):
    theme = ThemeFactory(service=world.service, owner=world.rm)
    later = TODAY() + datetime.timedelta(days=200)
    with pytest.raises(ValidationError) as exc:
        theme_update(actor=world.rm, theme=theme, keep_visible_override=later, keep_visible_override_reason="")
    assert "keep_visible_override_reason" in exc.value.message_dict
    theme_update(
        actor=world.rm, theme=theme, keep_visible_override=later, keep_visible_override_reason="Re-inspection due"
    )
    theme.refresh_from_db()
    assert theme.visible_until == later


def test_a_theme_closes_only_when_its_actions_have(world):
    theme = ThemeFactory(service=world.service)
    action = proposed_action(world.service, proposer=world.lead, theme=theme)
    with pytest.raises(ValidationError):
        theme_move(actor=world.rm, theme=theme, move="close", reason="All done?")
    closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Holds")
    theme_move(actor=world.rm, theme=theme, move="close", reason="Every action closed on evidence.")
    assert theme.status == "closed" and theme.closed_at == TODAY()
    closure.action_reopen(actor=world.rm, action=action, reason="Complaints rising again")
    theme.refresh_from_db()
    assert theme.status == "open"


# --- Awaiting decision --------------------------------------------------------------------


def test_actions_awaiting_decision_respects_role_risk_and_proposer(world):
    ordinary = proposed_action(world.service, proposer=world.lead)
    high = proposed_action(world.service, proposer=world.lead, risk_level="high")
    own = proposed_action(world.service, proposer=world.rm)
    elsewhere = proposed_action(world.other_service, proposer=world.outsider)
    in_progress_action(world.service)
    assert set(actions_awaiting_decision(world.rm)) == {ordinary}
    assert set(actions_awaiting_decision(world.ni)) == {ordinary, high, own}
    assert set(actions_awaiting_decision(world.lead)) == set()
    assert set(actions_awaiting_decision(world.outsider)) == set()
    assert elsewhere not in actions_awaiting_decision(world.ni)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_transitions_cannot_be_changed_on_postgresql(world):
    from django.db import DatabaseError, transaction

    action = proposed_action(world.service, proposer=world.lead)
    closure.action_decide_closure(decision="approve", actor=world.rm, action=action, rationale="Holds")
    with pytest.raises(DatabaseError), transaction.atomic():
        ActionTransition.objects.filter(action=action).update(reason="rewritten")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_deciders_in_parallel_transactions_only_one_succeeds(world):
    """Two threads, two connections, one proposal: the row lock makes the second see the first's decision."""
    import threading

    from django.db import connections

    action = proposed_action(world.service, proposer=world.lead)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def decide(name: str, call) -> None:
        try:
            stale_copy = RecoveryAction.objects.get(pk=action.pk)
            barrier.wait(timeout=10)
            call(stale_copy)
            results[name] = "ok"
        except ValidationError as exc:
            results[name] = exc.code or "invalid"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=decide,
            args=(
                "rm",
                lambda a: closure.action_decide_closure(
                    decision="approve", actor=world.rm, action=a, rationale="Holds"
                ),
            ),
        ),
        threading.Thread(
            target=decide,
            args=(
                "ni",
                lambda a: closure.action_decide_closure(
                    decision="refuse", actor=world.ni, action=a, rationale="No", further_checks="More"
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["ok", "stale"], results
    action.refresh_from_db()
    decisions = ActionTransition.objects.filter(action=action, from_status=S.CLOSURE_PROPOSED)
    assert decisions.count() == 1
    assert action.status == (S.CLOSED if results["rm"] == "ok" else S.IN_PROGRESS)
