"""Who may use each flag URL (see tests/matrix_support.py)."""

from governance.flags.tests.factories import FlagFactory, MeasureTriggerFactory
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory
from tests.matrix_support import ALL, Row, only

# Handling flags needs HANDLE_FLAGS.
HANDLERS = only("rm", "deputy", "lead", "quality", "ni")
# Triggers are part of the plan: EDIT_PLAN.
PLANNERS = only("rm", "deputy", "lead", "quality", "ni")


def _flag(w, s):
    return {"pk": FlagFactory(service=s, provider=s.provider).pk}


def _trigger(w, s):
    theme = ThemeFactory(service=s, provider=s.provider)
    measure = MeasureFactory(action=ActionFactory(theme=theme, service=s, provider=s.provider))
    return {"pk": MeasureTriggerFactory(measure=measure, person=w.rm).pk}


ROWS = [
    Row("governance:flag_list", ALL, lambda w, s: {"service": s.slug}),
    Row("governance:provider_flag_list", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("governance:flag_detail", ALL, _flag),
    Row("governance:flag_acknowledge", HANDLERS, _flag, method="post", data=lambda w, s: {"note": "Checked it."}),
    Row("governance:trigger_new", PLANNERS, lambda w, s: {"service": s.slug, "kind": "measure"}),
    Row("governance:trigger_edit", PLANNERS, _trigger),
    Row("governance:trigger_remove", PLANNERS, _trigger, method="post", data=lambda w, s: {}),
]
