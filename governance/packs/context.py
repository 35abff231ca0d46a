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

from django.utils import timezone

from audits.models import Audit
from audits.selectors import standard_lines
from core.models import Service
from evidence.models import SourceType
from governance.models import AgendaItem, Challenge, EvidencePack
from governance.packs import svg
from governance.packs.loading import (
    Cited,
    actions_qs,
    closing_transition,
    evidence_qs,
    in_period,
    in_scope,
    summaries_at,
    svg_markup,
    theme_key_questions,
    themes_in_scope,
)
from governance.packs.parameters import (
    KEY_QUESTIONS,
    SECTION_KEYS,
    SECTIONS,
    PackParameterError,
    PackParameters,
    parse_parameters,
)
from recovery.closure.conditions import closure_checklist
from recovery.measures import measuring
from recovery.models import (
    FailureTheme,
    RecoveryAction,
)

MARKING = "OFFICIAL-SENSITIVE"
MARKING_NOTE = (
    "Contains references to care records (never names). Share only with the inspector or "
    "commissioner it was prepared for, and handle it under your information governance policy."
)

COMPETENCY_TYPES = [SourceType.COMPETENCY_CHECK, SourceType.SUPERVISION_RECORD, SourceType.TRAINING_RECORD]
FEEDBACK_TYPES = [SourceType.PEOPLES_FEEDBACK, SourceType.FAMILY_FEEDBACK, SourceType.PARTNER_FEEDBACK]

# The commissioner update must fit on two pages: beyond this many measures it says how many more.
COMMISSIONER_MEASURE_ROWS = 10

S = RecoveryAction.Status


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
            summary.sparkline = svg_markup(summary.sparkline_svg())
        context["commissioner_more"] = max(len(measures) - COMMISSIONER_MEASURE_ROWS, 0)
    return context


def front_context(pack: EvidencePack, front: dict, generated_at: datetime.datetime) -> dict:
    """What a long pack's cover, contents and page overlay print, without loading its body again.

    ``front`` is ``chunked.front_data`` of the context the body was built from, kept on the pack
    while its parts were laid out on other workers; ``generated_at`` is when that context was read.
    """
    params = parse_parameters(pack.parameters)
    services = list(pack.services.select_related("provider").order_by("name"))
    return {**_header(pack, params, services), **front, "generated_at": timezone.localtime(generated_at)}


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
    cited = Cited()
    chosen_kqs = set(params.key_questions)

    # Themes in scope: tagged to a chosen key question, or not tagged at all.
    themes = [
        t
        for t in themes_in_scope(provider_id, service_ids)
        if not theme_key_questions(t) or theme_key_questions(t) & chosen_kqs
    ]
    theme_ids = {t.pk for t in themes}
    actions = list(
        actions_qs()
        .filter(theme_id__in=theme_ids)
        .filter(in_scope(provider_id, service_ids))
        .order_by("theme__title", "due_date", "pk")
    )
    actions_by_theme: dict[int, list[RecoveryAction]] = defaultdict(list)
    for a in actions:
        actions_by_theme[a.theme_id].append(a)
        a.measure_summaries = summaries_at(a.measures.all(), params.date_to)

    all_summaries = [s for a in actions for s in a.measure_summaries]
    for s in all_summaries:
        s.chart = svg_markup(s.chart_svg(width=640, height=240))
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
        kq_themes = [r for r in theme_rows if code in theme_key_questions(r["theme"])]
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
        closing = closing_transition(a, S.CLOSED)
        if a.status == S.CLOSED:
            if closing is None or in_period(closing.at, params) or in_period(a.closed_at, params):
                proposal = closing_transition(a, S.CLOSURE_PROPOSED)
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
        .prefetch_related("template_version__criteria", "records")
        .order_by("period_end", "pk")
    )
    series: dict[tuple, list[tuple[datetime.date, float]]] = defaultdict(list)
    for audit in audits:
        audit.cited = cited.add([audit.evidence_item]) if audit.evidence_item_id else []
        # Number and time criteria ("escalated within 4 hours"): how many records met the standard.
        audit.standards = standard_lines(audit.template_version.criteria.all(), audit.records.all())
        if audit.compliance is not None:
            series[(audit.template_version.template.title, audit.service.name)].append(
                (audit.period_end, audit.compliance)
            )
    audit_trends = [
        {
            "template": template,
            "service": service_name,
            "points": points,
            "svg": svg_markup(svg.compliance_line(points, label=f"{template} at {service_name}")),
        }
        for (template, service_name), points in sorted(series.items())
    ]

    # Staff competency and feedback evidence dated in the period.
    section_evidence = list(
        evidence_qs().filter(
            in_scope(provider_id, service_ids),
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
        Challenge.objects.filter(in_scope(provider_id, service_ids), raised_at__gte=start, raised_at__lte=end)
        .select_related("raised_by", "responded_by", "review", "action")
        .order_by("raised_at", "pk")
    )
    decisions = list(
        AgendaItem.objects.filter(
            in_scope(provider_id, service_ids, "review__"),
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
        if t.to_status == S.REFUSED and in_period(t.at, params)
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
    action = actions_qs().select_related("theme__owner").get(pk=pack.action_id)
    cited = Cited()
    summaries = summaries_at(action.measures.all(), params.date_to)
    for s in summaries:
        s.chart = svg_markup(s.chart_svg(width=640, height=240))
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
            "steps": list(action.steps.select_related("owner", "done_by").all()),
            "risks": list(action.risks.all()),
            "checklist": closure_checklist(action),
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
