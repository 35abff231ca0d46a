"""The flag rules: what the data says should be flagged, with no writes.

``compute_flags`` loads one provider's whole plan (actions, themes, measures, their data
points, evidence links, closure decisions, scheduled reviews and audit dates) in a fixed
number of set-based queries and decides every rule in Python, as pure functions of the
loaded data. ``governance/flags/services.py`` reconciles the answer with the open flags.

Rules (each flag names its kind, subject and a stable cause):
- unsupported closure: a closed action with no impact evidence dated on or after its start;
  a measure not met and no written justification; a high-risk closure not decided by the
  provider's nominated individual (or closed without them after its risk was lowered from high);
  no re-audit or data point within two review cycles of closure;
- overdue review: a layer of an open action's or theme's review route past its next due date
  (one flag per layer, naming it: "Monthly NI review overdue"); a scheduled oversight
  review whose day has passed without it being held; a closure proposal waiting longer than
  ``CLOSURE_PROPOSAL_MAX_WAIT_DAYS``;
- overdue action: ``RecoveryAction.is_overdue`` (open, drafts included, and past its due date);
- overdue audit: the last completed period of an active audit template has no submitted audit
  at a service (the audits app's rule, ``audits.selectors.overdue_audits``);
- stale measure: no data within its cadence plus grace (``MeasureSummary.is_stale``);
- drift: a concern signal on a measure of a closed action, or of a theme still under watch;
- overdue request: a request or challenge addressed to someone, unanswered past its due date.
- trigger: a ``FlagTrigger`` holds (a measure below/above a threshold for N consecutive periods,
  or one audit criterion failed in N audits within W weeks at a service), for its named person.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audits.models import Audit, AuditRecord
from audits.periods import period_label
from audits.selectors import OverdueAudit, overdue_audits
from core import limits
from core.choices import RiskLevel
from core.models import Membership, Provider, Role, Service
from evidence.models import Nature, SourceType
from governance.flags.selectors import UNSCOPED, measure_summaries
from governance.models import Challenge, Flag, FlagTrigger, OversightReview
from recovery.closure.conditions import Checklist, closure_checklists
from recovery.measures.measuring import MeasureSummary
from recovery.models import ActionTransition, FailureTheme, OutcomeMeasure, RecoveryAction, ReviewLayer
from recovery.reviewing.services import cycle_days

K = Flag.Kind
S = RecoveryAction.Status

# A measure is stale after one cadence period plus this grace without data.
MEASURE_GRACE_DAYS = 7
# Follow-up after closure: a re-audit or data point is expected within this many review cycles.
FOLLOW_UP_CYCLES = 2


def _d(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _url(name: str, **kwargs) -> str:
    """A link to the subject, or nothing if that page does not exist (yet)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class FlagSpec:
    """A flag a rule wants open: what it is about, why, and what to say."""

    kind: str
    subject_type: str
    subject_id: int
    cause: str
    service_id: int | None
    label: str
    url: str
    detail: str
    assignee_id: int | None = None  # who must act, when the rule names someone (a trigger)

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.kind, self.subject_type, self.subject_id, self.cause)


@dataclass(frozen=True)
class Scope:
    """The part of a provider an event re-evaluates: one service's rows (``service_id``), or
    with ``service_id=None`` the provider-wide rows (themes, actions and reviews with no service).
    The daily scan has no scope: it evaluates the whole provider."""

    service_id: int | None


@dataclass
class _Data:
    """Everything the rules read for one provider, loaded with a fixed number of queries."""

    provider: Provider
    today: datetime.date
    now: datetime.datetime
    services: dict[int, Service]
    actions: list[RecoveryAction]
    themes: dict[int, FailureTheme]
    layers_by_action: dict[int, list[ReviewLayer]]  # active layers of each subject's review route
    layers_by_theme: dict[int, list[ReviewLayer]]
    measures_by_action: dict[int, list[OutcomeMeasure]]
    summaries: dict[int, MeasureSummary]
    impact_dates: dict[int, list[datetime.date]]  # action id -> refers_to of linked impact evidence
    audit_evidence_dates: dict[int, list[datetime.date]]  # action id -> refers_to of linked audits
    closing_actor: dict[int, int]  # action id -> who moved it to closed (latest)
    lowered_from_high: frozenset[int]  # closed actions whose risk was once lowered from high
    ni_ids: frozenset[int]
    unheld_reviews: list[OversightReview]
    overdue_audits: list[OverdueAudit]
    overdue_requests: list[Challenge]
    triggers: list[FlagTrigger]
    failed_audits: dict[tuple[int, int, str], list[datetime.date]]  # (service, template, key) -> period ends
    checklists: dict[int, Checklist] = field(default_factory=dict)  # proposed and closed actions


