"""Demo flags, the last step: two more stories so every kind of flag shows, then the scans.

The other demos already give a measure drifting after closure, a closure with a measure not
met, a lapsed audit, a review not held and actions past their review date. These add:
- falls (Meadowbank): overdue, with a measure that has gone quiet (overdue action, stale measure);
- medicines (Oakfield Home Support): high risk, closed on training records alone by the
  registered manager (unsupported closure: no impact evidence, no NI decision).
Idempotent: the stories are found by title, and the scans raise nothing twice.
"""

from __future__ import annotations

from django.utils import timezone

from evidence.models import SourceType as Src
from governance.flags.services import ScanResult, flags_scan_provider
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
    result = ScanResult(provider_id=0)
    for provider in (world.provider, world.other_provider):
        result.merge(flags_scan_provider(provider=provider, today=today))
    return result
