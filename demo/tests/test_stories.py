"""The recovery demo: its closure stories, built through the services, and safe to run twice."""

from __future__ import annotations

import pytest

from demo import stories as demo
from demo import world as demo_world
from evidence.models import EvidenceItem, Nature, SourceType
from recovery.closure.conditions import closure_checklist
from recovery.measures.measuring import summarise
from recovery.measures.spc import CONCERN
from recovery.models import ActionTransition, DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction

S = RecoveryAction.Status


@pytest.fixture
def seeded(db):
    world = demo_world.seed()
    return world, demo.seed(world)


def _summary(measure: OutcomeMeasure):
    return summarise(measure, list(measure.points.all()))


def test_demo_measures_are_exposed_by_key(seeded):
    _, result = seeded
    assert set(result.measures) == {
        "escalation",
        "complaints",
        "staffing",
        "closure-evidence",
        "care-plan-alignment",
        "audit-challenge",
    }
    assert result.measures["escalation"].kind == OutcomeMeasure.Kind.PERCENTAGE
    # The audits demo records these two from weekly audits.
    assert not result.measures["escalation"].points.exists()
    assert not result.measures["care-plan-alignment"].points.exists()
    for key in ("complaints", "staffing", "closure-evidence", "audit-challenge"):
        assert 6 <= result.measures[key].points.count() <= 20


def test_complaints_closed_properly_then_drifted(seeded):
    _, result = seeded
    action = result.actions["complaints"]
    assert action.status == S.CLOSED and action.closed_by.email == "ni@oakfield.example"
    summary = _summary(result.measures["complaints"])
    assert summary.spc.variation == CONCERN
    assert not summary.met
    assert result.themes["complaints"].status == FailureTheme.Status.MONITORING
    assert result.themes["complaints"].keep_visible_until is not None


def test_staffing_refused_by_the_ni_and_back_in_progress(seeded):
    _, result = seeded
    action = result.actions["staffing"]
    assert action.status == S.IN_PROGRESS and action.is_high_risk
    refusal = action.transitions.get(to_status=S.REFUSED)
    assert refusal.actor.email == "ni@oakfield.example" and refusal.further_checks
    last = action.transitions.order_by("-at", "-pk").first()
    assert (last.from_status, last.to_status) == (S.REFUSED, S.IN_PROGRESS)
    assert refusal.at < action.created_at, "the refusal is dated in the past, when it happened"


def test_closure_evidence_closed_with_ni_sign_off(seeded):
    _, result = seeded
    action = result.actions["closure-evidence"]
    assert action.status == S.CLOSED and action.is_high_risk
    approval = action.transitions.get(to_status=S.CLOSED)
    assert approval.actor.email == "ni@oakfield.example"
    assert approval.actor != action.transitions.get(to_status=S.CLOSURE_PROPOSED).actor
    assert _summary(result.measures["closure-evidence"]).met


def test_care_plans_proposed_on_training_records_only(seeded):
    _, result = seeded
    action = result.actions["care-plan-alignment"]
    assert action.status == S.CLOSURE_PROPOSED
    sources = set(action.evidence.values_list("source_type", flat=True))
    assert sources == {SourceType.TRAINING_RECORD}
    assert action.closure_justification


def test_care_plans_proposal_shows_its_unmet_conditions_and_justification(seeded):
    """Training records only: steps undone, the measure not sustained, no care record, observation
    or people's feedback as impact; proposed anyway, with a justification the decider sees."""
    _, result = seeded
    checklist = closure_checklist(result.actions["care-plan-alignment"])
    unmet = {c.key for c in checklist.unmet}
    measure = result.measures["care-plan-alignment"]
    assert unmet >= {"steps", f"measure:{measure.pk}", "evidence:care_record", "evidence:observation"}
    assert "evidence:peoples_feedback" in unmet
    assert [r.item.source_type for r in checklist.relabelled] == [SourceType.TRAINING_RECORD]
    assert checklist.relabelled[0].reason
    proposal = result.actions["care-plan-alignment"].transitions.get(to_status=S.CLOSURE_PROPOSED)
    assert {c["key"] for c in proposal.snapshot["checklist"]["conditions"] if not c["met"]} >= unmet