def _load(provider: Provider, today: datetime.date, now: datetime.datetime, scope: Scope | None = None) -> _Data:
    def scoped(qs, field: str = "service_id"):
        # With a scope, each read is narrowed to the scope's service (IS NULL for provider-wide).
        return qs if scope is None else qs.filter(**{field: scope.service_id})

    services = {s.pk: s for s in Service.objects.filter(provider=provider).only("id", "name", "slug", "provider_id")}
    actions = list(
        scoped(RecoveryAction.objects.filter(provider=provider)).only(
            "id",
            "provider_id",
            "service_id",
            "theme_id",
            "title",
            "status",
            "due_date",
            "risk_level",
            "started_on",
            "closure_justification",
            "proposed_at",
            "closed_at",
            "created_at",
            "closure_conditions",
            "evidence_required",
        )
    )
    theme_qs = FailureTheme.objects.filter(provider=provider)
    if scope is not None:
        # The scope's own themes, and the (provider-wide) themes of its actions: a measure's
        # drift rule asks whether its action's theme is under watch.
        theme_qs = theme_qs.filter(
            Q(service_id=scope.service_id) | Q(pk__in={a.theme_id for a in actions if a.theme_id})
        )
    themes = {
        t.pk: t
        for t in theme_qs.only(
            "id",
            "provider_id",
            "service_id",
            "title",
            "status",
            "created_at",
            "keep_visible_until",
            "keep_visible_override",
        )
    }
    layers_by_action: dict[int, list[ReviewLayer]] = defaultdict(list)
    layers_by_theme: dict[int, list[ReviewLayer]] = defaultdict(list)
    for layer in ReviewLayer.objects.filter(provider=provider, retired_at__isnull=True).select_related("reviewer"):
        if layer.action_id:
            layers_by_action[layer.action_id].append(layer)
        else:
            layers_by_theme[layer.theme_id].append(layer)
    summaries = measure_summaries(provider, service_id=scope.service_id if scope else UNSCOPED)
    measures_by_action: dict[int, list[OutcomeMeasure]] = defaultdict(list)
    for summary in summaries.values():
        measures_by_action[summary.measure.action_id].append(summary.measure)

    impact_dates: dict[int, list[datetime.date]] = defaultdict(list)
    audit_evidence_dates: dict[int, list[datetime.date]] = defaultdict(list)
    links = (
        scoped(RecoveryAction.evidence.through.objects, "recoveryaction__service_id")
        .filter(
            recoveryaction__provider=provider,
            recoveryaction__status=S.CLOSED,
            evidenceitem__removed_at__isnull=True,
        )
        .values_list(
            "recoveryaction_id", "evidenceitem__refers_to", "evidenceitem__nature", "evidenceitem__source_type"
        )
    )
    for action_id, refers_to, nature, source_type in links:
        if nature == Nature.IMPACT:
            impact_dates[action_id].append(refers_to)
        if source_type == SourceType.AUDIT:
            audit_evidence_dates[action_id].append(refers_to)

    closing_actor: dict[int, int] = {}
    decisions = (
        scoped(ActionTransition.objects, "action__service_id")
        .filter(
            action__provider=provider,
            action__status=S.CLOSED,
            to_status=S.CLOSED,
        )
        .order_by("at", "pk")
        .values_list("action_id", "actor_id")
    )
    for action_id, actor_id in decisions:
        closing_actor[action_id] = actor_id  # the latest closure wins
    # Closed actions whose risk was lowered from high at some point (a recorded risk change).
    lowered_from_high = frozenset(
        scoped(ActionTransition.objects, "action__service_id")
        .filter(action__provider=provider, action__status=S.CLOSED, snapshot__risk__from=RiskLevel.HIGH)
        .values_list("action_id", flat=True)
    )
    ni_ids = frozenset(
        Membership.objects.filter(provider=provider, role=Role.NOMINATED_INDIVIDUAL).values_list("user_id", flat=True)
    )

    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    unheld_reviews = list(
        scoped(OversightReview.objects.filter(provider=provider))
        .filter(status=OversightReview.Status.SCHEDULED, scheduled_for__lt=start_of_today)
        .only("id", "provider_id", "service_id", "title", "scheduled_for")
    )

    audited = Service.objects.filter(provider=provider)
    if scope is not None:
        audited = audited.filter(pk=scope.service_id) if scope.service_id is not None else audited.none()
    overdue = overdue_audits(audited, today)
    overdue_requests = list(
        scoped(
            Challenge.objects.filter(
                provider=provider, addressed_to__isnull=False, responded_at__isnull=True, due_on__lt=today
            )
        )
        .select_related("addressed_to")
        .only("id", "provider_id", "service_id", "kind", "text", "due_on", "addressed_to")
    )

    triggers = list(
        scoped(FlagTrigger.objects.filter(provider=provider)).select_related("person", "template", "service")
    )
    return _Data(
        provider=provider,
        today=today,
        now=now,
        services=services,
        actions=actions,
        themes=themes,
        layers_by_action=layers_by_action,
        layers_by_theme=layers_by_theme,
        measures_by_action=measures_by_action,
        summaries=summaries,
        impact_dates=impact_dates,
        audit_evidence_dates=audit_evidence_dates,
        closing_actor=closing_actor,
        lowered_from_high=lowered_from_high,
        ni_ids=ni_ids,
        unheld_reviews=unheld_reviews,
        overdue_audits=overdue,
        overdue_requests=overdue_requests,
        checklists=closure_checklists([a for a in actions if a.status in (S.CLOSED, S.CLOSURE_PROPOSED)]),
        triggers=triggers,
        failed_audits=_failed_audits(triggers, today),
    )


