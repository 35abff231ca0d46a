"""Who may use each theme, learning, action, step and closure URL (see tests/test_access_matrix.py)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.tests.factories import UserFactory
from evidence.tests.factories import EvidenceFactory
from recovery.models import LeadershipLearning, RecoveryAction
from recovery.tests.factories import ActionFactory, StepFactory, ThemeFactory, in_progress_action, proposed_action
from tests.matrix_support import ALL, Row, only, post

S = RecoveryAction.Status
PLAN_EDITORS = only("rm", "deputy", "lead", "quality", "ni")
EVIDENCE_ADDERS = only("rm", "deputy", "lead", "owner", "quality", "ni")
PROPOSERS = only("rm", "deputy", "lead", "owner", "quality")
RECORDERS = only("rm", "deputy", "lead", "owner", "quality")
DECIDERS = only("rm", "ni")


def _theme(w, s):
    return ThemeFactory(service=s)


def _action(w, s, **kw):
    return ActionFactory(theme=ThemeFactory(service=s), **kw)


def _learning(w, s):
    theme = _theme(w, s)
    return LeadershipLearning.objects.create(
        theme=theme,
        provider=theme.provider,
        service=s,
        factors=["oversight"],
        why_it_happened="Audits were ticked, not tested.",
        governance_change="Monthly sampling by the quality lead.",
        how_tested="Quality lead re-samples five records a month.",
        recorded_by=UserFactory(),
    )


def _proposable(w, s):
    action = in_progress_action(s)
    action.evidence.add(EvidenceFactory(service=s, refers_to=timezone.localdate() - datetime.timedelta(days=1)))
    return action


def _decidable(w, s):
    return proposed_action(s, proposer=UserFactory())


def _closed(w, s):
    return _action(w, s, status=S.CLOSED, started_on=timezone.localdate(), closed_at=timezone.now())


ROWS = [
    Row("recovery:theme_create", PLAN_EDITORS, lambda w, s: {"service": s.slug}),
    Row(
        "recovery:provider_theme_create",
        only("quality", "ni"),
        lambda w, s: {"provider": s.provider.slug},
        scope="provider",
    ),
    Row("recovery:theme_detail", ALL, lambda w, s: {"pk": _theme(w, s).pk}),
    Row("recovery:theme_edit", PLAN_EDITORS, lambda w, s: {"pk": _theme(w, s).pk}),
    post(
        "recovery:theme_move",
        PLAN_EDITORS,
        lambda w, s: {"pk": _theme(w, s).pk},
        {"move": "monitor", "reason": "All actions in progress; watching the measures."},
    ),
    Row("recovery:learning_add", PLAN_EDITORS, lambda w, s: {"pk": _theme(w, s).pk}),
    post(
        "recovery:learning_review",
        only("ni"),
        lambda w, s: {"pk": _learning(w, s).pk},
        {"note": "Tested on a visit: sampling happens."},
    ),
    Row("recovery:action_create", PLAN_EDITORS, lambda w, s: {"pk": _theme(w, s).pk}),
    Row("recovery:action_detail", ALL, lambda w, s: {"pk": _action(w, s).pk}),
    Row("recovery:action_edit", PLAN_EDITORS, lambda w, s: {"pk": _action(w, s).pk}),
    Row("recovery:action_reassign", PLAN_EDITORS, lambda w, s: {"pk": _action(w, s).pk}),
    Row("recovery:step_add", PLAN_EDITORS, lambda w, s: {"pk": _action(w, s).pk}),
    post(
        "recovery:step_done",
        RECORDERS,
        lambda w, s: {"pk": StepFactory(action=in_progress_action(s)).pk},
        lambda w, s: {"done_on": timezone.localdate().isoformat()},
    ),
    post(
        "recovery:step_not_needed",
        PLAN_EDITORS,
        lambda w, s: {"pk": StepFactory(action=in_progress_action(s)).pk},
        {"reason": "The handover sheet already covers this."},
    ),
    post(
        "recovery:risk_add",
        PLAN_EDITORS,
        lambda w, s: {"pk": _action(w, s).pk},
        {
            "what_could_go_wrong": "Agency staff miss the prompt",
            "early_warning": "Blank oversight log",
            "who_acts": "Deputy manager",
            "how_they_act": "Briefs agency staff at the start of the shift",
        },
    ),
    post(
        "recovery:action_conditions",
        PLAN_EDITORS,
        lambda w, s: {"pk": _action(w, s).pk},
        {"steps": "", "evidence_required": ["audit"]},
    ),
    Row("recovery:action_evidence", EVIDENCE_ADDERS, lambda w, s: {"pk": _action(w, s).pk}),
    Row("recovery:action_open", PLAN_EDITORS, lambda w, s: {"pk": _action(w, s).pk}, method="post"),
    Row(
        "recovery:action_start",
        PLAN_EDITORS,
        lambda w, s: {"pk": _action(w, s, status=S.OPEN).pk},
        method="post",
    ),
    post(
        "recovery:action_propose",
        PROPOSERS,
        lambda w, s: {"pk": _proposable(w, s).pk},
        {"note": "Four weeks of prompt escalation.", "justification": "No measure: sampled."},
    ),
    post(
        "recovery:action_decide",
        DECIDERS,
        lambda w, s: {"pk": _decidable(w, s).pk},
        {"decision": "refuse", "rationale": "One week only.", "further_checks": "Re-audit."},
    ),
    post(
        "recovery:action_reopen",
        PLAN_EDITORS,
        lambda w, s: {"pk": _closed(w, s).pk},
        {"reason": "Complaints rising again."},
    ),
]
