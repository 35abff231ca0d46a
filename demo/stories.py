"""The demo recovery stories, as data. ``plans.build`` turns each row into a theme, an action,
its steps, measure, evidence and closure history, through the recovery services.

Recovery plans (``seed``; the audits demo feeds the escalation and care-plan measures):
- escalation (Oakfield House): in progress and on track;
- complaints (Meadowbank): closed properly, then the measure worsened - drift after closure;
- staffing (Oakfield House): high risk; closure refused by the NI, reworked, back in progress;
- closure-evidence (Oakfield Home Support): high risk, closed with the NI's sign-off;
- care-plan-alignment (Oakfield House): closure proposed on training records only;
- audit-challenge (Meadowbank): audits that do not challenge (DOMAIN.md worked example 2): a
  weekly share of effective audits, one value corrected with its reason, and the learning
  shared with Oakfield House, which adopted it.

The flag stories (falls, medicines) are in demo/flags.py.
"""

from __future__ import annotations

import datetime

from core.choices import Cadence
from core.models import Role
from evidence.models import SourceType as Src
from recovery.models import FailureTheme, OutcomeMeasure, ReviewOutcome
from recovery.plan.models import ThemeMove

from .plans import (
    INSPECTED,
    Ago,
    Built,
    Correct,
    Decide,
    Evidence,
    Layer,
    Measure,
    MoveTheme,
    Points,
    Propose,
    Reviewed,
    Risk,
    ShareLearning,
    Step,
    Story,
    build,
    weeks_ago,
)

Kind, Direction = OutcomeMeasure.Kind, OutcomeMeasure.Direction
ASSURED, NOT_ASSURED, FURTHER = ReviewOutcome.ASSURED, ReviewOutcome.NOT_ASSURED, ReviewOutcome.FURTHER_CHECKS
INSPECTION, INTERNAL_AUDIT = FailureTheme.Source.INSPECTION, FailureTheme.Source.INTERNAL_AUDIT
REPORT = {"source": INSPECTION, "source_reference": "Report on {service}", "source_date": INSPECTED}

COMPLAINTS_WEEKLY = (4, 4, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 0, 1)  # up to closure
COMPLAINTS_AFTER = (2, 2, 3, 3, 4, 4)  # the drift after closure
STAFFING_BEFORE = (86, 89, 92, 95, 98, 99)  # up to the refused proposal
STAFFING_AFTER = (96, 98, 99, 98, 100, 99)
CLOSURE_SAMPLES = ((2, 5), (3, 5), (3, 4), (4, 5), (5, 5), (4, 4), (5, 5))  # fortnightly, up to closure
CLOSURE_SAMPLES_AFTER = ((6, 6),)