def test_escalation_steps_have_named_owners_frequencies_and_risks(seeded):
    _, result = seeded
    action = result.actions["escalation"]
    steps = list(action.steps.order_by("order"))
    assert [s.frequency for s in steps] == ["each_shift", "weekly", "weekly", "monthly"]
    assert steps[0].owner is None and steps[0].role == "Senior carer on each shift"
    assert [s.owner.email.split("@")[0] for s in steps[1:]] == ["rm", "deputy", "ni"]
    risks = list(action.risks.all())
    assert len(risks) == 3 and all(r.early_warning and r.who_acts and r.how_they_act for r in risks)


def test_escalation_is_in_progress_with_its_history_dated_in_the_past(seeded):
    _, result = seeded
    action = result.actions["escalation"]
    assert action.status == S.IN_PROGRESS and action.intended_outcome
    started = action.transitions.get(to_status=S.IN_PROGRESS)
    assert started.at.date() == action.started_on and (action.created_at.date() - action.started_on).days >= 60


def test_running_the_demo_twice_changes_nothing(seeded):
    world, first = seeded
    counts = lambda: (  # noqa: E731
        FailureTheme.objects.count(),
        RecoveryAction.objects.count(),
        ActionTransition.objects.count(),
        DataPoint.objects.count(),
        EvidenceItem.objects.count(),
        OutcomeMeasure.objects.count(),
    )
    before = counts()
    second = demo.seed(demo_world.seed())
    assert counts() == before
    assert {k: m.pk for k, m in second.measures.items()} == {k: m.pk for k, m in first.measures.items()}


def test_demo_activity_evidence_is_marked(seeded):
    _, result = seeded
    natures = dict(result.actions["escalation"].evidence.values_list("source_type", "nature"))
    assert natures[SourceType.TRAINING_RECORD] == Nature.ACTIVITY


def test_escalation_has_worked_example_ones_three_layers_and_its_flags_say_so(seeded):
    from django.utils import timezone

    from governance.flags.services import flags_scan_provider
    from governance.models import Flag

    world, result = seeded
    action = result.actions["escalation"]
    layers = list(action.review_layers.order_by("order"))
    assert [la.name for la in layers] == ["Weekly RM review", "Monthly NI review", "Quarterly provider board review"]
    weekly, monthly, quarterly = layers
    today = timezone.localdate()
    assert weekly.records.count() == 5 and weekly.next_due >= today, "the RM's weekly sample is up to date"
    assert monthly.records.get().outcome == "not_assured" and monthly.next_due < today
    assert not quarterly.records.exists() and quarterly.next_due > today
    flags_scan_provider(provider=world.provider)
    open_review_flags = Flag.objects.filter(
        kind=Flag.Kind.OVERDUE_REVIEW, subject_type="action", subject_id=action.pk, resolved_at__isnull=True
    )
    assert [f.cause for f in open_review_flags] == [f"layer:{monthly.pk}"]
    assert open_review_flags.get().detail.startswith("Monthly NI review overdue")


def test_audits_that_dont_challenge_has_a_correction_and_learning_adopted_by_a_sibling(seeded):
    """DOMAIN.md worked example 2: one value corrected with its reason; its learning travelled."""
    world, result = seeded
    measure = result.measures["audit-challenge"]
    (correction,) = measure.corrections.all()
    assert (correction.old_text, correction.new_text) == ("5 of 6 (83.33%)", "4 of 6 (66.67%)")
    assert "no re-check date" in correction.reason and correction.corrected_by == world.user("quality")
    point = measure.points.get(pk=correction.point_id)
    assert (point.counts_text, point.value) == ("4 of 6", 66.67)
    (share,) = result.themes["audit-challenge"].learning.get().shares.all()
    assert share.service == world.services["oakfield-house"] and share.applies is True
    assert share.responded_by == world.user("rm")
    assert _summary(measure).state == OutcomeMeasure.State(measure.summary_state)
