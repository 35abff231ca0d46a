"""The closure gate: each action's conditions, met or not with their facts, and what proposing needs."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.choices import RiskLevel
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from recovery.closure import services as closure
from recovery.closure.conditions import closure_checklist
from recovery.measures.measuring import periods_at_target_since
from recovery.models import ActionTransition, RecoveryAction
from recovery.plan import services as plan
from recovery.tests.factories import (
    ActionFactory,
    DataPointFactory,
    MeasureFactory,
    StepFactory,
    ThemeFactory,
    in_progress_action,
)

S = RecoveryAction.Status
TODAY = timezone.localdate
SIX_KINDS = [
    SourceType.CARE_RECORD,
    SourceType.AUDIT,
    SourceType.OBSERVATION,
    SourceType.FAMILY_FEEDBACK,
    SourceType.PEOPLES_FEEDBACK,
    SourceType.STAFF_FEEDBACK,
]


def _days(n: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=n)


def a9_like(world) -> RecoveryAction:
    """High risk, work started today: 0 of 5 steps done, 1 of 4 sustained periods, 1 of 6 evidence kinds."""
    action = in_progress_action(world.service, days_ago=0, risk_level=RiskLevel.HIGH, evidence_required=SIX_KINDS)
    for _ in range(5):
        StepFactory(action=action)
    measure = MeasureFactory(action=action, name="Escalated on time", target_value=90, sustain_periods=4)
    DataPointFactory(measure=measure, numerator=8, denominator=10, period_date=_days(7))  # before the start
    DataPointFactory(measure=measure, numerator=10, denominator=10, period_date=_days(-1))  # this week
    action.evidence.add(EvidenceFactory(service=world.service, source_type=SourceType.AUDIT, refers_to=TODAY()))
    return action


def test_an_a9_like_proposal_names_each_unmet_condition_and_needs_a_justification(world):
    action = a9_like(world)
    with pytest.raises(ValidationError) as exc:
        closure.action_propose_closure(actor=world.lead, action=action, note="Work has started well.")
    message = exc.value.message_dict["justification"][0]
    assert "7 closure conditions are not met" in message
    assert "0 of 5 done" in message
    assert "Escalated on time: at least 90% for 4 consecutive periods after work started (1 of 4" in message
    for kind in SIX_KINDS[:1] + SIX_KINDS[2:]:
        assert f"{SourceType(kind).label} as impact evidence dated since work started (None linked)" in message
    assert "Audit as impact" not in message  # the one kind present

    closure.action_propose_closure(
        actor=world.lead, action=action, note="Work has started well.", justification="The inspector returns soon."
    )
    assert action.status == S.CLOSURE_PROPOSED
    snapshot = action.transitions.get(to_status=S.CLOSURE_PROPOSED).snapshot["checklist"]
    unmet = [c["key"] for c in snapshot["conditions"] if not c["met"]]
    assert "steps" in unmet and "ni" in unmet and len(unmet) == 8  # the NI's sign-off comes with the decision


def test_a_checklist_states_the_facts_behind_each_condition(world):
    checklist = closure_checklist(a9_like(world))
    by_key = {c.key: c for c in checklist.conditions}
    assert by_key["steps"].facts.startswith("0 of 5 done; not done: step ")
    assert by_key["evidence:audit"].met
    assert by_key["ni"].at_decision and not by_key["ni"].met
    assert checklist.met_count == 1 and len(checklist.conditions) == 9


def test_steps_done_or_not_needed_with_a_reason_meet_the_steps_condition(world):
    action = in_progress_action(world.service)
    done, skipped = StepFactory(action=action, done_on=_days(1)), StepFactory(action=action)
    with pytest.raises(ValidationError) as exc:
        plan.step_mark_not_needed(actor=world.rm, step=skipped, reason="  ")
    assert "why this step is not needed" in exc.value.message_dict["reason"][0]
    with pytest.raises(ValidationError):
        plan.step_mark_not_needed(actor=world.rm, step=done, reason="Done anyway")
    plan.step_mark_not_needed(actor=world.rm, step=skipped, reason="The handover sheet covers it.")
    steps = {c.key: c for c in closure_checklist(action).conditions}["steps"]
    assert steps.met and steps.facts == "1 of 2 done, 1 not needed."


def test_measure_periods_count_only_after_work_started_and_in_a_row(world):
    action = in_progress_action(world.service, days_ago=30)
    measure = MeasureFactory(action=action, target_value=90, sustain_periods=3)
    points = [
        DataPointFactory(measure=measure, numerator=n, denominator=10, period_date=_days(d))
        for n, d in ((10, 35), (10, 28), (8, 21), (10, 14), (10, 7), (10, 0))
    ]
    assert periods_at_target_since(measure, points, _days(30)) == 3
    assert periods_at_target_since(measure, points[:5], _days(30)) == 2
    assert periods_at_target_since(measure, points[:3], _days(30)) == 0  # the only good ones predate the start
    assert periods_at_target_since(measure, points[:2], None) == 2
    assert {c.key: c for c in closure_checklist(action).conditions}[f"measure:{measure.pk}"].met


def test_relabelled_activity_evidence_counts_but_is_named_with_its_reason(world):
    action = in_progress_action(world.service, evidence_required=[SourceType.TRAINING_RECORD])
    action.evidence.add(
        EvidenceFactory(
            service=world.service,
            source_type=SourceType.TRAINING_RECORD,
            nature="impact",
            nature_override_reason="Each carer signed that they read the new plans.",
            refers_to=_days(1),
        )
    )
    checklist = closure_checklist(action)
    assert {c.key: c for c in checklist.conditions}["evidence:training_record"].met
    assert [r.reason for r in checklist.relabelled] == ["Each carer signed that they read the new plans."]


def test_conditions_are_free_before_work_starts_then_need_a_recorded_reason(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service), status=S.OPEN, evidence_required=["audit"])
    measure = MeasureFactory(action=action, sustain_periods=4)
    closure.action_set_closure_conditions(
        actor=world.rm, action=action, steps=False, periods={measure.pk: 6}, evidence_required=["audit", "observation"]
    )
    assert not ActionTransition.objects.filter(action=action).exists()
    closure.action_start(actor=world.rm, action=action)
    action.refresh_from_db()
    assert action.closure_conditions == {"steps": False, "periods": [[measure.pk, 6]]}
    measure.sustain_periods = 2  # a later edit of the measure does not loosen the fixed condition
    measure.save()
    assert closure_checklist(action).conditions[0].label.endswith("for 6 consecutive periods after work started")

    with pytest.raises(ValidationError) as exc:
        closure.action_set_closure_conditions(
            actor=world.rm, action=action, steps=True, periods={measure.pk: 2}, evidence_required=["audit"]
        )
    assert "say why" in exc.value.message_dict["reason"][0]
    closure.action_set_closure_conditions(
        actor=world.rm,
        action=action,
        steps=True,
        periods={measure.pk: 2},
        evidence_required=["audit"],
        reason="The audit is fortnightly now; two periods cover a month.",
    )
    edit = ActionTransition.objects.get(action=action, snapshot__has_key="conditions")
    assert edit.snapshot["conditions"]["from"]["periods"] == {str(measure.pk): 6}
    assert edit.snapshot["conditions"]["to"]["periods"] == {str(measure.pk): 2}
    assert closure_checklist(action).edits == [edit]


def test_evidence_required_changes_after_the_start_only_through_the_conditions(world):
    action = in_progress_action(world.service, evidence_required=["audit"])
    with pytest.raises(ValidationError) as exc:
        plan.action_update(actor=world.rm, action=action, evidence_required=["training_record"])
    assert "closure conditions page" in exc.value.message_dict["evidence_required"][0]


def test_a_closed_action_is_judged_as_it_stood_at_closure(world):
    action = in_progress_action(world.service, days_ago=40)
    measure = MeasureFactory(action=action, target_value=90, sustain_periods=2)
    for d in (21, 14):
        DataPointFactory(measure=measure, numerator=10, denominator=10, period_date=_days(d))
    DataPointFactory(measure=measure, numerator=5, denominator=10, period_date=_days(0))  # drift after closure
    RecoveryAction.objects.filter(pk=action.pk).update(
        status=S.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=10)
    )
    action.refresh_from_db()
    assert {c.key: c for c in closure_checklist(action).conditions}[f"measure:{measure.pk}"].met


def test_steps_take_a_named_owner_or_a_role_and_a_frequency(world):
    action = in_progress_action(world.service)
    with pytest.raises(ValidationError) as exc:
        plan.step_add(actor=world.rm, action=action, what="Sample records")
    assert "a person, or a role" in exc.value.message_dict["role"][0]
    step = plan.step_add(actor=world.rm, action=action, what="Sample records", owner=world.rm, frequency="weekly")
    assert step.who == str(world.rm) and step.get_frequency_display() == "Weekly"
    with pytest.raises(ValidationError):
        plan.step_add(actor=world.rm, action=action, what="Sample", owner=world.users["outsider"])


def test_risks_say_what_could_go_wrong_the_warnings_and_who_acts(world):
    action = in_progress_action(world.service)
    with pytest.raises(ValidationError) as exc:
        plan.risk_add(
            actor=world.rm,
            action=action,
            what_could_go_wrong="Agency staff",
            early_warning="",
            who_acts="",
            how_they_act="",
        )
    assert {"early_warning", "who_acts", "how_they_act"} <= set(exc.value.message_dict)
    plan.risk_add(
        actor=world.rm,
        action=action,
        what_could_go_wrong="Agency staff miss the prompt",
        early_warning="A blank oversight log",
        who_acts="Deputy manager",
        how_they_act="Briefs agency staff at the start of each shift",
    )
    assert action.risks.count() == 1