ESCALATION = Story(
    key="escalation",
    service="oakfield-house",
    start=9,
    theme_by="rm",
    action_by="rm",
    theme=dict(
        title="Late escalation when residents' health changes",
        weakness_found="Care staff recorded changes in residents' mobility and appetite, but senior staff were told "
        "late and GP or district nurse referrals waited a day or more.",
        **REPORT,
        framework_items=("S2", "S4", "W5"),
        regulations=["reg12", "reg17"],
        enforcement="requirement_notice",
        risk_level="high",
        owner="rm",
        review_cadence="monthly",
    ),
    learning=dict(
        factors=["escalation", "oversight"],
        why_it_happened="Daily notes recorded the changes but nobody senior read them each shift; the manager saw "
        "monthly audit scores, not the records behind them.",
        governance_change="A senior on every shift reviews daily notes for changes; the RM samples ten records a "
        "week and the NI tests the sample at the monthly leadership review.",
        how_tested="Weekly record sampling with time-to-escalation, and the NI re-checks two sampled cases a month.",
    ),
    learning_note="Re-checked two sampled records (R-1042, R-1047): both escalated the same shift.",
    action=dict(
        title="Escalate changes in health within the shift",
        baseline_issue="In the inspection sample 4 of 10 residents whose mobility or appetite changed were referred "
        "a day or more late.",
        intended_outcome="Residents whose health changes are seen by the right clinician the same day, and their "
        "families are told.",
        measurable_target="95% of sampled concerns escalated on time by {target:%-d %b %Y}",
        owner="deputy",
        due_date=12 * 7,
        risk_level="high",
        evidence_required=[Src.CARE_RECORD, Src.AUDIT, Src.OBSERVATION, Src.FAMILY_FEEDBACK],
    ),
    # Worked example 1's three layers. The RM's weekly sample is up to date; the NI last tested
    # the sample five weeks ago, so the monthly NI review is overdue; the first quarterly
    # provider review falls due after thirteen weeks of work.
    action_route=(
        Layer(
            Role.REGISTERED_MANAGER,
            Cadence.WEEKLY,
            reviews=(
                Reviewed(
                    "rm",
                    Ago(55),
                    FURTHER,
                    "Ten sampled records: four escalations over a day late. Asked "
                    "seniors to log the time each change was passed on.",
                ),
                Reviewed(
                    "rm",
                    Ago(41),
                    FURTHER,
                    "Ten sampled records: seven escalated the same shift; the senior "
                    "oversight log is kept on days, not yet on nights.",
                ),
                Reviewed(
                    "rm",
                    Ago(27),
                    ASSURED,
                    "Ten sampled records and the night oversight log: nine escalated the same shift.",
                ),
                Reviewed(
                    "rm",
                    Ago(13),
                    ASSURED,
                    "Ten sampled records: all escalated the same shift; two families confirmed they were told.",
                ),
                Reviewed(
                    "rm",
                    Ago(6),
                    ASSURED,
                    "Ten sampled records and two observed handovers: changes passed on and acted on.",
                ),
            ),
        ),
        Layer(
            Role.NOMINATED_INDIVIDUAL,
            Cadence.MONTHLY,
            reviews=(
                Reviewed(
                    "ni",
                    Ago(36),
                    NOT_ASSURED,
                    "Re-checked two of the RM's sampled records (R-1042, R-1047): "
                    "one referral still waited overnight. Asked for the night log to be sampled too.",
                ),
            ),
        ),
        Layer(Role.BOARD_MEMBER, Cadence.QUARTERLY),
    ),
    steps=(
        Step(
            "Senior carer on each shift",
            "Read the day's notes for changes in mobility, appetite or mood and escalate the same shift",
            "Senior oversight log",
            3,
            frequency="each_shift",
        ),
        Step(
            "Registered manager",
            "Sample ten records a week and time each escalation",
            "Weekly record sample",
            7,
            owner="rm",
            frequency="weekly",
        ),
        Step(
            "Deputy manager",
            "Observe two handovers a week for changes being passed on",
            "Observation log",
            owner="deputy",
            frequency="weekly",
        ),
        Step(
            "Nominated individual",
            "Re-check two of the sampled records against the daily notes at the leadership review",
            "Leadership review minutes",
            owner="ni",
            frequency="monthly",
        ),
    ),
    risks=(
        Risk(
            "Agency or newly started carers do not know the escalation prompt",
            "A shift's oversight log left blank; a late escalation on a shift covered by agency staff",
            "Deputy manager (Tom Evans)",
            "Briefs each agency carer at the start of their first shift, checks the log before handover and "
            "brings any gap to the registered manager's weekly sample.",
        ),
        Risk(
            "The weekly sample becomes a tick-box exercise",
            "Ten of ten on time every week with no comments; the same records picked twice running",
            "Nominated individual",
            "Re-checks two sampled records a month against the daily notes and challenges the sample at the "
            "leadership review.",
        ),
        Risk(
            "The GP or district nurse is slow to respond once a change is escalated",
            "A referral waiting more than four hours for a call back",
            "Senior carer on shift",
            "Calls 111 or the out-of-hours GP, records the time in the oversight log and tells the family.",
        ),
    ),
    measure=Measure(
        "Deterioration concerns escalated on time",
        Kind.PERCENTAGE,
        Direction.HIGHER,
        "%",
        60,
        95,
        10 * 7,
        sustain_periods=4,
    ),
    events=(
        Evidence(
            "deputy",
            "Recognising deterioration refresher: attendance",
            Src.TRAINING_RECORD,
            10,
            "Training matrix",
            "22 of 24 care staff attended.",
        ),
        Evidence(
            "deputy",
            "Handover observation: changes passed on and acted on",
            Src.OBSERVATION,
            weeks_ago(2),
            "Observation log",
            "Two handovers observed; both changes noted were escalated before the end of the shift.",
        ),
    ),
)

