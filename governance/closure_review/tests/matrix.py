"""Who may use the closure-review queue and screen (see tests/matrix_support.py)."""

from __future__ import annotations

from governance.reviews.tests.factories import proposed_action
from tests.matrix_support import ALL, Row, only, post

DECIDERS = only("rm", "ni")  # an ordinary-risk proposal: the RM at the service, or the NI


def _proposal(w, s):
    return {"pk": proposed_action(s, w.deputy).pk}


ROWS = [
    Row("governance:closure_queue", ALL, scope="global"),
    Row("governance:closure_review", DECIDERS, _proposal),
    post(
        "governance:closure_decide",
        DECIDERS,
        _proposal,
        {"decision": "refuse", "rationale": "Too early.", "further_checks": "Re-audit."},
    ),
    post("governance:closure_request_evidence", DECIDERS, _proposal, {"text": "Add the family feedback from March."}),
]
