"""What goes into a pack: plain dicts built with a fixed number of queries.

``build_pack_context(pack)`` reads the pack's parameters (period, key questions, sections)
and loads everything it shows with one query per kind of row (prefetches, no per-row
queries), so a provider with ten times the data costs the same number of queries.
Charts are the same server-side SVGs the measure pages show.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.safestring import mark_safe

from audits.models import Audit
from core.models import Service
from evidence.models import EvidenceItem, SourceType
from governance.models import AgendaItem, Challenge, EvidencePack
from governance.packs import svg
from recovery.measures import measuring
from recovery.models import (
    ActionStep,
    ActionTransition,
    DataPoint,
    FailureTheme,
    LeadershipLearning,
    OutcomeMeasure,
    RecoveryAction,
)

MARKING = "OFFICIAL-SENSITIVE"
MARKING_NOTE = (
    "Contains references to care records (never names). Share only with the inspector or "
    "commissioner it was prepared for, and handle it under your information governance policy."
)

KEY_QUESTIONS: list[tuple[str, str]] = [
    ("safe", "Safe"),
    ("effective", "Effective"),
    ("caring", "Caring"),
    ("responsive", "Responsive"),
    ("well_led", "Well-led"),
]
KEY_QUESTION_CODES = [code for code, _ in KEY_QUESTIONS]

# (key, heading) in the order the pack prints them.
SECTIONS: list[tuple[str, str]] = [
    ("position", "Position by key question"),
    ("themes", "Original failure themes and leadership learning"),
    ("actions_completed", "Actions completed"),
    ("actions_open", "Open actions and continued monitoring"),
    ("audits", "Re-audit findings"),
    ("measures", "Trend data"),
    ("competency", "Staff competency evidence"),
    ("feedback", "People's and families' feedback"),
    ("challenge", "Governance: challenge and decisions"),
    ("embedded", "Learning embedded in routine practice"),
    ("manifest", "Evidence manifest"),
]
SECTION_KEYS = [key for key, _ in SECTIONS]

COMPETENCY_TYPES = [SourceType.COMPETENCY_CHECK, SourceType.SUPERVISION_RECORD, SourceType.TRAINING_RECORD]
FEEDBACK_TYPES = [SourceType.PEOPLES_FEEDBACK, SourceType.FAMILY_FEEDBACK, SourceType.PARTNER_FEEDBACK]

# The commissioner update must fit on two pages: beyond this many measures it says how many more.
COMMISSIONER_MEASURE_ROWS = 10

S = RecoveryAction.Status


class PackParameterError(ValueError):
    """The pack's stored parameters cannot be used (the render fails with this message)."""


@dataclass(frozen=True)
class PackParameters:
    date_from: datetime.date
    date_to: datetime.date
    key_questions: list[str]
    sections: list[str]

    def as_json(self) -> dict:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "key_questions": list(self.key_questions),
            "sections": list(self.sections),
        }


def _date(raw, name: str) -> datetime.date:
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        raise PackParameterError(f"The pack's {name} is not a date: {raw!r}.") from None


def parse_parameters(raw: dict) -> PackParameters:
    """Validate stored parameters; missing ones take the defaults (all key questions and sections)."""
    if not isinstance(raw, dict):
        raise PackParameterError("The pack's parameters are not readable.")
    today = timezone.localdate()
    date_to = _date(raw.get("date_to") or today, "end date")
    date_from = _date(raw.get("date_from") or (date_to - datetime.timedelta(days=182)), "start date")
    if date_from > date_to:
        raise PackParameterError("The pack's period starts after it ends.")
    kqs = raw.get("key_questions") or KEY_QUESTION_CODES
    sections = raw.get("sections") or SECTION_KEYS
    unknown = [k for k in kqs if k not in KEY_QUESTION_CODES] + [s for s in sections if s not in SECTION_KEYS]
    if unknown:
        raise PackParameterError(f"The pack asks for parts that do not exist: {', '.join(map(str, unknown))}.")
    return PackParameters(
        date_from=date_from,
        date_to=date_to,
        key_questions=[k for k in KEY_QUESTION_CODES if k in kqs],
        sections=[s for s in SECTION_KEYS if s in sections],
    )


# --------------------------------------------------------------------------- loading