COMPLAINTS = Story(
    key="complaints",
    service="meadowbank-nursing",
    start=len(COMPLAINTS_WEEKLY) + len(COMPLAINTS_AFTER),
    theme_by="rm.meadowbank",
    action_by="rm.meadowbank",
    theme=dict(
        title="Relatives not kept informed",
        weakness_found="Relatives complained repeatedly that they heard about falls, GP visits and room moves late "
        "or not at all.",
        **REPORT,
        framework_items=("R3", "R4"),
        regulations=["reg16", "reg17"],
        risk_level="medium",
        owner="rm.meadowbank",
        review_cadence="monthly",
    ),
    learning=dict(
        factors=["oversight", "culture"],
        why_it_happened="Complaints were answered one by one; nobody looked at them together, so the same gap "
        "came back every month.",
        governance_change="Complaints are reviewed as themes at the monthly service review, with the provider "
        "checking repeats quarterly.",
        how_tested="Count repeat communication complaints weekly and ask five families a month how informed they feel.",
    ),
    action=dict(
        title="A named contact calls relatives after every change",
        baseline_issue="Four repeat complaints a week about not being told of changes.",
        intended_outcome="Families hear about changes in their relative's care the same day, from someone who knows "
        "them.",
        measurable_target="75% fewer repeat communication complaints within four months",
        owner="rm.meadowbank",
        due_date=16 * 7,
        risk_level="medium",
        review_role="registered_manager",
        review_cadence="monthly",
        evidence_required=[Src.COMPLAINT_RECORD, Src.FAMILY_FEEDBACK],
    ),
    steps=(
        Step(
            "Nurse in charge",
            "Call the named relative after any fall, GP visit or room move",
            "Relatives' contact log",
            5,
        ),
        Step("Registered manager", "Review the contact log against the incident log weekly", "Weekly review notes", 12),
    ),
    measure=Measure(
        "Repeat communication complaints per week",
        Kind.REDUCTION,
        Direction.LOWER,
        "",
        4,
        1,
        16 * 7,
        sustain_periods=4,
        limits_from_first=len(COMPLAINTS_WEEKLY),
    ),
    events=(
        Points(COMPLAINTS_WEEKLY),
        Evidence(
            "rm.meadowbank",
            "Complaints log review: repeat communication complaints",
            Src.COMPLAINT_RECORD,
            14 * 7 - 6,
            "Complaints log",
            "One repeat communication complaint in the last four weeks, down from four a week.",
        ),
        Evidence(
            "rm.meadowbank",
            "Relatives' calls: how well informed they feel",
            Src.FAMILY_FEEDBACK,
            14 * 7 - 10,
            "Family feedback log",
            "Eight of nine relatives called said they now hear about changes the same day.",
        ),
        Propose(
            "rm.meadowbank",
            "Repeat complaints have stayed at or below one a week for a month, and relatives confirm they are "
            "told the same day.",
            14 * 7,
            14,
        ),
        Decide(
            "ni",
            "Four weeks at target, complaints log and family calls agree. Keep the weekly count going.",
            14 * 7 + 2,
            15,
        ),
        MoveTheme("rm.meadowbank", ThemeMove.MONITOR, "Closed; the weekly count goes on.", 14 * 7 + 2, 16),
        Points(COMPLAINTS_AFTER, first=len(COMPLAINTS_WEEKLY) + 1),
    ),
)

