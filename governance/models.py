"""Governance models, defined in each feature package and gathered here for Django.

Django loads an app's models from ``<app>.models``; each feature (flags, reviews, digests,
packs) owns its models module, and this one only imports them.
"""

from governance.digests.models import DigestSent
from governance.flags.models import Flag, FlagTrigger
from governance.packs.models import EvidencePack, PackPart
from governance.reviews.models import (
    AgendaItem,
    AgendaItemReview,
    Challenge,
    OversightReview,
    ReviewActionArising,
    ReviewAmendment,
    ReviewAttendance,
    ReviewSeries,
    ReviewTransition,
)

__all__ = [
    "AgendaItem",
    "AgendaItemReview",
    "Challenge",
    "DigestSent",
    "EvidencePack",
    "Flag",
    "FlagTrigger",
    "FlagTrigger",
    "OversightReview",
    "PackPart",
    "ReviewActionArising",
    "ReviewAmendment",
    "ReviewAttendance",
    "ReviewSeries",
    "ReviewTransition",
]
