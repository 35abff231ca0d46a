"""Demo recovery plans for Oakfield: five themes, each telling a different closure story.

Everything goes through the services (closure transitions, data points, evidence), dated
in the past relative to today, so the history on every page is real. Idempotent: a theme
already present at its service (by title) is left alone.

- escalation (Oakfield House): in progress and on track; the audits demo feeds its points.
- complaints (Meadowbank): closed properly, then the measure worsened - drift after closure.
- staffing (Oakfield House): high risk; closure refused by the NI, reworked, back in progress.
- closure-evidence (Oakfield Home Support): high risk, closed with the NI's sign-off.
- care-plan-alignment (Oakfield House): closure proposed on training records only; the
  audits demo feeds its points.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from core.models import FrameworkItem, Service, User
from evidence.models import EvidenceItem
from evidence.models import SourceType as Src
from evidence.services import evidence_create
from recovery.closure import services as closure
from recovery.measures.services import measure_create, point_record
from recovery.models import FailureTheme, OutcomeMeasure, RecoveryAction
from recovery.plan.models import ThemeMove
from recovery.plan.services import (
    action_create,
    learning_add,
    learning_review,
    step_add,
    step_complete,
    theme_create,
    theme_move,
)

Kind, Direction = OutcomeMeasure.Kind, OutcomeMeasure.Direction


@dataclass
class RecoveryDemo:
    themes: dict[str, FailureTheme] = field(default_factory=dict)
    actions: dict[str, RecoveryAction] = field(default_factory=dict)
    measures: dict[str, OutcomeMeasure] = field(default_factory=dict)


def _weeks_ago(today: datetime.date, weeks: float) -> datetime.date:
    return today - datetime.timedelta(days=round(weeks * 7))


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _items(*codes: str) -> list[FrameworkItem]:
    return list(FrameworkItem.objects.filter(version__code="saf-2023", code__in=codes))


class _Story:
    """Shared plumbing for one example: the people, the service and today's date."""

    def __init__(self, world, service_slug: str, today: datetime.date):
        self.world = world
        self.service: Service = world.services[service_slug]
        self.provider = world.provider
        self.today = today
        self.users: dict[str, User] = world.users

    def user(self, email: str) -> User:
        return self.users[email]

    def existing(self, title: str) -> FailureTheme | None:
        return FailureTheme.objects.filter(service=self.service, title=title).first()

    def evidence(
        self, actor: User, title: str, source_type: str, on: datetime.date, recorded_in: str, description: str, **kw
    ) -> EvidenceItem:
        return evidence_create(
            actor=actor,
            provider=self.provider,
            service=self.service,
            title=title,
            refers_to=on,
            source_type=source_type,
            recorded_in=recorded_in,
            description=description,
            **kw,
        )

    def steps(self, actor: User, action: RecoveryAction, rows: list[tuple[str, str, str, datetime.date | None]]):
        for role, what, where, done_on in rows:
            step = step_add(actor=actor, action=action, role=role, what=what, recorded_where=where)
            if done_on is not None:
                step_complete(actor=actor, step=step, done_on=done_on)

    def weekly(self, actor, measure, start: datetime.date, values, *, every: int = 7, first: int = 1) -> None:
        """Record ``values`` at ``start`` + every*i days (i from ``first``); tuples are numerator/denominator."""
        for i, value in enumerate(values, start=first):
            day = start + datetime.timedelta(days=every * i)
            if isinstance(value, tuple):
                point_record(actor=actor, measure=measure, period_date=day, numerator=value[0], denominator=value[1])
            else:
                point_record(actor=actor, measure=measure, period_date=day, value=value)


def _measure_of(theme: FailureTheme) -> tuple[RecoveryAction, OutcomeMeasure]:
    action = theme.actions.order_by("pk").first()
    return action, action.measures.order_by("pk").first()


# --- Example 1: missed escalation of deterioration (on track) ------------------------------