STAFFING = Story(
    key="staffing",
    service="oakfield-house",
    start=len(STAFFING_BEFORE) + len(STAFFING_AFTER),
    theme_by="rm",
    action_by="rm",
    theme=dict(
        title="Staffing below plan on nights and weekends",
        weakness_found="Night and weekend shifts often ran below the planned numbers, covered late by agency staff "
        "who did not know residents.",
        **REPORT,
        framework_items=("S6", "W5"),
        regulations=["reg18", "reg17"],
        enforcement="requirement_notice",
        risk_level="high",
        owner="rm",
        review_cadence="monthly",
    ),
    learning=dict(
        factors=["oversight", "staff_support"],
        why_it_happened="Gaps were filled shift by shift; nobody looked at the pattern or asked staff why they left.",
        governance_change="Weekly rota variance review by the RM; every uncovered shift risk-assessed; monthly "
        "staffing report to senior leaders.",
        how_tested="Four consecutive weeks at plan, checked against the rota, and staff asked about night cover.",
    ),
    learning_note="Saw the variance report; exceptions are now reasoned.",
    action=dict(
        title="Fill the rota to plan and review every exception",
        baseline_issue="84% of planned shifts covered as planned; agency on a third of nights.",
        intended_outcome="Residents are supported by enough staff who know them, every shift.",
        measurable_target="Four consecutive weeks of planned staffing achieved",
        owner="rm",
        due_date=14 * 7,
        risk_level="high",
        review_role="registered_manager",
        review_cadence="weekly",
        evidence_required=[Src.ROTA_RECORD, Src.INCIDENT_RECORD, Src.STAFF_FEEDBACK],
    ),
    steps=(
        Step("Rota lead", "Publish the rota four weeks ahead and fill gaps from the bank first", "Rota system", 4),
        Step(
            "Registered manager",
            "Review rota variance weekly and risk-assess every uncovered shift",
            "Staffing exceptions log",
            8,
        ),
    ),
    measure=Measure(
        "Planned staffing achieved (% of shifts)",
        Kind.CONSECUTIVE,
        Direction.HIGHER,
        "%",
        84,
        98,
        14 * 7,
        sustain_periods=4,
    ),
    events=(
        Points(STAFFING_BEFORE),
        Evidence(
            "rm",
            "Rota variance report, weeks 3 to 6",
            Src.ROTA_RECORD,
            6 * 7 - 1,
            "Rota system",
            "Agency use down from 31% to 12% of night shifts.",
        ),
        Propose(
            "rm",
            "The rota is at plan and agency use has more than halved.",
            6 * 7,
            16,
            justification="Two weeks at plan so far; the trend is clear and the bank is now recruited.",
        ),
        Decide(
            "ni",
            "Two weeks at plan is not the four we set, and the uncovered shifts in weeks 3 to 5 have no risk "
            "assessment on file.",
            6 * 7 + 3,
            11,
            further_checks="Four consecutive weeks at plan; a risk assessment for every exception; ask night staff "
            "whether cover feels safe.",
        ),
        Points(STAFFING_AFTER, first=len(STAFFING_BEFORE) + 1),
        Evidence(
            "lead",
            "Night staff feedback on cover",
            Src.STAFF_FEEDBACK,
            weeks_ago(1),
            "Staff meeting notes",
            "Seven of eight night staff said cover now feels safe; one asked for a second senior at weekends.",
        ),
    ),
)