def _failed_audits(triggers: list[FlagTrigger], today: datetime.date) -> dict:
    """(service, template, criterion key) -> period ends of current submitted audits answering it "no".

    One query over the records of the audits the repeated-finding triggers look at (none
    without such a trigger).
    """
    watching = [t for t in triggers if t.kind == FlagTrigger.Kind.REPEATED_FINDING and t.service_id and t.weeks]
    if not watching:
        return {}
    keys = {t.criterion_key for t in watching}
    since = today - datetime.timedelta(weeks=max(t.weeks for t in watching))
    failed: dict[tuple[int, int, str], set] = defaultdict(set)
    rows = AuditRecord.objects.filter(
        audit__status=Audit.Status.SUBMITTED,  # the current version (an amendment supersedes)
        audit__service_id__in={t.service_id for t in watching},
        audit__template_id__in={t.template_id for t in watching},
        audit__period_end__gte=since,
    ).values_list("audit_id", "audit__service_id", "audit__template_id", "audit__period_end", "answers")
    for audit_id, service_id, template_id, period_end, answers in rows:
        for key in keys:
            if (answers or {}).get(key) == AuditRecord.Answer.NO:
                failed[(service_id, template_id, key)].add((audit_id, period_end))
    return {k: sorted(end for _id, end in v) for k, v in failed.items()}


# --- The rules: pure functions of the loaded data -----------------------------------------


def _spec(subject_type: str, obj, kind: str, cause: str, *, label: str, page: str, detail: str) -> FlagSpec:
    """A flag about ``obj`` (a row with a service), linking to its ``page`` (a view name taking pk)."""
    return FlagSpec(
        kind=kind,
        subject_type=subject_type,
        subject_id=obj.pk,
        cause=cause,
        service_id=obj.service_id,
        label=label[:250],
        url=_url(page, pk=obj.pk),
        detail=limits.clip(detail, limits.NOTE),
    )


def _action_spec(a: RecoveryAction, kind: str, cause: str, detail: str, *, about: str = "") -> FlagSpec:
    label = f"{a.reference} {a.title}" + (f" ({about})" if about else "")
    return _spec("action", a, kind, cause, label=label, page="recovery:action_detail", detail=detail)


def _measure_spec(m: OutcomeMeasure, kind: str, cause: str, detail: str) -> FlagSpec:
    label = f"{m.name} (A-{m.action_id})"
    return _spec("measure", m, kind, cause, label=label, page="recovery:measure_detail", detail=detail)


