"""Who may use each plan-import URL (see tests/test_access_matrix.py): the plan editors."""

from __future__ import annotations

from recovery.importing import services
from recovery.importing.models import PlanImport
from recovery.importing.tests.plans import build_plan
from tests.matrix_support import Row, only, post

PLAN_EDITORS = only("rm", "deputy", "lead", "quality", "ni")


def _import(w, s, stage=PlanImport.Stage.PREVIEW) -> PlanImport:
    actor = w.users["quality"] if s.provider_id == w.provider.pk else w.users["outsider"]
    plan_import = services.plan_import_start(actor=actor, service=s, filename="plan.xlsx", data=build_plan())
    if stage == PlanImport.Stage.PREVIEW:
        plan_import = services.plan_import_map(actor=actor, plan_import=plan_import, mapping=plan_import.mapping)
    return plan_import


def _pk(stage=PlanImport.Stage.PREVIEW):
    return lambda w, s: {"pk": _import(w, s, stage).pk}


ROWS = [
    Row("recovery:plan_import_upload", PLAN_EDITORS, lambda w, s: {"service": s.slug}),
    Row("recovery:plan_import_mapping", PLAN_EDITORS, _pk(PlanImport.Stage.MAPPING)),
    Row("recovery:plan_import_preview", PLAN_EDITORS, _pk()),
    post("recovery:plan_import_confirm", PLAN_EDITORS, _pk(), {}),
]