def _escalation(s: _Story) -> tuple[FailureTheme, RecoveryAction, OutcomeMeasure]:
    title = "Late escalation when residents' health changes"
    if theme := s.existing(title):
        return theme, *_measure_of(theme)
    rm, deputy, ni = s.user("rm@oakfield.example"), s.user("deputy@oakfield.example"), s.user("ni@oakfield.example")
    start = _weeks_ago(s.today, 9)
    target_on = start + datetime.timedelta(weeks=10)
    theme = theme_create(
        actor=rm,
        provider=s.provider,
        service=s.service,
        title=title,
        weakness_found="Care staff recorded changes in residents' mobility and appetite, but senior staff were told "
        "late and GP or district nurse referrals waited a day or more.",
        source=FailureTheme.Source.INSPECTION,
        source_reference=f"Report on {s.service.name}",
        source_date=s.service.last_inspection_date,
        framework_items=_items("S2", "S4", "W5"),
        regulations=["reg12", "reg17"],
        enforcement="requirement_notice",
        risk_level="high",
        owner=rm,
        review_cadence="monthly",
    )
    learning = learning_add(
        actor=rm,
        theme=theme,
        factors=["escalation", "oversight"],
        why_it_happened="Daily notes recorded the changes but nobody senior read them each shift; the manager saw "
        "monthly audit scores, not the records behind them.",
        governance_change="A senior on every shift reviews daily notes for changes; the RM samples ten records a "
        "week and the NI tests the sample at the monthly leadership review.",
        how_tested="Weekly record sampling with time-to-escalation, and the NI re-checks two sampled cases a month.",
    )
    learning_review(
        actor=ni,
        learning=learning,
        note="Re-checked two sampled records (R-1042, R-1047): both escalated the same shift.",
    )
    action = action_create(
        actor=rm,
        theme=theme,
        title="Escalate changes in health within the shift",
        baseline_issue="In the inspection sample 4 of 10 residents whose mobility or appetite changed were referred "
        "a day or more late.",
        intended_outcome="Residents whose health changes are seen by the right clinician the same day, and their "
        "families are told.",
        measurable_target=f"95% of sampled concerns escalated on time by {target_on:%-d %b %Y}",
        owner=deputy,
        due_date=start + datetime.timedelta(weeks=12),
        risk_level="high",
        review_role="registered_manager",
        review_cadence="weekly",
        evidence_required=[Src.CARE_RECORD, Src.AUDIT, Src.OBSERVATION, Src.FAMILY_FEEDBACK],
    )
    closure.action_open(actor=rm, action=action, at=_at(start, 9))
    closure.action_start(actor=rm, action=action, at=_at(start, 11))
    s.steps(
        rm,
        action,
        [
            (
                "Senior carer on each shift",
                "Read the day's notes for changes in mobility, appetite or mood and escalate the same shift",
                "Senior oversight log",
                start + datetime.timedelta(days=3),
            ),
            (
                "Registered manager",
                "Sample ten records a week and time each escalation",
                "Weekly record sample",
                start + datetime.timedelta(days=7),
            ),
            ("Deputy manager", "Observe two handovers a week for changes being passed on", "Observation log", None),
        ],
    )
    measure = measure_create(
        actor=rm,
        action=action,
        name="Deterioration concerns escalated on time",
        kind=Kind.PERCENTAGE,
        direction=Direction.HIGHER,
        unit="%",
        baseline_value=60,
        baseline_date=start,
        target_value=95,
        target_date=start + datetime.timedelta(weeks=10),
        sustain_periods=4,
        cadence="weekly",
    )
    action.evidence.add(
        s.evidence(
            deputy,
            "Recognising deterioration refresher: attendance",
            Src.TRAINING_RECORD,
            start + datetime.timedelta(days=10),
            "Training matrix",
            "22 of 24 care staff attended.",
        ),
        s.evidence(
            deputy,
            "Handover observation: changes passed on and acted on",
            Src.OBSERVATION,
            _weeks_ago(s.today, 2),
            "Observation log",
            "Two handovers observed; both changes noted were escalated before the end of the shift.",
        ),
    )
    return theme, action, measure


