"""Recovery models, defined in each feature package and gathered here for Django.

Django loads an app's models from ``<app>.models``; the plan feature (themes, learning,
actions, steps, transitions), the measures feature (measures, data points) and the importing
feature (plan imports, imported rows) and the learning feature (learning shared between
services) own theirs.
"""

from recovery.importing.models import ImportedRow, PlanImport
from recovery.learning.models import LearningShare
from recovery.measures.models import DataPoint, MeasureRebase, OutcomeMeasure, PointCorrection
from recovery.plan.models import (
    ActionRisk,
    ActionStep,
    ActionTransition,
    FailureTheme,
    LeadershipLearning,
    RecoveryAction,
    ThemeTransition,
)
from recovery.reviewing.models import ReviewLayer, ReviewOutcome, ReviewRecord

__all__ = [
    "ActionRisk",
    "ActionStep",
    "ActionTransition",
    "DataPoint",
    "FailureTheme",
    "ImportedRow",
    "LeadershipLearning",
    "LearningShare",
    "MeasureRebase",
    "OutcomeMeasure",
    "PlanImport",
    "PointCorrection",
    "RecoveryAction",
    "ReviewLayer",
    "ReviewOutcome",
    "ReviewRecord",
    "ThemeTransition",
]