CLOSURE_EVIDENCE = Story(
    key="closure-evidence",
    service="oakfield-home-support",
    start=2 * (len(CLOSURE_SAMPLES) + len(CLOSURE_SAMPLES_AFTER)),
    theme_by="quality",
    action_by="rm.homesupport",
    theme=dict(
        title="Actions closed without evidence",
        weakness_found="High-risk actions were marked complete when a task was done, with nothing to show that "
        "visits or records had changed.",
        source=INTERNAL_AUDIT,
        source_reference="Quality lead's sample of closed actions",
        source_date=-10,
        framework_items=("W5", "W7"),
        regulations=["reg17"],
        enforcement="warning_notice",
        risk_level="high",
        owner="rm.homesupport",
        review_cadence="monthly",
    ),
    learning=dict(
        factors=["audit_effectiveness", "oversight"],
        why_it_happened="Closure meant 'task done'; nobody asked for evidence of change before signing off.",
        governance_change="High-risk closures need audit, feedback or observation evidence and the NI's sign-off; "
        "the quality lead samples closures monthly.",
        how_tested="Fortnightly sample of closed actions checked for impact evidence.",
    ),
    learning_note="Refused one weak closure myself in month two; the rule holds.",
    action=dict(
        title="Back every high-risk closure with impact evidence",
        baseline_issue="Two of five sampled high-risk closures had any evidence beyond a signature.",
        intended_outcome="Every high-risk action closed here has evidence that people's care changed.",
        measurable_target="100% of high-risk closures supported by audit, feedback or observation evidence",
        owner="rm.homesupport",
        due_date=14 * 7,
        risk_level="high",
        review_role="quality_lead",
        review_cadence="monthly",
        evidence_required=[Src.AUDIT, Src.PEOPLES_FEEDBACK, Src.OBSERVATION],
    ),
    steps=(
        Step("Registered manager", "Review every closure proposal weekly against its evidence", "Closure register", 6),
        Step("Quality lead", "Sample high-risk closures monthly and record the challenge", "Quality sampling log", 30),
    ),
    measure=Measure(
        "High-risk closures with impact evidence",
        Kind.PERCENTAGE,
        Direction.HIGHER,
        "%",
        40,
        100,
        12 * 7,
        cadence="fortnightly",
        sustain_periods=3,
    ),
    events=(
        Points(CLOSURE_SAMPLES, every=14),
        Evidence(
            "quality",
            "Closure sampling: high-risk actions, last six weeks",
            Src.AUDIT,
            14 * 7 - 3,
            "Quality sampling log",
            "14 of 14 sampled high-risk closures had audit, feedback or observation evidence.",
        ),
        Evidence(
            "rm.homesupport",
            "Spot checks of home visits after closed actions",
            Src.OBSERVATION,
            14 * 7 - 8,
            "Spot check records",
            "Six visits observed; the changes promised in the closed actions were in place.",
        ),
        Evidence(
            "rm.homesupport",
            "Calls to people whose support changed after a closed action",
            Src.PEOPLES_FEEDBACK,
            14 * 7 - 5,
            "Feedback log",
            "Eight people called; seven said the change had happened and was working, one asked for a later visit.",
        ),
        Propose(
            "rm.homesupport",
            "Three fortnights at 100%, confirmed by the quality lead's sample and spot checks.",
            14 * 7,
            10,
        ),
        Decide(
            "ni",
            "Tested two sampled closures myself: evidence on file and practice changed. Approved.",
            14 * 7 + 2,
            16,
        ),
        MoveTheme("quality", ThemeMove.MONITOR, "Closed; fortnightly samples go on.", 14 * 7 + 2, 17),
        Points(CLOSURE_SAMPLES_AFTER, every=14, first=len(CLOSURE_SAMPLES) + 1),
    ),
)

CARE_PLANS = Story(
    key="care-plan-alignment",
    service="oakfield-house",
    start=12,
    theme_by="rm",
    action_by="rm",
    theme=dict(
        title="Care plans rewritten but daily support unchanged",
        weakness_found="Care plans were rewritten to be person-centred, but daily records and what inspectors saw "
        "showed the same routines as before.",
        **REPORT,
        framework_items=("E2", "R1"),
        regulations=["reg9", "reg17"],
        risk_level="medium",
        owner="rm",
        review_cadence="monthly",
    ),
    learning=dict(
        factors=["audit_effectiveness", "staff_support"],
        why_it_happened="Audits checked that plans were updated, not that support followed them.",
        governance_change="Care plan audits now compare plan, daily notes, feedback and an observation for each "
        "sampled person.",
        how_tested="Weekly alignment audit of five people; the quality lead re-checks one a month.",
    ),
    action=dict(
        title="Daily support matches each person's care plan",
        baseline_issue="Just over half of sampled plans matched daily records and observed routines.",
        intended_outcome="People get the support their plan describes, every day, in the way they prefer.",
        measurable_target="90% alignment between plans, daily records, feedback and observation within 12 weeks",
        owner="owner",
        due_date=13 * 7,
        risk_level="medium",
        review_role="registered_manager",
        review_cadence="weekly",
        evidence_required=[Src.CARE_RECORD, Src.OBSERVATION, Src.PEOPLES_FEEDBACK],
    ),
    steps=(
        Step("Keyworker", "Go through the plan with the person and their family", "Care plan review record", 14),
        Step("Senior carer", "Check daily notes against the plan at the end of each shift", "Daily records"),
    ),
    measure=Measure(
        "Care plans aligned with daily support",
        Kind.PERCENTAGE,
        Direction.HIGHER,
        "%",
        55,
        90,
        12 * 7,
        sustain_periods=4,
    ),
    events=(
        Evidence(
            "owner",
            "Person-centred planning training: attendance",
            Src.TRAINING_RECORD,
            20,
            "Training matrix",
            "All 18 care staff attended; certificates on file.",
            nature="impact",
            nature_reason="Includes a sign-off by each carer that they have read the new plans.",
        ),
        Evidence(
            "owner",
            "Care plan writing workshop: sign-off sheet",
            Src.TRAINING_RECORD,
            weeks_ago(2),
            "Training matrix",
            "Keyworkers signed off the rewrite of all 14 care plans.",
        ),
        Propose(
            "owner",
            "Every care plan has been rewritten and all staff are trained.",
            weeks_ago(1),
            15,
            justification="Every plan is rewritten and every carer trained; the weekly alignment audit will show "
            "support following the plans, so there is no need to wait for four weeks of it.",
        ),
    ),
)

