"""Reads for flags and the provider dashboard. Every query is set-based: a fixed count per page."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from core import permissions as policy
from core.models import Provider, Service
from governance.models import Flag, FlagTrigger
from recovery.measures import spc
from recovery.measures.measuring import MeasureSummary, summarise
from recovery.models import DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction

K = Flag.Kind

# The states a list can filter on, with their labels (the first is the default).
STATES: dict[str, str] = {
    "open": "Open",
    "unacknowledged": "Open, not acknowledged",
    "acknowledged": "Open, acknowledged",
    "resolved": "Resolved",
    "all": "All",
}


def filter_flags(queryset: QuerySet[Flag], *, kind: str | None = None, state: str = "open") -> QuerySet[Flag]:
    if kind in K.values:
        queryset = queryset.filter(kind=kind)
    if state == "open":
        queryset = queryset.filter(resolved_at__isnull=True)
    elif state == "unacknowledged":
        queryset = queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
    elif state == "acknowledged":
        queryset = queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=False)
    elif state == "resolved":
        queryset = queryset.filter(resolved_at__isnull=False)
    return queryset


def flags_visible(user, *, provider: Provider | None = None, service: Service | None = None) -> QuerySet[Flag]:
    """The flags ``user`` may see, at one service or across one provider."""
    qs = Flag.objects.select_related("service", "acknowledged_by", "assignee")
    if service is not None:
        qs = qs.filter(service=service)
    elif provider is not None:
        qs = qs.filter(provider=provider)
    return policy.objects_for(user, qs, policy.Verb.VIEW)


def open_counts_by_kind(queryset: QuerySet[Flag]) -> list[dict]:
    """[{kind, label, open, unacknowledged}] for every kind, in the model's order (one query)."""
    rows = {
        r["kind"]: r
        for r in queryset.filter(resolved_at__isnull=True)
        .order_by()
        .values("kind")
        .annotate(open=Count("id"), unacknowledged=Count("id", filter=Q(acknowledged_at__isnull=True)))
    }
    return [
        {
            "kind": kind,
            "label": label,
            "open": rows.get(kind, {}).get("open", 0),
            "unacknowledged": rows.get(kind, {}).get("unacknowledged", 0),
        }
        for kind, label in K.choices
    ]


def flag_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> Flag:
    return policy.get_or_404(
        user, Flag.objects.select_related("provider", "service", "acknowledged_by", "assignee"), verb, pk=pk
    )


def triggers_at(service: Service) -> list[FlagTrigger]:
    """The service's triggers with what they name (one query)."""
    return list(
        FlagTrigger.objects.filter(service=service).select_related("person", "measure", "template").order_by("name")
    )


# --- Measures of a provider, summarised in bulk ---------------------------------------------


class LightPoint:
    """A data point reduced to what the measuring functions read (much cheaper than a model row)."""

    __slots__ = ("pk", "period_date", "value")

    def __init__(self, pk: int, period_date: datetime.date, value: float) -> None:
        self.pk = pk
        self.period_date = period_date
        self.value = value


MEASURE_FIELDS = (
    "id",
    "provider_id",
    "service_id",
    "action_id",
    "name",
    "kind",
    "direction",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "sustain_periods",
    "cadence",
    "limits_from_first",
    "spc_rebase_dates",
)


UNSCOPED = object()  # measure_summaries' default: every service of the provider


def measure_summaries(
    provider: Provider, *, live_only: bool = False, service_id: int | None | object = UNSCOPED
) -> dict[int, MeasureSummary]:
    """measure id -> MeasureSummary for every measure of ``provider`` (two queries at any size).

    ``live_only`` leaves out measures of draft actions; ``service_id`` keeps one service's
    measures (``None``: the provider-wide ones).
    """
    measures = OutcomeMeasure.objects.filter(provider=provider)
    points = DataPoint.objects.filter(measure__provider=provider)
    if service_id is not UNSCOPED:
        measures = measures.filter(service_id=service_id)
        points = points.filter(measure__service_id=service_id)
    if live_only:
        measures = measures.exclude(action__status=RecoveryAction.Status.DRAFT)
        points = points.exclude(measure__action__status=RecoveryAction.Status.DRAFT)
    by_measure: dict[int, list[LightPoint]] = defaultdict(list)
    rows = (
        points.order_by("measure_id", "period_date", "id")
        .values_list("measure_id", "id", "period_date", "value")
        .iterator(chunk_size=5000)
    )
    for measure_id, pk, period_date, value in rows:
        by_measure[measure_id].append(LightPoint(pk, period_date, value))
    return {m.pk: summarise(m, by_measure.get(m.pk, [])) for m in measures.only(*MEASURE_FIELDS)}