# --- Example 3: complaints about communication (closed, then drifting) --------------------

COMPLAINTS_WEEKLY = [4, 4, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 0, 1]  # up to closure
COMPLAINTS_AFTER = [2, 2, 3, 3, 4, 4]  # the drift after closure


def _complaints(s: _Story) -> tuple[FailureTheme, RecoveryAction, OutcomeMeasure]:
    title = "Relatives not kept informed"
    if theme := s.existing(title):
        return theme, *_measure_of(theme)
    rm, ni = s.user("rm.meadowbank@oakfield.example"), s.user("ni@oakfield.example")
    start = _weeks_ago(s.today, len(COMPLAINTS_WEEKLY) + len(COMPLAINTS_AFTER))
    closed_on = start + datetime.timedelta(weeks=len(COMPLAINTS_WEEKLY))
    theme = theme_create(
        actor=rm,
        provider=s.provider,
        service=s.service,
        title=title,
        weakness_found="Relatives complained repeatedly that they heard about falls, GP visits and room moves late "
        "or not at all.",
        source=FailureTheme.Source.INSPECTION,
        source_reference=f"Report on {s.service.name}",
        source_date=s.service.last_inspection_date,
        framework_items=_items("R3", "R4"),
        regulations=["reg16", "reg17"],
        risk_level="medium",
        owner=rm,
        review_cadence="monthly",
    )
    learning_add(
        actor=rm,
        theme=theme,
        factors=["oversight", "culture"],
        why_it_happened="Complaints were answered one by one; nobody looked at them together, so the same gap "
        "came back every month.",
        governance_change="Complaints are reviewed as themes at the monthly service review, with the provider "
        "checking repeats quarterly.",
        how_tested="Count repeat communication complaints weekly and ask five families a month how informed they feel.",
    )
    action = action_create(
        actor=rm,
        theme=theme,
        title="A named contact calls relatives after every change",
        baseline_issue="Four repeat complaints a week about not being told of changes.",
        intended_outcome="Families hear about changes in their relative's care the same day, from someone who knows "
        "them.",
        measurable_target="75% fewer repeat communication complaints within four months",
        owner=rm,
        due_date=start + datetime.timedelta(weeks=16),
        risk_level="medium",
        review_role="registered_manager",
        review_cadence="monthly",
        evidence_required=[Src.COMPLAINT_RECORD, Src.FAMILY_FEEDBACK],
    )
    closure.action_open(actor=rm, action=action, at=_at(start, 9))
    closure.action_start(actor=rm, action=action, at=_at(start, 11))
    s.steps(
        rm,
        action,
        [
            (
                "Nurse in charge",
                "Call the named relative after any fall, GP visit or room move",
                "Relatives' contact log",
                start + datetime.timedelta(days=5),
            ),
            (
                "Registered manager",
                "Review the contact log against the incident log weekly",
                "Weekly review notes",
                start + datetime.timedelta(days=12),
            ),
        ],
    )
    measure = measure_create(
        actor=rm,
        action=action,
        name="Repeat communication complaints per week",
        kind=Kind.REDUCTION,
        direction=Direction.LOWER,
        unit="",
        baseline_value=4,
        baseline_date=start,
        target_value=1,
        target_date=start + datetime.timedelta(weeks=16),
        sustain_periods=4,
        cadence="weekly",
        limits_from_first=len(COMPLAINTS_WEEKLY),
    )
    s.weekly(rm, measure, start, COMPLAINTS_WEEKLY)
    action.evidence.add(
        s.evidence(
            rm,
            "Complaints log review: repeat communication complaints",
            Src.COMPLAINT_RECORD,
            closed_on - datetime.timedelta(days=6),
            "Complaints log",
            "One repeat communication complaint in the last four weeks, down from four a week.",
        ),
        s.evidence(
            rm,
            "Relatives' calls: how well informed they feel",
            Src.FAMILY_FEEDBACK,
            closed_on - datetime.timedelta(days=10),
            "Family feedback log",
            "Eight of nine relatives called said they now hear about changes the same day.",
        ),
    )
    closure.action_propose_closure(
        actor=rm,
        action=action,
        note="Repeat complaints have stayed at or below one a week for a month, and relatives confirm they are "
        "told the same day.",
        at=_at(closed_on, 14),
    )
    closure.action_decide_closure(
        decision="approve",
        actor=ni,
        action=action,
        rationale="Four weeks at target, complaints log and family calls agree. Keep the weekly count going.",
        at=_at(closed_on + datetime.timedelta(days=2), 15),
    )
    theme_move(
        actor=rm,
        theme=theme,
        move=ThemeMove.MONITOR,
        reason="The action is closed; the measure keeps running while the improvement beds in.",
        at=_at(closed_on + datetime.timedelta(days=2), 16),
    )
    s.weekly(rm, measure, start, COMPLAINTS_AFTER, first=len(COMPLAINTS_WEEKLY) + 1)
    return theme, action, measure


