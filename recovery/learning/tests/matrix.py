"""Who may share a theme's learning and answer learning shared with a service (tests/test_access_matrix.py)."""

from __future__ import annotations

from core.tests.factories import UserFactory
from recovery.models import LearningShare
from recovery.plan.tests.matrix import PLAN_EDITORS, _learning
from tests.matrix_support import Row


def _share(w, s):
    """Learning from another service of the same provider, shared with ``s``."""
    source = next(x for x in s.provider.services.all() if x.pk != s.pk) if s.provider.services.count() > 1 else s
    learning = _learning(w, source)
    return LearningShare.objects.create(
        learning=learning, provider=s.provider, service=s, shared_by=UserFactory(), note="Worth a look."
    )


ROWS = [
    Row("recovery:learning_share", PLAN_EDITORS, lambda w, s: {"pk": _learning(w, s).pk}),
    Row("recovery:learning_share_respond", PLAN_EDITORS, lambda w, s: {"pk": _share(w, s).pk}),
]