# --- Provider dashboard -------------------------------------------------------------------

SIGNALS = (
    (spc.IMPROVEMENT, "Improvement"),
    (spc.CONCERN, "Concern"),
    (spc.COMMON_CAUSE, "Common cause"),
)
ASSURANCES = (("pass", "Consistently passes"), ("fail", "Consistently fails"), ("hit_and_miss", "Hit and miss"))


@dataclass
class ServiceRow:
    service: Service
    high_risk_themes: int = 0
    flags: Counter = field(default_factory=Counter)
    signals: Counter = field(default_factory=Counter)
    assurance: Counter = field(default_factory=Counter)
    measures: int = 0

    @property
    def open_flags(self) -> int:
        return sum(self.flags.values())

    @property
    def overdue_reviews(self) -> int:
        return self.flags[K.OVERDUE_REVIEW]

    def flag_cells(self) -> list[tuple[str, str, int]]:
        return [(kind, label, self.flags[kind]) for kind, label in K.choices]

    def signal_cells(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.signals[key]) for key, label in SIGNALS]

    def assurance_cells(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.assurance[key]) for key, label in ASSURANCES]


@dataclass
class ProviderDashboard:
    provider: Provider
    rows: list[ServiceRow]
    provider_wide: ServiceRow  # themes, flags and measures not tied to one service
    totals: ServiceRow

    @property
    def flag_kinds(self):
        return K.choices

    @property
    def signals(self):
        return SIGNALS

    @property
    def assurances(self):
        return ASSURANCES


def _measure_counts(provider: Provider) -> dict[int | None, dict]:
    """Per service: measures of live actions by SPC variation and by assurance (one query).

    Reads each measure's stored summary (``OutcomeMeasure.summary_*``, refreshed whenever its
    points change), so no point is loaded and nothing needs caching.
    """
    counts: dict[int | None, dict] = {}
    rows = (
        OutcomeMeasure.objects.filter(provider=provider)
        .exclude(action__status=RecoveryAction.Status.DRAFT)
        .order_by()
        .values_list("service_id", "summary_variation", "summary_assurance")
        .annotate(n=Count("id"))
    )
    for service_id, variation, assurance, n in rows:
        entry = counts.setdefault(service_id, {"measures": 0, "signals": Counter(), "assurance": Counter()})
        entry["measures"] += n
        if variation in (spc.IMPROVEMENT, spc.CONCERN, spc.COMMON_CAUSE):
            entry["signals"][variation] += n
        if assurance:
            entry["assurance"][assurance] += n
    return counts


def provider_dashboard(provider: Provider, today: datetime.date) -> ProviderDashboard:
    """Services side by side with the figures leaders ask about. A fixed number of queries."""
    services = list(Service.objects.filter(provider=provider).order_by("name"))
    rows = {s.pk: ServiceRow(service=s) for s in services}
    wide = ServiceRow(service=None)  # type: ignore[arg-type]

    def row(service_id):
        return rows.get(service_id, wide)

    for r in (
        FailureTheme.objects.filter(provider=provider, risk_level="high")
        .exclude(status=FailureTheme.Status.CLOSED)
        .order_by()
        .values("service_id")
        .annotate(n=Count("id"))
    ):
        row(r["service_id"]).high_risk_themes += r["n"]
    for r in (
        Flag.objects.filter(provider=provider, resolved_at__isnull=True)
        .order_by()
        .values("service_id", "kind")
        .annotate(n=Count("id"))
    ):
        row(r["service_id"]).flags[r["kind"]] += r["n"]

    for service_id, counts in _measure_counts(provider).items():
        target = row(service_id)
        target.measures += counts["measures"]
        target.signals.update(counts["signals"])
        target.assurance.update(counts["assurance"])

    totals = ServiceRow(service=None)  # type: ignore[arg-type]
    for r in [*rows.values(), wide]:
        totals.high_risk_themes += r.high_risk_themes
        totals.flags.update(r.flags)
        totals.signals.update(r.signals)
        totals.assurance.update(r.assurance)
        totals.measures += r.measures
    return ProviderDashboard(provider=provider, rows=list(rows.values()), provider_wide=wide, totals=totals)