def _conditions_rule(data: _Data, a: RecoveryAction) -> Iterable[FlagSpec]:
    """A proposal or closure with closure conditions unmet, naming each (and the justification given)."""
    checklist = data.checklists.get(a.pk)
    if checklist is None or not checklist.unmet:
        return
    unmet = checklist.unmet
    what = "Closed" if a.status == S.CLOSED else "Closure proposed"
    why = (
        f" Justification given: “{a.closure_justification.strip()}”"
        if a.closure_justification.strip()
        else " No justification was given."
    )
    yield _action_spec(
        a,
        K.UNSUPPORTED_CLOSURE,
        "conditions_unmet",
        f"{what} with {len(unmet)} closure condition{'s' if len(unmet) != 1 else ''} unmet: "
        f"{checklist.unmet_text()}.{why}",
    )


def _proposal_rules(data: _Data) -> Iterable[FlagSpec]:
    """Closure proposals waiting for their decision: the unmet conditions, named for the decider."""
    for a in data.actions:
        if a.status == S.CLOSURE_PROPOSED:
            yield from _conditions_rule(data, a)


def _closure_rules(data: _Data, a: RecoveryAction) -> Iterable[FlagSpec]:
    yield from _conditions_rule(data, a)
    started = a.started_on or timezone.localdate(a.created_at)
    if not any(d >= started for d in data.impact_dates.get(a.pk, ())):
        yield _action_spec(
            a,
            K.UNSUPPORTED_CLOSURE,
            "no_impact_evidence",
            f"Closed without impact evidence dated on or after the start ({_d(started)}). "
            "Activity (training, updated documents, meetings) does not show that anything changed for people.",
        )
    summaries = [data.summaries[m.pk] for m in data.measures_by_action.get(a.pk, ())]
    not_met = [s for s in summaries if not s.met]
    if not_met and not a.closure_justification.strip():
        names = "; ".join(f"{s.measure.name} ({s.state_label.lower()})" for s in not_met)
        yield _action_spec(
            a,
            K.UNSUPPORTED_CLOSURE,
            "measure_not_met",
            f"Closed with a measure not met and no written justification: {names}.",
        )
    if a.risk_level == RiskLevel.HIGH and data.closing_actor.get(a.pk) not in data.ni_ids:
        yield _action_spec(
            a,
            K.UNSUPPORTED_CLOSURE,
            "no_ni_decision",
            "A high-risk action was closed without a decision by the nominated individual.",
        )
    elif a.pk in data.lowered_from_high and data.closing_actor.get(a.pk) not in data.ni_ids:
        yield _action_spec(
            a,
            K.UNSUPPORTED_CLOSURE,
            "risk_lowered_no_ni",
            "Closed without the nominated individual after its risk was lowered from high: a high-risk "
            "closure needs their decision, whatever the risk level says at the end.",
        )
    if a.closed_at is not None:
        closed_on = timezone.localdate(a.closed_at)
        cycle = cycle_days(data.layers_by_action.get(a.pk, ()), subject_type="action")
        window_ends = closed_on + datetime.timedelta(days=FOLLOW_UP_CYCLES * cycle)
        if data.today > window_ends:
            has_point = any(s.latest is not None and s.latest.period_date > closed_on for s in summaries)
            has_audit = any(d > closed_on for d in data.audit_evidence_dates.get(a.pk, ()))
            if not (has_point or has_audit):
                yield _action_spec(
                    a,
                    K.UNSUPPORTED_CLOSURE,
                    "no_follow_up",
                    f"Closed on {_d(closed_on)} and no re-audit or new data point since, "
                    f"two review cycles on (by {_d(window_ends)}).",
                )


def _action_rules(data: _Data) -> Iterable[FlagSpec]:
    today = data.today
    max_wait = datetime.timedelta(days=settings.CLOSURE_PROPOSAL_MAX_WAIT_DAYS)
    for a in data.actions:
        if a.status == S.CLOSED:
            yield from _closure_rules(data, a)
        elif a.status != S.DRAFT:
            for layer in data.layers_by_action.get(a.pk, ()):
                if layer.is_overdue(today):
                    since = (
                        f"last reviewed {_d(layer.last_reviewed_on)}."
                        if layer.last_reviewed_on
                        else f"not reviewed since work started on {_d(a.started_on)}."
                        if a.started_on
                        else "not reviewed yet."
                    )
                    yield _action_spec(
                        a,
                        K.OVERDUE_REVIEW,
                        layer_cause(layer),
                        f"{layer_overdue_heading(layer)}: due {_d(layer.next_due)} "
                        f"({layer.reviewer_label}, {layer.get_cadence_display().lower()}); {since}",
                        about=layer_short(layer),
                    )
            if a.status == S.CLOSURE_PROPOSED and a.proposed_at and a.proposed_at < data.now - max_wait:
                waited = (data.now - a.proposed_at).days
                yield _action_spec(
                    a,
                    K.OVERDUE_REVIEW,
                    "closure_waiting",
                    f"Closure proposed on {_d(timezone.localdate(a.proposed_at))} has waited {waited} days for "
                    f"a decision (limit {settings.CLOSURE_PROPOSAL_MAX_WAIT_DAYS}).",
                )
        if a.is_overdue(today):
            yield _action_spec(
                a,
                K.OVERDUE_ACTION,
                "past_due",
                f"Due {_d(a.due_date)} ({(today - a.due_date).days} days ago) "
                f"and still {a.get_status_display().lower()}.",
            )