# --- Example 5: staffing instability (refused, reworked) ----------------------------------

STAFFING_BEFORE = [86, 89, 92, 95, 98, 99]  # up to the refused proposal
STAFFING_AFTER = [96, 98, 99, 98, 100, 99]


def _staffing(s: _Story) -> tuple[FailureTheme, RecoveryAction, OutcomeMeasure]:
    title = "Staffing below plan on nights and weekends"
    if theme := s.existing(title):
        return theme, *_measure_of(theme)
    rm, lead, ni = s.user("rm@oakfield.example"), s.user("lead@oakfield.example"), s.user("ni@oakfield.example")
    start = _weeks_ago(s.today, len(STAFFING_BEFORE) + len(STAFFING_AFTER))
    proposed_on = start + datetime.timedelta(weeks=len(STAFFING_BEFORE))
    theme = theme_create(
        actor=rm,
        provider=s.provider,
        service=s.service,
        title=title,
        weakness_found="Night and weekend shifts often ran below the planned numbers, covered late by agency staff "
        "who did not know residents.",
        source=FailureTheme.Source.INSPECTION,
        source_reference=f"Report on {s.service.name}",
        source_date=s.service.last_inspection_date,
        framework_items=_items("S6", "W5"),
        regulations=["reg18", "reg17"],
        enforcement="requirement_notice",
        risk_level="high",
        owner=rm,
        review_cadence="monthly",
    )
    learning = learning_add(
        actor=rm,
        theme=theme,
        factors=["oversight", "staff_support"],
        why_it_happened="Gaps were filled shift by shift; nobody looked at the pattern or asked staff why they left.",
        governance_change="Weekly rota variance review by the RM; every uncovered shift risk-assessed; monthly "
        "staffing report to senior leaders.",
        how_tested="Four consecutive weeks at plan, checked against the rota, and staff asked about night cover.",
    )
    learning_review(actor=ni, learning=learning, note="Saw the variance report; exceptions are now reasoned.")
    action = action_create(
        actor=rm,
        theme=theme,
        title="Fill the rota to plan and review every exception",
        baseline_issue="84% of planned shifts covered as planned; agency on a third of nights.",
        intended_outcome="Residents are supported by enough staff who know them, every shift.",
        measurable_target="Four consecutive weeks of planned staffing achieved",
        owner=rm,
        due_date=start + datetime.timedelta(weeks=14),
        risk_level="high",
        review_role="registered_manager",
        review_cadence="weekly",
        evidence_required=[Src.ROTA_RECORD, Src.INCIDENT_RECORD, Src.STAFF_FEEDBACK],
    )
    closure.action_open(actor=rm, action=action, at=_at(start, 9))
    closure.action_start(actor=rm, action=action, at=_at(start, 11))
    s.steps(
        rm,
        action,
        [
            (
                "Rota lead",
                "Publish the rota four weeks ahead and fill gaps from the bank first",
                "Rota system",
                start + datetime.timedelta(days=4),
            ),
            (
                "Registered manager",
                "Review rota variance weekly and risk-assess every uncovered shift",
                "Staffing exceptions log",
                start + datetime.timedelta(days=8),
            ),
        ],
    )
    measure = measure_create(
        actor=rm,
        action=action,
        name="Planned staffing achieved (% of shifts)",
        kind=Kind.CONSECUTIVE,
        direction=Direction.HIGHER,
        unit="%",
        baseline_value=84,
        baseline_date=start,
        target_value=98,
        target_date=start + datetime.timedelta(weeks=14),
        sustain_periods=4,
        cadence="weekly",
    )
    s.weekly(rm, measure, start, STAFFING_BEFORE)
    action.evidence.add(
        s.evidence(
            rm,
            "Rota variance report, weeks 3 to 6",
            Src.ROTA_RECORD,
            proposed_on - datetime.timedelta(days=1),
            "Rota system",
            "Agency use down from 31% to 12% of night shifts.",
        )
    )
    closure.action_propose_closure(
        actor=rm,
        action=action,
        note="The rota is at plan and agency use has more than halved.",
        justification="Two weeks at plan so far; the trend is clear and the bank is now recruited.",
        at=_at(proposed_on, 16),
    )
    closure.action_decide_closure(
        decision="refuse",
        actor=ni,
        action=action,
        rationale="Two weeks at plan is not the four we set, and the uncovered shifts in weeks 3 to 5 have no risk "
        "assessment on file.",
        further_checks="Four consecutive weeks at plan; a risk assessment for every exception; ask night staff "
        "whether cover feels safe.",
        at=_at(proposed_on + datetime.timedelta(days=3), 11),
    )
    s.weekly(rm, measure, start, STAFFING_AFTER, first=len(STAFFING_BEFORE) + 1)
    action.evidence.add(
        s.evidence(
            lead,
            "Night staff feedback on cover",
            Src.STAFF_FEEDBACK,
            _weeks_ago(s.today, 1),
            "Staff meeting notes",
            "Seven of eight night staff said cover now feels safe; one asked for a second senior at weekends.",
        )
    )
    return theme, action, measure


