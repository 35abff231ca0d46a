"""Demo flags, the last step: two more stories so every kind of flag shows, then the scans.

The other demos already give a measure drifting after closure, a closure with a measure not
met, a lapsed audit, a review not held and actions past their review date. These add:
- falls (Meadowbank): overdue, with a measure that has gone quiet (overdue action, stale measure);
- medicines (Oakfield Home Support): high risk, closed on training records alone by the
  registered manager (unsupported closure: no impact evidence, no NI decision).
Then the escalation story's triggers (worked example 1's "what triggers action"), as data:
- for the registered manager: escalation on time below 90% for two weeks running;
- for the nominated individual: the same escalation criterion failed in three audits within
  six weeks at Oakfield House (a repeated deterioration theme).
Idempotent: the stories and triggers are found by title and name, and the scans raise nothing twice.
"""

from __future__ import annotations

from django.utils import timezone

from audits.models import AuditTemplate
from evidence.models import SourceType as Src
from governance.flags.services import ScanResult, flags_scan_provider, trigger_create
from governance.models import FlagTrigger
from recovery.models import FailureTheme, OutcomeMeasure

from .plans import Ago, Evidence, ImportedClosure, Measure, Points, Story, build, weeks_ago

Kind, Direction = OutcomeMeasure.Kind, OutcomeMeasure.Direction

FALLS = Story(
    key="falls",
    service="meadowbank-nursing",
    start=10,
    theme_by="rm.meadowbank",
    action_by="rm.meadowbank",
    theme=dict(
        title="Falls when people move between rooms at night",
        weakness_found="Unwitnessed falls at night rose; sensor mats were not checked at handover.",
        source=FailureTheme.Source.INTERNAL_AUDIT,
        source_date=0,
        risk_level="medium",
        owner="rm.meadowbank",
        review_cadence="monthly",
    ),
    theme_reviewed=Ago(5),
    action=dict(
        title="Check sensor mats and call bells at every night handover",
        baseline_issue="Four unwitnessed falls in a month; two sensor mats found switched off.",
        intended_outcome="People at risk of falling at night are heard and helped before they fall.",
        measurable_target="Fewer than 2 unwitnessed night falls a week for 8 weeks",
        owner="rm.meadowbank",
        due_date=Ago(12),
        risk_level="medium",
        review_cadence="weekly",
    ),
    opened_at=(10, 11),
    action_reviewed=Ago(4),
    measure=Measure("Unwitnessed night falls per week", Kind.COUNT, Direction.LOWER, "falls", 4, 1, Ago(-28)),
    # Three weeks of counts, then nothing for five weeks: the measure has gone quiet.
    events=(Points((4, 3, 3), first=2),),
)

MEDICINES = Story(
    key="medicines",
    service="oakfield-home-support",
    start=8,
    theme_by="rm.homesupport",
    action_by="rm.homesupport",
    theme=dict(
        title="Missed and late medicine visits",
        weakness_found="Time-critical medicines were given late on rural runs; two visits were missed.",
        source=FailureTheme.Source.INSPECTION,
        source_date=0,
        risk_level="high",
        owner="rm.homesupport",
        review_cadence="monthly",
    ),
    theme_reviewed=Ago(3),
    action=dict(
        title="Retrain care workers on time-critical medicines",
        baseline_issue="MAR charts show late doses for Parkinson's medicines on three runs.",
        intended_outcome="Time-critical medicines are given within 30 minutes of the prescribed time.",
        measurable_target="95% of sampled time-critical doses on time within 8 weeks",
        owner="rm.homesupport",
        due_date=Ago(5),
        risk_level="high",
        review_cadence="weekly",
    ),
    opened_at=(10, 11),
    events=(
        Evidence(
            "rm.homesupport",
            "Time-critical medicines training attendance",
            Src.TRAINING_RECORD,
            weeks_ago(3),
            "Training matrix",
            "All 14 care workers on the rural runs attended a one-hour session.",
        ),
        ImportedClosure(
            "rm.homesupport",
            Ago(6),
            16,
            reason="Imported from the previous action tracker: training delivered.",
            note="Training delivered to all care workers.",
        ),
    ),
)

FLAG_STORIES = (FALLS, MEDICINES)


def seed(world) -> ScanResult:
    """Add the flag stories (once) and scan every demo provider. Returns the scan counts."""
    today = timezone.localdate()
    build(world, FLAG_STORIES, today=today)
    escalation_triggers(world)
    result = ScanResult(provider_id=0)
    for provider in (world.provider, world.other_provider):
        result.merge(flags_scan_provider(provider=provider, today=today))
    return result


ESCALATION_MEASURE = "Deterioration concerns escalated on time"
ESCALATION_AUDIT = "Deterioration and escalation record sample"
ESCALATION_CRITERION = 1  # "The change was escalated to the senior on shift within the required time"


def escalation_triggers(world) -> list[FlagTrigger]:
    """The escalation story's two triggers at Oakfield House (once each, found by name)."""
    service = world.services["oakfield-house"]
    existing = {t.name: t for t in FlagTrigger.objects.filter(service=service)}
    measure = OutcomeMeasure.objects.get(service=service, name=ESCALATION_MEASURE)
    template = AuditTemplate.objects.get(provider=world.provider, title=ESCALATION_AUDIT)
    criterion = template.current_version().criteria.order_by("order")[ESCALATION_CRITERION]
    wanted = [
        dict(
            kind=FlagTrigger.Kind.MEASURE_THRESHOLD,
            actor=world.user("rm"),
            name="Escalation slipping",
            person=world.user("rm"),
            what_to_do="Go through the week's sampled records with the senior on each shift and find the late ones.",
            measure=measure,
            comparison=FlagTrigger.Comparison.BELOW,
            threshold=90,
            periods=2,
        ),
        dict(
            kind=FlagTrigger.Kind.REPEATED_FINDING,
            actor=world.user("quality"),
            name="Late escalation found again and again",
            person=world.user("ni"),
            what_to_do="Test two of the late cases at the monthly leadership review and decide whether the "
            "action needs more than training.",
            template=template,
            criterion_key=criterion.key,
            count=3,
            weeks=6,
        ),
    ]
    made = []
    for fields in wanted:
        if fields["name"] in existing:
            made.append(existing[fields["name"]])
            continue
        made.append(trigger_create(provider=world.provider, service=service, **fields))
    return made