def _theme_rules(data: _Data) -> Iterable[FlagSpec]:
    for t in data.themes.values():
        if t.status == FailureTheme.Status.CLOSED:
            continue
        for layer in data.layers_by_theme.get(t.pk, ()):
            if layer.is_overdue(data.today):
                since = (
                    f"last reviewed {_d(layer.last_reviewed_on)}."
                    if layer.last_reviewed_on
                    else f"not reviewed since the theme was recorded on {_d(timezone.localdate(t.created_at))}."
                )
                yield _spec(
                    "theme",
                    t,
                    K.OVERDUE_REVIEW,
                    layer_cause(layer),
                    label=f"{t.title} ({layer_short(layer)})",
                    page="recovery:theme_detail",
                    detail=f"{layer_overdue_heading(layer)}: theme review due {_d(layer.next_due)} "
                    f"({layer.reviewer_label}, {layer.get_cadence_display().lower()}); {since}",
                )


def layer_cause(layer: ReviewLayer) -> str:
    """The flag cause of one overdue layer: the flag resolves when that layer is reviewed."""
    return f"layer:{layer.pk}"


def layer_short(layer: ReviewLayer) -> str:
    """ "monthly NI review", for a flag's label."""
    return layer.name_in_sentence


def layer_overdue_heading(layer: ReviewLayer) -> str:
    """ "Monthly NI review overdue"."""
    return f"{layer.name} overdue"


def _review_rules(data: _Data) -> Iterable[FlagSpec]:
    for r in data.unheld_reviews:
        try:
            when = timezone.localtime(r.scheduled_for).date()
        except OverflowError:  # stored at the edge of datetime's range: its UTC date will do
            when = r.scheduled_for.date()
        yield _spec(
            "review",
            r,
            K.OVERDUE_REVIEW,
            "not_held",
            label=r.title,
            page="governance:review_detail",
            detail=f"Scheduled for {_d(when)} and not held: no minutes have been started.",
        )


def _measure_rules(data: _Data) -> Iterable[FlagSpec]:
    today = data.today
    for a in data.actions:
        if a.status == S.DRAFT:
            continue
        theme = data.themes.get(a.theme_id)
        watched = theme is not None and theme.under_watch(today)
        closed = a.status == S.CLOSED
        for m in data.measures_by_action.get(a.pk, ()):
            s = data.summaries[m.pk]
            if (not closed or watched) and s.is_stale(today, MEASURE_GRACE_DAYS):
                last = s.latest.period_date if s.latest else None
                yield _measure_spec(
                    m,
                    K.STALE_MEASURE,
                    "no_recent_data",
                    f"No data since {_d(last)}; it is recorded {m.get_cadence_display().lower()}."
                    if last
                    else f"No data recorded yet; it is recorded {m.get_cadence_display().lower()} "
                    f"from the baseline on {_d(m.baseline_date)}.",
                )
            if (closed or watched) and s.spc.recent_concern():
                why = "its action is closed" if closed else f"its theme is under watch until {_d(theme.visible_until)}"
                yield _measure_spec(
                    m,
                    K.DRIFT,
                    "concern_after_closure",
                    f"A special-cause concern in the latest points while {why}: practice may be slipping. "
                    "Consider reopening the action.",
                )