# --- Example 6: actions closed without evidence (closed with NI sign-off) -----------------

CLOSURE_SAMPLES = [(2, 5), (3, 5), (3, 4), (4, 5), (5, 5), (4, 4), (5, 5)]  # fortnightly, up to closure
CLOSURE_SAMPLES_AFTER = [(6, 6)]


def _closure_evidence(s: _Story) -> tuple[FailureTheme, RecoveryAction, OutcomeMeasure]:
    title = "Actions closed without evidence"
    if theme := s.existing(title):
        return theme, *_measure_of(theme)
    rm, quality = s.user("rm.homesupport@oakfield.example"), s.user("quality@oakfield.example")
    ni = s.user("ni@oakfield.example")
    fortnights = len(CLOSURE_SAMPLES) + len(CLOSURE_SAMPLES_AFTER)
    start = _weeks_ago(s.today, 2 * fortnights)
    closed_on = start + datetime.timedelta(weeks=2 * len(CLOSURE_SAMPLES))
    theme = theme_create(
        actor=quality,
        provider=s.provider,
        service=s.service,
        title=title,
        weakness_found="High-risk actions were marked complete when a task was done, with nothing to show that "
        "visits or records had changed.",
        source=FailureTheme.Source.INTERNAL_AUDIT,
        source_reference="Quality lead's sample of closed actions",
        source_date=start - datetime.timedelta(days=10),
        framework_items=_items("W5", "W7"),
        regulations=["reg17"],
        enforcement="warning_notice",
        risk_level="high",
        owner=rm,
        review_cadence="monthly",
    )
    learning = learning_add(
        actor=quality,
        theme=theme,
        factors=["audit_effectiveness", "oversight"],
        why_it_happened="Closure meant 'task done'; nobody asked for evidence of change before signing off.",
        governance_change="High-risk closures need audit, feedback or observation evidence and the NI's sign-off; "
        "the quality lead samples closures monthly.",
        how_tested="Fortnightly sample of closed actions checked for impact evidence.",
    )
    learning_review(actor=ni, learning=learning, note="Refused one weak closure myself in month two; the rule holds.")
    action = action_create(
        actor=rm,
        theme=theme,
        title="Back every high-risk closure with impact evidence",
        baseline_issue="Two of five sampled high-risk closures had any evidence beyond a signature.",
        intended_outcome="Every high-risk action closed here has evidence that people's care changed.",
        measurable_target="100% of high-risk closures supported by audit, feedback or observation evidence",
        owner=rm,
        due_date=start + datetime.timedelta(weeks=14),
        risk_level="high",
        review_role="quality_lead",
        review_cadence="monthly",
        evidence_required=[Src.AUDIT, Src.PEOPLES_FEEDBACK, Src.OBSERVATION],
    )
    closure.action_open(actor=rm, action=action, at=_at(start, 9))
    closure.action_start(actor=rm, action=action, at=_at(start, 11))
    s.steps(
        rm,
        action,
        [
            (
                "Registered manager",
                "Review every closure proposal weekly against its evidence",
                "Closure register",
                start + datetime.timedelta(days=6),
            ),
            (
                "Quality lead",
                "Sample high-risk closures monthly and record the challenge",
                "Quality sampling log",
                start + datetime.timedelta(days=30),
            ),
        ],
    )
    measure = measure_create(
        actor=rm,
        action=action,
        name="High-risk closures with impact evidence",
        kind=Kind.PERCENTAGE,
        direction=Direction.HIGHER,
        unit="%",
        baseline_value=40,
        baseline_date=start,
        target_value=100,
        target_date=start + datetime.timedelta(weeks=12),
        sustain_periods=3,
        cadence="fortnightly",
    )
    s.weekly(rm, measure, start, CLOSURE_SAMPLES, every=14)
    action.evidence.add(
        s.evidence(
            quality,
            "Closure sampling: high-risk actions, last six weeks",
            Src.AUDIT,
            closed_on - datetime.timedelta(days=3),
            "Quality sampling log",
            "14 of 14 sampled high-risk closures had audit, feedback or observation evidence.",
        ),
        s.evidence(
            rm,
            "Spot checks of home visits after closed actions",
            Src.OBSERVATION,
            closed_on - datetime.timedelta(days=8),
            "Spot check records",
            "Six visits observed; the changes promised in the closed actions were in place.",
        ),
    )
    closure.action_propose_closure(
        actor=rm,
        action=action,
        note="Three fortnights at 100%, confirmed by the quality lead's sample and spot checks.",
        at=_at(closed_on, 10),
    )
    closure.action_decide_closure(
        decision="approve",
        actor=ni,
        action=action,
        rationale="Tested two sampled closures myself: evidence on file and practice changed. Approved.",
        at=_at(closed_on + datetime.timedelta(days=2), 16),
    )
    theme_move(
        actor=quality,
        theme=theme,
        move=ThemeMove.MONITOR,
        reason="Closure approved; sampled closures continue every fortnight while we watch.",
        at=_at(closed_on + datetime.timedelta(days=2), 17),
    )
    s.weekly(rm, measure, start, CLOSURE_SAMPLES_AFTER, every=14, first=len(CLOSURE_SAMPLES) + 1)
    return theme, action, measure


