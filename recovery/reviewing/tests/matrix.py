"""Who may use each review-route URL (see tests/test_access_matrix.py).

A medium-risk action's default route is weekly RM and monthly NI; a medium-risk theme's is
monthly NI. Recording a review is for whoever runs reviews at the service (RUN_REVIEW) or holds
a layer's role; editing the route is plan work.
"""

from __future__ import annotations

from recovery.tests.factories import ActionFactory, ThemeFactory
from tests.matrix_support import Row, only, post

PLAN_EDITORS = only("rm", "deputy", "lead", "quality", "ni")
REVIEWERS = only("rm", "quality", "ni")


def _action(w, s):
    return ActionFactory(theme=ThemeFactory(service=s))


def _theme(w, s):
    return ThemeFactory(service=s)


def _layer(w, s):
    return _action(w, s).review_layers.order_by("order").first()


ROWS = [
    Row("recovery:review_record_action", REVIEWERS, lambda w, s: {"pk": _action(w, s).pk}),
    Row("recovery:review_record_theme", REVIEWERS, lambda w, s: {"pk": _theme(w, s).pk}),
    Row("recovery:layer_add_action", PLAN_EDITORS, lambda w, s: {"pk": _action(w, s).pk}),
    Row("recovery:layer_add_theme", PLAN_EDITORS, lambda w, s: {"pk": _theme(w, s).pk}),
    Row("recovery:layer_edit", PLAN_EDITORS, lambda w, s: {"pk": _layer(w, s).pk}),
    post("recovery:layer_remove", PLAN_EDITORS, lambda w, s: {"pk": _layer(w, s).pk}, {}),
]
