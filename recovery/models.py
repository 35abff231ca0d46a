"""Recovery models, defined in each feature package and gathered here for Django.

Django loads an app's models from ``<app>.models``; the plan feature (themes, learning,
actions, steps, transitions) and the measures feature (measures, data points) own theirs.
"""

from recovery.measures.models import DataPoint, OutcomeMeasure
from recovery.plan.models import (
    ActionStep,
    ActionTransition,
    FailureTheme,
    LeadershipLearning,
    RecoveryAction,
    ThemeTransition,
)

__all__ = [
    "ActionStep",
    "ActionTransition",
    "DataPoint",
    "FailureTheme",
    "LeadershipLearning",
    "OutcomeMeasure",
    "RecoveryAction",
    "ThemeTransition",
]