# --- Example 8: care plans updated, support unchanged (proposed on activity only) ---------


def _care_plans(s: _Story) -> tuple[FailureTheme, RecoveryAction, OutcomeMeasure]:
    title = "Care plans rewritten but daily support unchanged"
    if theme := s.existing(title):
        return theme, *_measure_of(theme)
    rm, owner = s.user("rm@oakfield.example"), s.user("owner@oakfield.example")
    start = _weeks_ago(s.today, 12)
    theme = theme_create(
        actor=rm,
        provider=s.provider,
        service=s.service,
        title=title,
        weakness_found="Care plans were rewritten to be person-centred, but daily records and what inspectors saw "
        "showed the same routines as before.",
        source=FailureTheme.Source.INSPECTION,
        source_reference=f"Report on {s.service.name}",
        source_date=s.service.last_inspection_date,
        framework_items=_items("E2", "R1"),
        regulations=["reg9", "reg17"],
        risk_level="medium",
        owner=rm,
        review_cadence="monthly",
    )
    learning_add(
        actor=rm,
        theme=theme,
        factors=["audit_effectiveness", "staff_support"],
        why_it_happened="Audits checked that plans were updated, not that support followed them.",
        governance_change="Care plan audits now compare plan, daily notes, feedback and an observation for each "
        "sampled person.",
        how_tested="Weekly alignment audit of five people; the quality lead re-checks one a month.",
    )
    action = action_create(
        actor=rm,
        theme=theme,
        title="Daily support matches each person's care plan",
        baseline_issue="Just over half of sampled plans matched daily records and observed routines.",
        intended_outcome="People get the support their plan describes, every day, in the way they prefer.",
        measurable_target="90% alignment between plans, daily records, feedback and observation within 12 weeks",
        owner=owner,
        due_date=start + datetime.timedelta(weeks=13),
        risk_level="medium",
        review_role="registered_manager",
        review_cadence="weekly",
        evidence_required=[Src.CARE_RECORD, Src.OBSERVATION, Src.PEOPLES_FEEDBACK],
    )
    closure.action_open(actor=rm, action=action, at=_at(start, 9))
    closure.action_start(actor=rm, action=action, at=_at(start, 11))
    s.steps(
        rm,
        action,
        [
            (
                "Keyworker",
                "Go through the plan with the person and their family",
                "Care plan review record",
                start + datetime.timedelta(days=14),
            ),
            ("Senior carer", "Check daily notes against the plan at the end of each shift", "Daily records", None),
        ],
    )
    measure = measure_create(
        actor=rm,
        action=action,
        name="Care plans aligned with daily support",
        kind=Kind.PERCENTAGE,
        direction=Direction.HIGHER,
        unit="%",
        baseline_value=55,
        baseline_date=start,
        target_value=90,
        target_date=start + datetime.timedelta(weeks=12),
        sustain_periods=4,
        cadence="weekly",
    )
    action.evidence.add(
        s.evidence(
            owner,
            "Person-centred planning training: attendance",
            Src.TRAINING_RECORD,
            start + datetime.timedelta(days=20),
            "Training matrix",
            "All 18 care staff attended; certificates on file.",
            nature="impact",
            nature_override_reason="Includes a sign-off by each carer that they have read the new plans.",
        ),
        s.evidence(
            owner,
            "Care plan writing workshop: sign-off sheet",
            Src.TRAINING_RECORD,
            _weeks_ago(s.today, 2),
            "Training matrix",
            "Keyworkers signed off the rewrite of all 14 care plans.",
        ),
    )
    closure.action_propose_closure(
        actor=owner,
        action=action,
        note="Every care plan has been rewritten and all staff are trained.",
        justification="Plans and training are complete; the alignment audit will confirm it.",
        at=_at(_weeks_ago(s.today, 1), 15),
    )
    return theme, action, measure


STORIES: list[tuple[str, str, Callable[[_Story], tuple]]] = [
    ("escalation", "oakfield-house", _escalation),
    ("complaints", "meadowbank-nursing", _complaints),
    ("staffing", "oakfield-house", _staffing),
    ("closure-evidence", "oakfield-home-support", _closure_evidence),
    ("care-plan-alignment", "oakfield-house", _care_plans),
]


def seed(core_world, *, today: datetime.date | None = None) -> RecoveryDemo:
    """Create the demo recovery plans (or find them, if already there)."""
    today = today or timezone.localdate()
    demo = RecoveryDemo()
    for key, slug, build in STORIES:
        theme, action, measure = build(_Story(core_world, slug, today))
        demo.themes[key], demo.actions[key], demo.measures[key] = theme, action, measure
    return demo