# Effective audits / audits done, each week (clear findings, actions with owners, an impact check).
AUDIT_CHALLENGE_WEEKLY = ((2, 5), (2, 6), (3, 6), (3, 5), (4, 6), (4, 5), (5, 6), (5, 6), (6, 7), (6, 7))

AUDIT_CHALLENGE = Story(
    key="audit-challenge",
    service="meadowbank-nursing",
    start=11,
    theme_by="quality",
    action_by="quality",
    theme=dict(
        title="Audits that don't challenge",
        weakness_found="Monthly audits were completed and scored well, yet missed the same gaps in daily records, "
        "medicines records and care plan reviews that inspectors found in minutes.",
        source=INTERNAL_AUDIT,
        source_reference="Quality lead's review of last quarter's audits",
        source_date=INSPECTED,
        framework_items=("W5",),
        regulations=["reg17"],
        risk_level="medium",
        owner="quality",
        review_cadence="quarterly",
    ),
    learning=dict(
        factors=["audit_effectiveness", "oversight"],
        why_it_happened="Audits asked whether a record existed, not whether it was right, and nobody compared an "
        "audit's score with what complaints and incidents already showed.",
        governance_change="Every audit records its findings, an action with a named owner for each gap and a date "
        "to re-check; the quality lead challenges one audit per service each month, the provider each quarter.",
        how_tested="The quality lead re-audits a sample each month: an audit that missed a known risk counts as "
        "not effective.",
    ),
    learning_note="Sat in on a re-audit at Meadowbank: the gaps the first audit missed are now found and owned.",
    action=dict(
        title="Every audit ends in findings, owned actions and an impact check",
        baseline_issue="Two in five audits in the last quarter named a finding, an owner and a re-check date.",
        intended_outcome="Audits find the problems that are there, and each one leads to a change that is checked "
        "later.",
        measurable_target="90% of audits with clear findings, actions, owners and impact checks by {target:%-d %b %Y}",
        owner="rm.meadowbank",
        due_date=13 * 7,
        risk_level="medium",
        review_role="quality_lead",
        review_cadence="monthly",
        evidence_required=[Src.AUDIT, Src.GOVERNANCE_MINUTES],
    ),
    steps=(
        Step(
            "Registered manager",
            "Check each finished audit names findings, an owned action per gap and a re-check date",
            "Audit log",
            7,
        ),
        Step("Quality lead", "Re-audit one audit per service each month", "Quality sampling log", 35),
        Step("Nominated individual", "Challenge the audit results at the quarterly provider review", "Board minutes"),
    ),
    measure=Measure(
        "Audits with clear findings, owned actions and impact checks",
        Kind.PERCENTAGE,
        Direction.HIGHER,
        "%",
        40,
        90,
        13 * 7,
        sustain_periods=3,
    ),
    events=(
        Points(AUDIT_CHALLENGE_WEEKLY),
        Correct(
            "quality",
            6,
            4,
            6,
            "Re-audit found one audit counted as effective had no re-check date for its action.",
        ),
        Evidence(
            "quality",
            "Quality lead's re-audit of the medicines audit",
            Src.AUDIT,
            9 * 7,
            "Quality sampling log",
            "The re-audit found the same two gaps as the home's audit, each with an owner and a re-check date.",
        ),
        ShareLearning(
            "quality",
            "oakfield-house",
            "Oakfield House's audits score well too: worth testing them the same way.",
            "rm",
            True,
            "Our audits now name an owner and a re-check date for every gap; the deputy re-audits one a month.",
        ),
    ),
)

STORIES = (ESCALATION, COMPLAINTS, STAFFING, CLOSURE_EVIDENCE, CARE_PLANS, AUDIT_CHALLENGE)


def seed(world, *, today: datetime.date | None = None) -> Built:
    """Create the demo recovery plans (or find them, if already there)."""
    return build(world, STORIES, today=today)