@dataclass
class _Cited:
    """Collects every evidence item a pack cites and numbers them E1, E2, ... for the manifest."""

    instances: list[EvidenceItem] = field(default_factory=list)

    def add(self, items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
        items = [e for e in items if e is not None and e.removed_at is None]
        self.instances.extend(items)
        return items

    def manifest(self) -> list[EvidenceItem]:
        unique: dict[int, EvidenceItem] = {}
        for item in self.instances:
            unique.setdefault(item.pk, item)
        ordered = sorted(unique.values(), key=lambda e: (e.refers_to, e.pk))
        refs = {e.pk: f"E{i}" for i, e in enumerate(ordered, start=1)}
        for item in self.instances:
            item.ref = refs[item.pk]
        return ordered


def _svg(markup: str):
    """Chart markup built by our own SVG code (recovery.measures.charts, packs.svg), which escapes every label."""
    return mark_safe(markup)  # noqa: S308 - generated markup, user text inside is escaped


def _evidence_qs():
    return EvidenceItem.objects.current().select_related("category", "service").order_by("refers_to", "pk")


def _in_scope(provider_id: int, service_ids: list[int], field_prefix: str = "") -> Q:
    """Rows at one of the services, or provider-wide rows of the provider."""
    return Q(**{f"{field_prefix}service_id__in": service_ids}) | Q(
        **{f"{field_prefix}service__isnull": True, f"{field_prefix}provider_id": provider_id}
    )


def _themes(provider_id: int, service_ids: list[int]) -> list[FailureTheme]:
    return list(
        FailureTheme.objects.filter(_in_scope(provider_id, service_ids))
        .select_related("owner", "service")
        .prefetch_related(
            Prefetch("framework_items", queryset=_framework_items()),
            Prefetch("evidence", queryset=_evidence_qs()),
            Prefetch(
                "learning",
                queryset=LeadershipLearning.objects.select_related("recorded_by", "reviewed_by").prefetch_related(
                    Prefetch("evidence", queryset=_evidence_qs())
                ),
            ),
        )
        .order_by("title", "pk")
    )


def _framework_items():
    from core.models import FrameworkItem

    return FrameworkItem.objects.select_related("key_question")


def _actions_qs():
    return RecoveryAction.objects.select_related(
        "theme", "owner", "service", "provider", "closed_by", "proposed_by"
    ).prefetch_related(
        Prefetch("steps", queryset=ActionStep.objects.select_related("done_by").order_by("order", "pk")),
        Prefetch("evidence", queryset=_evidence_qs()),
        Prefetch("transitions", queryset=ActionTransition.objects.select_related("actor").order_by("at", "pk")),
        Prefetch(
            "measures",
            queryset=OutcomeMeasure.objects.order_by("pk").prefetch_related(
                Prefetch("points", queryset=DataPoint.objects.order_by("period_date", "pk")),
                Prefetch("evidence", queryset=_evidence_qs()),
            ),
        ),
    )


def _theme_key_questions(theme: FailureTheme) -> set[str]:
    return {item.key_question.code for item in theme.framework_items.all()}


def _summaries(measures: Iterable[OutcomeMeasure], date_to: datetime.date) -> list[measuring.MeasureSummary]:
    out = []
    for m in measures:
        points = [p for p in m.points.all() if p.period_date <= date_to]
        summary = measuring.summarise(m, points, today=date_to)
        summary.badge_info = summary.badge()
        summary.assurance_info = summary.assurance()
        out.append(summary)
    return out


def _closing(action: RecoveryAction, to_status: str) -> ActionTransition | None:
    rows = [t for t in action.transitions.all() if t.to_status == to_status]
    return rows[-1] if rows else None


def _in_period(when, params: PackParameters) -> bool:
    if when is None:
        return False
    if isinstance(when, datetime.datetime):
        when = timezone.localtime(when).date()
    return params.date_from <= when <= params.date_to


# --------------------------------------------------------------------------- full pack


def build_pack_context(pack: EvidencePack, *, services: list[Service] | None = None) -> dict:
    """Everything the pack's template prints, for any kind of pack."""
    params = parse_parameters(pack.parameters)
    if pack.kind == EvidencePack.Kind.ACTION:
        return build_action_context(pack, params)
    if services is None:
        services = list(pack.services.select_related("provider").order_by("name"))
    if not services:
        raise PackParameterError("The pack covers no services.")
    context = _recovery_context(pack, params, services)
    if pack.kind == EvidencePack.Kind.COMMISSIONER:
        measures = context["measures"]
        context["commissioner_measures"] = measures[:COMMISSIONER_MEASURE_ROWS]
        for summary in context["commissioner_measures"]:
            summary.sparkline = _svg(summary.sparkline_svg())
        context["commissioner_more"] = max(len(measures) - COMMISSIONER_MEASURE_ROWS, 0)
    return context


def _header(pack: EvidencePack, params: PackParameters, services: list[Service]) -> dict:
    provider = pack.provider
    now = timezone.localtime()
    return {
        "pack": pack,
        "kind": pack.kind,
        "title": pack.get_kind_display(),
        "provider": provider,
        "services": services,
        "params": params,
        "date_from": params.date_from,
        "date_to": params.date_to,
        "generated_by": pack.requested_by,
        "generated_at": now,
        "marking": MARKING,
        "marking_note": MARKING_NOTE,
        "description": (
            f"{pack.get_kind_display()} for {', '.join(s.name for s in services) or provider.name}, "
            f"{params.date_from:%d %b %Y} to {params.date_to:%d %b %Y}"
        ),
    }


def _recovery_context(pack: EvidencePack, params: PackParameters, services: list[Service]) -> dict:
    provider_id = pack.provider_id
    service_ids = [s.pk for s in services]
    cited = _Cited()
    chosen_kqs = set(params.key_questions)

    # Themes in scope: tagged to a chosen key question, or not tagged at all.
    themes = [
        t
        for t in _themes(provider_id, service_ids)
        if not _theme_key_questions(t) or _theme_key_questions(t) & chosen_kqs
    ]
    theme_ids = {t.pk for t in themes}
    actions = list(
        _actions_qs()
        .filter(theme_id__in=theme_ids)
        .filter(_in_scope(provider_id, service_ids))
        .order_by("theme__title", "due_date", "pk")
    )
    actions_by_theme: dict[int, list[RecoveryAction]] = defaultdict(list)
    for a in actions:
        actions_by_theme[a.theme_id].append(a)
        a.measure_summaries = _summaries(a.measures.all(), params.date_to)

    all_summaries = [s for a in actions for s in a.measure_summaries]
    for s in all_summaries:
        s.chart = _svg(s.chart_svg(width=640, height=240))
        s.cited = cited.add(s.measure.evidence.all())

    # Themes, their learning, and where the key questions stand.
    theme_rows = []
    for t in themes:
        kq_names = sorted({i.key_question.name for i in t.framework_items.all()})
        learning = list(t.learning.all())
        for entry in learning:
            entry.cited = cited.add(entry.evidence.all())
        theme_rows.append(
            {
                "theme": t,
                "key_questions": kq_names,
                "items": list(t.framework_items.all()),
                "learning": learning,
                "cited": cited.add(t.evidence.all()),
                "actions": actions_by_theme.get(t.pk, []),
                "under_watch": t.under_watch(params.date_to),
            }
        )

    position = []
    for code, name in KEY_QUESTIONS:
        if code not in chosen_kqs:
            continue
        kq_themes = [r for r in theme_rows if code in _theme_key_questions(r["theme"])]
        kq_actions = [a for r in kq_themes for a in r["actions"]]
        kq_summaries = [s for a in kq_actions for s in a.measure_summaries]
        position.append(
            {
                "code": code,
                "name": name,
                "ratings": [
                    (s, getattr(s, f"get_rating_{code}_display")(), getattr(s, f"rating_{code}")) for s in services
                ],
                "themes": [r["theme"] for r in kq_themes],
                "actions_by_status": _count_labels(S(a.status).label for a in kq_actions),
                "measures_by_signal": _count_labels(s.badge_info["label"] for s in kq_summaries),
                "measures_by_state": _count_labels(s.state_label for s in kq_summaries),
            }
        )
    untagged = [r["theme"] for r in theme_rows if not r["items"]]

    # Actions completed in the period, with the closure decision; everything else still open.
    completed = []
    open_actions = []
    for a in actions:
        closing = _closing(a, S.CLOSED)
        if a.status == S.CLOSED:
            if closing is None or _in_period(closing.at, params) or _in_period(a.closed_at, params):
                proposal = _closing(a, S.CLOSURE_PROPOSED)
                a.closure_evidence = cited.add(a.evidence.all())
                completed.append({"action": a, "decision": closing, "proposal": proposal})
        else:
            a.open_evidence = cited.add(a.evidence.all())
            open_actions.append(a)
    monitoring = [r for r in theme_rows if r["theme"].status != FailureTheme.Status.OPEN or r["under_watch"]]

    # Re-audits submitted in the period and their compliance over time.
    audits = list(
        Audit.objects.filter(
            service_id__in=service_ids,
            status=Audit.Status.SUBMITTED,
            period_end__gte=params.date_from,
            period_end__lte=params.date_to,
        )
        .select_related("template_version__template", "auditor", "service", "evidence_item__category")
        .order_by("period_end", "pk")
    )
    series: dict[tuple, list[tuple[datetime.date, float]]] = defaultdict(list)
    for audit in audits:
        audit.cited = cited.add([audit.evidence_item]) if audit.evidence_item_id else []
        if audit.compliance is not None:
            series[(audit.template_version.template.title, audit.service.name)].append(
                (audit.period_end, audit.compliance)
            )
    audit_trends = [
        {
            "template": template,
            "service": service_name,
            "points": points,
            "svg": _svg(svg.compliance_line(points, label=f"{template} at {service_name}")),
        }
        for (template, service_name), points in sorted(series.items())
    ]

    # Staff competency and feedback evidence dated in the period.
    section_evidence = list(
        _evidence_qs().filter(
            _in_scope(provider_id, service_ids),
            source_type__in=[*COMPETENCY_TYPES, *FEEDBACK_TYPES],
            refers_to__gte=params.date_from,
            refers_to__lte=params.date_to,
        )
    )
    competency = cited.add(e for e in section_evidence if e.source_type in COMPETENCY_TYPES)
    feedback = cited.add(e for e in section_evidence if e.source_type in FEEDBACK_TYPES)

    # Governance that shows challenge: questions and challenges, meeting decisions, refused closures.
    start = datetime.datetime.combine(params.date_from, datetime.time.min, tzinfo=timezone.get_current_timezone())
    end = datetime.datetime.combine(params.date_to, datetime.time.max, tzinfo=timezone.get_current_timezone())
    challenges = list(
        Challenge.objects.filter(_in_scope(provider_id, service_ids), raised_at__gte=start, raised_at__lte=end)
        .select_related("raised_by", "responded_by", "review", "action")
        .order_by("raised_at", "pk")
    )
    decisions = list(
        AgendaItem.objects.filter(
            _in_scope(provider_id, service_ids, "review__"),
            decided_at__gte=start,
            decided_at__lte=end,
        )
        .exclude(decision="")
        .select_related("review", "decided_by")
        .order_by("decided_at", "pk")
    )
    refusals = [
        {"action": a, "transition": t}
        for a in actions
        for t in a.transitions.all()
        if t.to_status == S.REFUSED and _in_period(t.at, params)
    ]
    refusals.sort(key=lambda r: r["transition"].at)

    embedded = [
        {"theme": r["theme"], "learning": entry} for r in theme_rows for entry in r["learning"] if entry.how_tested
    ]

    manifest = cited.manifest()
    chosen = set(params.sections)
    context = _header(pack, params, services)
    context.update(
        {
            "sections": [{"key": k, "title": t, "anchor": f"s-{k}"} for k, t in SECTIONS if k in chosen],
            "show": {k: k in chosen for k in SECTION_KEYS},
            "key_questions": [name for code, name in KEY_QUESTIONS if code in chosen_kqs],
            "position": position,
            "untagged_themes": untagged,
            "themes": theme_rows,
            "completed": completed,
            "open_actions": open_actions,
            "monitoring": monitoring,
            "audits": audits,
            "audit_trends": audit_trends,
            "measures": all_summaries,
            "competency": competency,
            "feedback": feedback,
            "challenges": challenges,
            "decisions": decisions,
            "refusals": refusals,
            "embedded": embedded,
            "manifest": manifest,
            "totals": {
                "themes": len(theme_rows),
                "actions": len(actions),
                "completed": len(completed),
                "open": len(open_actions),
                "measures": len(all_summaries),
                "measures_met": sum(1 for s in all_summaries if s.met),
                "audits": len(audits),
                "evidence": len(manifest),
                "actions_by_status": _count_labels(S(a.status).label for a in actions),
            },
        }
    )
    return context


def _count_labels(labels: Iterable[str]) -> list[tuple[str, int]]:
    return sorted(Counter(labels).items())


# --------------------------------------------------------------------------- one action


def build_action_context(pack: EvidencePack, params: PackParameters | None = None) -> dict:
    """Concern to outcome for one action: baseline, outcome, steps, evidence, measures, decisions."""
    params = params or parse_parameters(pack.parameters)
    if pack.action_id is None:
        raise PackParameterError("A concern-to-outcome pack needs an action.")
    action = _actions_qs().select_related("theme__owner").get(pk=pack.action_id)
    cited = _Cited()
    summaries = _summaries(action.measures.all(), params.date_to)
    for s in summaries:
        s.chart = _svg(s.chart_svg(width=640, height=240))
        s.cited = cited.add(s.measure.evidence.all())
    evidence = cited.add(action.evidence.all())
    challenges = list(
        Challenge.objects.filter(action_id=action.pk)
        .select_related("raised_by", "responded_by", "review")
        .order_by("raised_at", "pk")
    )
    decisions = list(
        AgendaItem.objects.filter(subject_type__in=["action", "recoveryaction"], subject_id=action.pk)
        .exclude(decision="")
        .select_related("review", "decided_by")
        .order_by("decided_at", "pk")
    )
    transitions = list(action.transitions.all())
    manifest = cited.manifest()  # numbers the evidence (E1, E2, ...) the timeline refers to
    timeline = _timeline(action, transitions, evidence, summaries, challenges, decisions)
    services = [action.service] if action.service_id else []
    context = _header(pack, params, services)
    context.update(
        {
            "title": f"Concern to outcome: {action.reference}",
            "action": action,
            "theme": action.theme,
            "steps": list(action.steps.all()),
            "evidence": evidence,
            "measures": summaries,
            "transitions": transitions,
            "challenges": challenges,
            "decisions": decisions,
            "timeline": timeline,
            "manifest": manifest,
            "description": f"Concern to outcome for {action.reference} {action.title}",
        }
    )
    return context


def _timeline(action, transitions, evidence, summaries, challenges, decisions) -> list[dict]:
    """Everything that happened to the action, oldest first."""

    def day(value) -> datetime.date:
        return timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value

    events = [{"date": day(action.created_at), "what": "Action recorded", "detail": action.baseline_issue, "who": ""}]
    for t in transitions:
        label = f"{S(t.from_status).label} → {S(t.to_status).label}"
        detail = t.reason + (f" Further checks: {t.further_checks}" if t.further_checks else "")
        events.append({"date": day(t.at), "what": label, "detail": detail, "who": str(t.actor)})
    for step in action.steps.all():
        if step.done_on:
            events.append(
                {"date": step.done_on, "what": "Step done", "detail": step.what, "who": str(step.done_by or "")}
            )
    for e in evidence:
        events.append(
            {
                "date": e.refers_to,
                "what": f"Evidence {e.ref}: {e.get_source_type_display()}",
                "detail": e.title,
                "who": "",
            }
        )
    for s in summaries:
        for p in s.points:
            events.append(
                {
                    "date": p.period_date,
                    "what": f"Measured: {s.measure.name}",
                    "detail": measuring.charts.fmt_value(p.value, s.measure.unit),
                    "who": "",
                }
            )
    for c in challenges:
        detail = c.text + (f" Response: {c.response}" if c.response else "")
        events.append(
            {"date": day(c.raised_at), "what": c.get_kind_display(), "detail": detail, "who": str(c.raised_by)}
        )
    for d in decisions:
        if d.decided_at is None:
            continue
        events.append(
            {
                "date": day(d.decided_at),
                "what": f"Review decision: {d.get_decision_display()}",
                "detail": d.rationale,
                "who": str(d.decided_by or ""),
            }
        )
    events.sort(key=lambda e: e["date"])
    return events