def _audit_rules(data: _Data) -> Iterable[FlagSpec]:
    # The rule is the audits app's: the last completed period of an active template has no
    # submitted audit at the service. One flag per template and service while that holds.
    for o in data.overdue_audits:
        period = period_label(o.template.frequency, o.period_start, o.period_end)
        yield FlagSpec(
            kind=K.OVERDUE_AUDIT,
            subject_type="audit_template",
            subject_id=o.template.pk,
            cause=f"service:{o.service.pk}",
            service_id=o.service.pk,
            label=f"{o.template.title} at {o.service.name}"[:250],
            url=_url("audits:schedule", service=o.service.slug) or _url("core:service_detail", service=o.service.slug),
            detail=f"{o.template.get_frequency_display()} audit for {period} not submitted "
            f"(the period ended {_d(o.period_end)}).",
        )


def _request_rules(data: _Data) -> Iterable[FlagSpec]:
    # Answering the request resolves it (the next evaluation no longer wants it).
    for c in data.overdue_requests:
        yield _spec(
            "challenge",
            c,
            K.OVERDUE_REQUEST,
            "unanswered",
            label=f"{c.get_kind_display()} to {c.addressed_to}: {limits.clip(c.text, 120)}",
            page="governance:request_detail",
            detail=f"Due {_d(c.due_on)} ({(data.today - c.due_on).days} days ago) and not answered.",
        )


def _trigger_spec(t: FlagTrigger, *, url: str, detail: str) -> FlagSpec:
    who = f"{t.person} to act" + (f": {t.what_to_do}" if t.what_to_do else ".")
    return FlagSpec(
        kind=K.TRIGGER,
        subject_type="trigger",
        subject_id=t.pk,
        cause=t.kind,
        service_id=t.service_id,
        label=f"{t.name} (for {t.person})"[:250],
        url=url,
        detail=limits.clip(f"{detail} {who}", limits.NOTE),
        assignee_id=t.person_id,
    )


def _trigger_rules(data: _Data) -> Iterable[FlagSpec]:
    """Triggers as data (``FlagTrigger``): a measure past a threshold, or a finding repeated."""
    for t in data.triggers:
        if t.kind == FlagTrigger.Kind.MEASURE_THRESHOLD:
            summary = data.summaries.get(t.measure_id)
            n = t.periods or 1
            if summary is None or t.threshold is None or len(summary.points) < n:
                continue
            last = summary.points[-n:]
            below = t.comparison == FlagTrigger.Comparison.BELOW
            if all((p.value < t.threshold) if below else (p.value > t.threshold) for p in last):
                m = summary.measure
                values = ", ".join(f"{p.value:g}" for p in last)
                yield _trigger_spec(
                    t,
                    url=_url("recovery:measure_detail", pk=m.pk),
                    detail=f"{m.name}: the last {n} value{'s' if n != 1 else ''} ({values}, to "
                    f"{_d(last[-1].period_date)}) {'are' if n != 1 else 'is'} {t.comparison} {t.threshold:g}.",
                )
        elif t.kind == FlagTrigger.Kind.REPEATED_FINDING and t.service_id and t.count and t.weeks:
            since = data.today - datetime.timedelta(weeks=t.weeks)
            ends = [e for e in data.failed_audits.get((t.service_id, t.template_id, t.criterion_key), ()) if e >= since]
            if len(ends) >= t.count:
                where = data.services.get(t.service_id)
                yield _trigger_spec(
                    t,
                    url=_url("governance:flag_list", service=where.slug) if where else "",
                    detail=f"“{t.criterion_key}” of {t.template} was failed in {len(ends)} audits in the "
                    f"last {t.weeks} weeks (periods ending {', '.join(_d(e) for e in ends)}).",
                )


RULES = (
    _action_rules,
    _proposal_rules,
    _theme_rules,
    _review_rules,
    _measure_rules,
    _audit_rules,
    _request_rules,
    _trigger_rules,
)


def compute_flags(
    provider: Provider, today: datetime.date, now: datetime.datetime | None = None, *, scope: Scope | None = None
) -> dict:
    """Every flag the rules want open for ``provider`` on ``today``: key -> FlagSpec. No writes.

    With a ``scope`` only the scope's rows are read and only flags at its service are returned:
    the same rules over less data, so an event's re-evaluation agrees with the daily scan.
    """
    data = _load(provider, today, now or timezone.now(), scope)
    wanted: dict[tuple, FlagSpec] = {}
    for rule in RULES:
        for spec in rule(data):
            if scope is None or spec.service_id == scope.service_id:
                wanted.setdefault(spec.key, spec)
    return wanted
