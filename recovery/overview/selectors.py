"""Reads for the recovery map (per service and provider-wide): themes, actions, measures, gaps.

This module owns the map: its rows (``ThemeRow``, ``ActionRow``), its gap labels and counts,
its paging by theme, and the measure and action columns lists load (``_MAP_*_FIELDS``, which
the service dashboard in :mod:`recovery.overview.dashboard` reuses). It loads everything it
shows in a fixed number of queries (prefetching themes, actions, measures and evidence) and
works out states and gaps in Python, so the cost does not grow with the number of actions.
Measures are shown from their stored summary (``MeasureSnapshot``): no data point is loaded
and no SPC runs at request time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Lower
from django.utils import timezone

from core import permissions as policy
from core.choices import CADENCE_DAYS, RiskLevel
from core.models import FrameworkItem, KeyQuestion, Provider, Service
from evidence.models import EvidenceItem, Nature
from recovery.measures.measuring import SNAPSHOT_FIELDS, STALE_GRACE_DAYS, MeasureSnapshot
from recovery.measures.selectors import snapshots
from recovery.models import FailureTheme, LeadershipLearning, OutcomeMeasure, RecoveryAction
from recovery.reviewing.selectors import current_layers, layers_prefetch, next_due, route_label

RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}

# Gaps on the recovery map: (key, label). Labels are shown as text next to the highlight.
GAP_NO_OUTCOME = "no_outcome"
GAP_NO_MEASURE = "no_measure"
GAP_STALE = "stale_measure"
GAP_NO_EVIDENCE = "no_evidence"
GAP_NO_LEARNING = "no_learning"
GAP_OFF_TRACK = "measure_off_track"
GAP_CLOSED_NO_IMPACT = "closed_without_impact"
GAP_LABELS = {
    GAP_NO_OUTCOME: "No intended outcome",
    GAP_NO_MEASURE: "No measure",
    GAP_STALE: "Measure without recent data",
    GAP_OFF_TRACK: "Measure off track",
    GAP_NO_EVIDENCE: "No evidence",
    GAP_CLOSED_NO_IMPACT: "Closed without impact evidence",
    GAP_NO_LEARNING: "No leadership learning",
}


# What lists show of a measure: its name, what its snapshot and sparkline need, and its stored summary.
_MAP_MEASURE_FIELDS = (
    "id",
    "action_id",
    "name",
    "unit",
    "direction",
    "cadence",
    "baseline_date",
    "target_value",  # the sparkline's target line
    *SNAPSHOT_FIELDS,
)

# What the map shows of an action (the long texts other than the intended outcome stay unloaded).
_MAP_ACTION_FIELDS = (
    "id",
    "provider_id",
    "service",
    "theme_id",
    "title",
    "intended_outcome",
    "owner",
    "due_date",
    "risk_level",
    "status",
    "started_on",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
    "service__name",
    "service__slug",
)


_CURRENT_EVIDENCE = Q(evidence__removed_at__isnull=True)
_IMPACT_EVIDENCE = _CURRENT_EVIDENCE & Q(evidence__nature=Nature.IMPACT)


def _action_queryset(user, base: QuerySet[RecoveryAction]) -> QuerySet[RecoveryAction]:
    """Visible actions with everything the map shows about them.

    Their current evidence is counted in the same query (``evidence_count``, ``impact_count``
    and the latest impact evidence's date, ``latest_impact``), not loaded item by item.
    """
    return (
        policy.objects_for(user, base, policy.Verb.VIEW)
        .select_related("owner", "service")
        .only(*_MAP_ACTION_FIELDS)
        .annotate(
            evidence_count=Count("evidence", filter=_CURRENT_EVIDENCE),
            impact_count=Count("evidence", filter=_IMPACT_EVIDENCE),
            latest_impact=Max("evidence__refers_to", filter=_IMPACT_EVIDENCE),
        )
        .prefetch_related(
            Prefetch("measures", queryset=OutcomeMeasure.objects.only(*_MAP_MEASURE_FIELDS)), layers_prefetch()
        )
        .order_by("due_date", "pk")
    )


# --- The recovery map ---------------------------------------------------------------


@dataclass
class ActionRow:
    action: RecoveryAction
    measures: list[MeasureSnapshot]
    impact_count: int
    activity_count: int
    review_route: str
    next_review: datetime.date | None
    review_overdue: bool
    overdue: bool
    gaps: list[str]

    @property
    def gap_labels(self) -> list[str]:
        return [GAP_LABELS[g] for g in self.gaps]


@dataclass
class MapThemeCounts:
    """One theme's visible, filtered actions and how many of them have each gap (by aggregate)."""

    actions: int = 0
    gaps: dict[str, int] = field(default_factory=dict)

    @property
    def gap_summary(self) -> list[tuple[str, int]]:
        """(label, count) of the gaps its actions have, in the map's order."""
        return [(label, self.gaps[key]) for key, label in GAP_LABELS.items() if self.gaps.get(key)]


@dataclass
class ThemeRow:
    theme: FailureTheme
    actions: list[ActionRow]
    has_learning: bool
    gaps: list[str]
    counts: MapThemeCounts = field(default_factory=MapThemeCounts)
    rows_loaded: bool = True  # False: ``actions`` is left empty for the page to load later
    key_question_names: list[str] | None = None  # read with the page's themes (``_key_questions``)

    @property
    def gap_labels(self) -> list[str]:
        return [GAP_LABELS[g] for g in self.gaps]

    @property
    def key_questions(self) -> list[str]:
        if self.key_question_names is not None:
            return self.key_question_names
        seen: dict[str, str] = {}
        for item in self.theme.framework_items.all():
            seen.setdefault(item.key_question.code, item.key_question.name)
        return list(seen.values())


def _key_questions(themes: list[FailureTheme]) -> dict[int, list[str]]:
    """The names of the key questions each theme's framework items come under, in the items' order (one query)."""
    seen: dict[int, dict[str, str]] = {}
    rows = FrameworkItem.objects.filter(themes__in=themes).values_list(
        "themes", "key_question__code", "key_question__name"
    )
    for theme_id, code, name in rows:
        seen.setdefault(theme_id, {}).setdefault(code, name)
    return {theme_id: list(names.values()) for theme_id, names in seen.items()}


# What the map's theme headers show of a theme (its long texts stay unloaded).
_MAP_THEME_FIELDS = (
    "id",
    "provider_id",
    "service",
    "owner",
    "title",
    "risk_level",
    "status",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
    "service__name",
    "service__slug",
)

# Themes per page of the recovery map (the gap counts above the list cover every page).
MAP_THEMES_PER_PAGE = 10


@dataclass
class RecoveryMap:
    provider: Provider
    service: Service | None
    themes: list[ThemeRow]  # the themes on this page
    today: datetime.date
    # Over the whole filtered map; None when the page loads them after itself (map_gaps).
    gap_counts: dict[str, int] | None = field(default_factory=dict)
    page: Page | None = None

    @property
    def action_count(self) -> int:
        return sum(len(t.actions) for t in self.themes)

    @property
    def gap_summary(self) -> list[tuple[str, str, int]]:
        return gap_summary(self.gap_counts or {})


def gap_summary(gap_counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(key, label, count) of every gap, in the map's order (zeros too: "none" is news)."""
    return [(key, GAP_LABELS[key], gap_counts.get(key, 0)) for key in GAP_LABELS]


def key_question_choices() -> list[tuple[str, str]]:
    """Distinct key questions across framework versions (the same five so far), in order."""
    seen: dict[str, str] = {}
    for code, name in KeyQuestion.objects.order_by("order", "version_id").values_list("code", "name"):
        seen.setdefault(code, name)
    return list(seen.items())


def action_row(action: RecoveryAction, today: datetime.date) -> ActionRow:
    """One action's line on the map, from its prefetched measures and layers and its evidence counts."""
    measures = snapshots(action.measures.all(), today=today)
    if hasattr(action, "evidence_count"):  # counted with the action (``_action_queryset``)
        total, impact, latest_impact = action.evidence_count, action.impact_count, action.latest_impact
    else:
        evidence = list(action.evidence.current().only("id", "nature", "refers_to"))
        total = len(evidence)
        impact_days = [e.refers_to for e in evidence if e.nature == Nature.IMPACT]
        impact, latest_impact = len(impact_days), max(impact_days, default=None)
    gaps = []
    if not action.intended_outcome.strip():
        gaps.append(GAP_NO_OUTCOME)
    if not measures:
        gaps.append(GAP_NO_MEASURE)
    if any(s.stale for s in measures):
        gaps.append(GAP_STALE)
    if any(s.off_track for s in measures):  # the measure's one evaluation, as its badge shows it
        gaps.append(GAP_OFF_TRACK)
    if not total:
        gaps.append(GAP_NO_EVIDENCE)
    # Some impact evidence is dated after the start exactly when the latest is.
    if action.status == RecoveryAction.Status.CLOSED and not (latest_impact and _after_start(latest_impact, action)):
        gaps.append(GAP_CLOSED_NO_IMPACT)
    layers = current_layers(action)
    next_review = next_due(layers)
    return ActionRow(
        action=action,
        measures=measures,
        impact_count=impact,
        activity_count=total - impact,
        review_route=route_label(layers),
        next_review=next_review,
        review_overdue=bool(next_review and next_review < today and action.is_open),
        overdue=action.is_overdue(today),
        gaps=gaps,
    )


def _after_start(day: datetime.date, action: RecoveryAction) -> bool:
    """Impact evidence counts for a closure when it is dated on or after the action started."""
    return action.started_on is None or day >= action.started_on


_GAP_COLUMNS = (GAP_NO_OUTCOME, GAP_NO_MEASURE, GAP_STALE, GAP_OFF_TRACK, GAP_NO_EVIDENCE, GAP_CLOSED_NO_IMPACT)


def _gap_counts_sql(today: datetime.date) -> tuple[str, list]:
    """The per-theme counts in SQL (see ``_map_gap_counts``), with ``{themes}`` and ``{actions}`` left to fill.

    Parameters in order: the staleness ones, the off-track state, the scope's actions; the
    impact nature, the closed status, the actions; the actions; the themes.
    """
    db = connection.ops
    t, a = FailureTheme._meta.db_table, RecoveryAction._meta.db_table
    m, learning = OutcomeMeasure._meta.db_table, LeadershipLearning._meta.db_table
    link, e = RecoveryAction.evidence.through._meta.db_table, EvidenceItem._meta.db_table
    # ``measuring.is_stale`` on the stored latest date (or the baseline's), one branch per cadence.
    stale = " OR ".join(["(cadence = %s AND COALESCE(summary_latest_date, baseline_date) < %s)"] * len(CADENCE_DAYS))
    stale_params = []
    for cadence, days in CADENCE_DAYS.items():
        stale_params += [cadence, db.adapt_datefield_value(today - datetime.timedelta(days=days + STALE_GRACE_DAYS))]
    # An action's first current evidence link (``LIMIT 1``: a probe of the link index that stops
    # at the first, which PostgreSQL costs as such; as ``EXISTS`` it costs the whole match and,
    # over 2,000 actions, JIT-compiles the query for longer than it runs).
    has_evidence = (
        f"SELECT 1 FROM {link} k INNER JOIN {e} i ON i.id = k.evidenceitem_id"  # noqa: S608
        " WHERE k.recoveryaction_id = {action}.id AND i.removed_at IS NULL"
    )
    # Table names from the models; every value is a parameter.
    sql = f"""
        SELECT t.id, CASE WHEN EXISTS (SELECT 1 FROM {learning} l WHERE l.theme_id = t.id) THEN 1 ELSE 0 END,
            COALESCE(g.n, 0), {", ".join(f"COALESCE(g.{key}, 0)" for key in _GAP_COLUMNS)}
        FROM {t} t LEFT JOIN (
            SELECT x.theme_id, COUNT(*) AS n,
                SUM(CASE WHEN LENGTH(TRIM(x.intended_outcome)) = 0 THEN 1 ELSE 0 END) AS {GAP_NO_OUTCOME},
                SUM(CASE WHEN ms.action_id IS NULL THEN 1 ELSE 0 END) AS {GAP_NO_MEASURE},
                SUM(CASE WHEN ms.stale > 0 THEN 1 ELSE 0 END) AS {GAP_STALE},
                SUM(CASE WHEN ms.off_track > 0 THEN 1 ELSE 0 END) AS {GAP_OFF_TRACK},
                SUM(CASE WHEN ({has_evidence.format(action="x")} LIMIT 1) IS NULL THEN 1 ELSE 0 END)
                    AS {GAP_NO_EVIDENCE},
                SUM(CASE WHEN cl.id IS NOT NULL AND cl.impact IS NULL THEN 1 ELSE 0 END) AS {GAP_CLOSED_NO_IMPACT}
            FROM {a} x
            LEFT JOIN (
                SELECT action_id, SUM(CASE WHEN {stale} THEN 1 ELSE 0 END) AS stale,
                    SUM(CASE WHEN summary_state = %s THEN 1 ELSE 0 END) AS off_track
                FROM {m} WHERE action_id IN ({{actions}}) GROUP BY action_id
            ) ms ON ms.action_id = x.id
            LEFT JOIN (
                SELECT c.id, ({has_evidence.format(action="c")} AND i.nature = %s
                    AND (c.started_on IS NULL OR i.refers_to >= c.started_on) LIMIT 1) AS impact
                FROM {a} c WHERE c.status = %s AND c.id IN ({{actions}})
            ) cl ON cl.id = x.id
            WHERE x.id IN ({{actions}})
            GROUP BY x.theme_id
        ) g ON g.theme_id = t.id
        WHERE t.id IN ({{themes}})
    """  # noqa: S608
    return sql, [*stale_params, OutcomeMeasure.State.OFF_TRACK, Nature.IMPACT, RecoveryAction.Status.CLOSED]


def _map_gap_counts(
    themes: QuerySet[FailureTheme], actions: QuerySet[RecoveryAction], today: datetime.date
) -> tuple[int, dict, dict[int, tuple]]:
    """How many themes the filtered map has, its gaps, and each theme's counts (rows for ``_theme_counts``).

    One query, a row per theme of the filtered map (the page's themes take their counts from
    them; the gap summary adds them up). An action's gaps are worked out from its measures and
    its current evidence, grouped by action, then counted by theme; the rules are ``action_row``'s
    (impact evidence counts for a closure when dated on or after the action started).

    Written in SQL around the scope's own queries (``plan_scope``, compiled by the ORM): built
    with the ORM, the same counts (an ``EXISTS`` per gap and action) cost more to assemble than
    the rest of the map page, and PostgreSQL, estimating a probe per action, JIT-compiled them
    for the large provider (~40 ms).
    """
    themes_sql, themes_params = themes.order_by().values("pk").query.sql_with_params()
    actions_sql, actions_params = actions.order_by().values("pk").query.sql_with_params()
    sql, params = _gap_counts_sql(today)
    *measure_params, impact, closed = params
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(actions=actions_sql, themes=themes_sql),
            [*measure_params, *actions_params, impact, closed, *actions_params, *actions_params, *themes_params],
        )
        rows = cursor.fetchall()
    sums = [sum(column) for column in zip(*rows, strict=True)] if rows else [0] * (len(_GAP_COLUMNS) + 3)
    totals = dict(zip(_GAP_COLUMNS, sums[3:], strict=True))
    totals[GAP_NO_LEARNING] = len(rows) - sums[1]
    return len(rows), totals, {row[0]: row for row in rows if row[2]}


def _theme_counts(row: tuple | None) -> MapThemeCounts:
    """A theme's counts from its row of ``_map_gap_counts`` (None: no actions)."""
    if row is None:
        return MapThemeCounts()
    return MapThemeCounts(actions=row[2], gaps=dict(zip(_GAP_COLUMNS, row[3:], strict=True)))


def _filtered_actions(*, provider: Provider, service: Service | None, risk: str, status: str):
    """The map's action filters (not yet scoped to a user)."""
    actions = RecoveryAction.objects.filter(provider=provider)
    if service is not None:
        actions = actions.filter(service=service)
    if risk:
        actions = actions.filter(risk_level=risk)
    if status:
        actions = actions.filter(status=status)
    return actions


def plan_scope(
    user, *, provider: Provider, service: Service | None, key_question: str, risk: str, status: str
) -> tuple[QuerySet[FailureTheme], QuerySet[RecoveryAction], QuerySet[RecoveryAction]]:
    """The map's filters, shared by the map and the action-plan export.

    Returns the visible themes (annotated ``has_learning``), the filtered actions (not yet
    scoped to the user: prefetches scope them) and the visible filtered actions.
    """
    actions = _filtered_actions(provider=provider, service=service, risk=risk, status=status)
    visible_actions = policy.objects_for(user, actions, policy.Verb.VIEW)

    themes = policy.objects_for(user, FailureTheme.objects.filter(provider=provider), policy.Verb.VIEW)
    if key_question:
        tagged = FailureTheme.objects.filter(framework_items__key_question__code=key_question).values("pk")
        themes = themes.filter(pk__in=tagged)
    with_actions = visible_actions.values("theme_id")
    if risk or status:
        themes = themes.filter(pk__in=with_actions)
    elif service is not None:
        themes = themes.filter(Q(service=service) | Q(pk__in=with_actions))
    themes = themes.annotate(has_learning=Exists(LeadershipLearning.objects.filter(theme=OuterRef("pk"))))
    return themes, actions, visible_actions


def theme_order() -> tuple:
    """High risk first, then by title: the map's order and the export's."""
    return (
        Case(*(When(risk_level=level, then=Value(rank)) for level, rank in RISK_ORDER.items()), default=Value(9)),
        Lower("title"),
        "pk",
    )


def recovery_map(
    user,
    *,
    provider: Provider,
    service: Service | None = None,
    key_question: str = "",
    risk: str = "",
    status: str = "",
    page: int | str | None = 1,
    per_page: int | None = None,
    today: datetime.date | None = None,
    rows: int | None = None,
    summary: bool = True,
) -> RecoveryMap:
    """Themes -> actions -> measures -> evidence for one service or the whole provider, a page of themes at a time.

    Only what ``user`` may see. Filters: key question code (via the theme's framework items),
    action risk level, action status. With an action filter, themes without a matching action
    are left out; without one, themes with no actions yet are shown (they are a gap too).
    Themes come high risk first, then by title; the gap counts cover every page, and each
    theme carries its own action and gap counts. ``rows``: how many of the page's themes get
    their action rows loaded (None: all); the others' come from :func:`map_theme_rows`.
    ``summary=False``: the gap counts over the whole map are left to :func:`map_gaps` (the page
    loads them after itself; ``gap_counts`` is None) and only the page's themes are counted.
    """
    today = today or timezone.localdate()
    themes, actions, visible_actions = plan_scope(
        user, provider=provider, service=service, key_question=key_question, risk=risk, status=status
    )
    if summary:
        total, gap_counts, by_theme = _map_gap_counts(themes, visible_actions, today)
    else:
        total, gap_counts, by_theme = themes.order_by().count(), None, None

    ordered = themes.select_related("owner", "service").only(*_MAP_THEME_FIELDS).order_by(*theme_order())
    paginator = Paginator(ordered, per_page or MAP_THEMES_PER_PAGE)
    paginator.count = total  # already counted: no second COUNT query
    page_obj = paginator.get_page(page)
    on_page = list(page_obj.object_list)
    if by_theme is None:  # the page's themes only: their counts, as the whole map's would give them
        ids = [t.pk for t in on_page]
        by_theme = (
            _map_gap_counts(themes.filter(pk__in=ids), visible_actions.filter(theme_id__in=ids), today)[2]
            if ids
            else {}
        )
    with_rows = [t for t in on_page if t.pk in by_theme][:rows]  # a theme without actions needs no query
    if with_rows:
        prefetch_related_objects(
            with_rows, Prefetch("actions", queryset=_action_queryset(user, actions), to_attr="map_actions")
        )
    loaded = {t.pk for t in with_rows}
    key_questions = _key_questions(on_page) if on_page else {}
    theme_rows = [
        ThemeRow(
            theme=theme,
            actions=[action_row(a, today) for a in theme.map_actions] if theme.pk in loaded else [],
            has_learning=theme.has_learning,
            gaps=[] if theme.has_learning else [GAP_NO_LEARNING],
            counts=_theme_counts(by_theme.get(theme.pk)),
            rows_loaded=theme.pk in loaded or theme.pk not in by_theme,
            key_question_names=key_questions.get(theme.pk, []),
        )
        for theme in on_page
    ]
    return RecoveryMap(
        provider=provider, service=service, themes=theme_rows, today=today, gap_counts=gap_counts, page=page_obj
    )


def map_gaps(
    user,
    *,
    provider: Provider,
    service: Service | None = None,
    key_question: str = "",
    risk: str = "",
    status: str = "",
    today: datetime.date | None = None,
) -> dict[str, int]:
    """The gap counts over the whole filtered map (its summary), by aggregate: what
    ``recovery_map`` gives as ``gap_counts``, for a page that loads them after itself."""
    themes, _actions, visible_actions = plan_scope(
        user, provider=provider, service=service, key_question=key_question, risk=risk, status=status
    )
    return _map_gap_counts(themes, visible_actions, today or timezone.localdate())[1]


def map_theme_rows(
    user,
    theme_pk: int,
    *,
    provider: Provider,
    service: Service | None = None,
    key_question: str = "",
    risk: str = "",
    status: str = "",
    today: datetime.date | None = None,
) -> ThemeRow:
    """One theme of the map with its action rows, under the same filters (404 unless ``user`` may see the theme).

    ``key_question`` chooses themes, not actions, so it does not change a theme's rows.
    """
    today = today or timezone.localdate()
    theme = policy.get_or_404(
        user,
        FailureTheme.objects.filter(provider=provider).only("id", "provider_id", "service_id", "title"),
        pk=theme_pk,
    )
    actions = _filtered_actions(provider=provider, service=service, risk=risk, status=status).filter(theme=theme)
    rows = [action_row(a, today) for a in _action_queryset(user, actions)]
    return ThemeRow(theme=theme, actions=rows, has_learning=True, gaps=[], counts=MapThemeCounts(actions=len(rows)))
