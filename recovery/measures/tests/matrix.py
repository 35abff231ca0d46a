"""Who may use the measure pages and the recovery map (see tests/matrix_support.py)."""

from recovery.models import DataPoint, MeasureRebase
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory
from tests.matrix_support import ALL, Row, only

# Verbs: EDIT_PLAN for measures, RECORD_DATA for data points (see core/permissions.py).
PLANNERS = only("rm", "deputy", "lead", "quality", "ni")
RECORDERS = only("rm", "deputy", "lead", "owner", "quality")


def _theme(w, s):
    return ThemeFactory(service=s, provider=s.provider)


def _action(w, s):
    return ActionFactory(theme=ThemeFactory(service=s, provider=s.provider))


def _measure(w, s):
    return MeasureFactory(action=_action(w, s))


def _point(w, s):
    return DataPointFactory(measure=_measure(w, s), source=DataPoint.Source.MANUAL)


def _rebase(w, s):
    measure = _measure(w, s)
    return MeasureRebase.objects.create(
        measure=measure, from_date=measure.baseline_date, reason="New checklist", created_by=w.rm
    )


ROWS = [
    Row("recovery:measure_create", PLANNERS, lambda w, s: {"action_pk": _action(w, s).pk}),
    Row("recovery:measure_detail", ALL, lambda w, s: {"pk": _measure(w, s).pk}),
    Row("recovery:measure_edit", PLANNERS, lambda w, s: {"pk": _measure(w, s).pk}),
    Row("recovery:point_add", RECORDERS, lambda w, s: {"pk": _measure(w, s).pk}),
    Row("recovery:point_edit", RECORDERS, lambda w, s: {"pk": _point(w, s).pk}),
    Row("recovery:measure_rebase", PLANNERS, lambda w, s: {"pk": _measure(w, s).pk}),
    Row("recovery:rebase_remove", PLANNERS, lambda w, s: {"pk": _rebase(w, s).pk}),
    Row("recovery:map_service", ALL, lambda w, s: {"service": s.slug}),
    Row("recovery:map_provider", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    # A theme's rows, loaded by the map (a page of their own too): whoever sees the map and the theme.
    Row("recovery:map_theme_rows", ALL, lambda w, s: {"service": s.slug, "theme": _theme(w, s).pk}),
    Row(
        "recovery:provider_map_theme_rows",
        ALL,
        lambda w, s: {"provider": s.provider.slug, "theme": ThemeFactory(service=None, provider=s.provider).pk},
        scope="provider",
    ),
    # The provider-wide map's gap counts, loaded after it: whoever sees that map.
    Row("recovery:provider_map_gaps", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    # The map's exports: whoever sees the map may take it away (rows scoped as on the page).
    *(Row(f"recovery:plan_export_{fmt}", ALL, lambda w, s: {"service": s.slug}) for fmt in ("xlsx", "csv", "docx")),
    *(
        Row(f"recovery:provider_plan_export_{fmt}", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider")
        for fmt in ("xlsx", "csv", "docx")
    ),
]
