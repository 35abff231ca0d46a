"""The live agenda of an oversight review, built from the data in its scope.

A review of one service looks at that service's records; a review across the provider
looks at every service of the provider. Each source is one bounded query (measures take
two: measures and their points), so building an agenda costs the same however much data
there is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.urls import NoReverseMatch
from django.utils import timezone

from audits.models import Audit
from core.choices import RiskLevel
from evidence.models import EvidenceItem
from governance.flags.rules import Scope, compute_flags
from governance.models import AgendaItem, Challenge, Flag, OversightReview
from recovery.measures.measuring import summarise
from recovery.models import DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction

K = AgendaItem.Kind
A = RecoveryAction.Status

# The order the meeting takes them in: decisions first, then warnings, then watching briefs.
KIND_ORDER = [
    K.CLOSURE_PROPOSAL,
    K.FLAG,
    K.HIGH_RISK_THEME,
    K.MEASURE_CONCERN,
    K.OVERDUE_ACTION,
    K.OVERDUE_AUDIT,
    K.WATCH_THEME,
    K.REQUEST,
    K.THEME_SUMMARY,
    K.OTHER,
]


@dataclass
class AgendaEntry:
    """One thing the data says the meeting should look at (not yet saved)."""

    kind: str
    subject_type: str
    subject_id: int
    title: str
    subject_url: str = ""
    snapshot: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.kind, self.subject_type, self.subject_id)

    def get_kind_display(self) -> str:
        return K(self.kind).label


def _url(obj) -> str:
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:  # the page may not be wired up in every build
        return ""


def _in_scope(review: OversightReview, qs: QuerySet) -> QuerySet:
    qs = qs.filter(provider_id=review.provider_id)
    if review.service_id is not None:
        qs = qs.filter(service_id=review.service_id)
    return qs


def _where(obj) -> dict:
    service = getattr(obj, "service", None)
    return {"service_id": obj.service_id, "service": service.name if service else "Across the provider"}


def _closure_proposals(review) -> list[AgendaEntry]:
    qs = _in_scope(review, RecoveryAction.objects.filter(status=A.CLOSURE_PROPOSED))
    qs = qs.select_related("service", "proposed_by").order_by("proposed_at", "pk")
    return [
        AgendaEntry(
            K.CLOSURE_PROPOSAL,
            "action",
            a.pk,
            f"Closure proposed: {a.title}",
            _url(a),
            {
                **_where(a),
                "risk": a.get_risk_level_display(),
                "proposed_by": str(a.proposed_by) if a.proposed_by else "",
                "proposed_on": a.proposed_at.date().isoformat() if a.proposed_at else "",
                "detail": a.closure_note,
            },
        )
        for a in qs
    ]


def _flags(review, current_only: bool = False, today: datetime.date | None = None) -> list[AgendaEntry]:
    qs = _in_scope(review, Flag.objects.filter(resolved_at__isnull=True)).select_related("service")
    if current_only:
        # A preview (no writes): leave out open flags whose cause the rules no longer see, in
        # case an event's re-evaluation has not run yet. Building the agenda re-evaluates for real.
        scope = Scope(review.service_id) if review.service_id is not None else None
        wanted = compute_flags(review.provider, today or timezone.localdate(), scope=scope)
        qs = [f for f in qs.order_by("raised_at", "pk") if (f.kind, f.subject_type, f.subject_id, f.cause) in wanted]
    else:
        qs = qs.order_by("raised_at", "pk")
    return [
        AgendaEntry(
            K.FLAG,
            "flag",
            f.pk,
            f"{f.get_kind_display()}: {f.subject_label}",
            f.subject_url,
            {
                **_where(f),
                "flag_kind": f.kind,
                "subject_type": f.subject_type,
                "subject_id": f.subject_id,
                "detail": f.detail,
                "raised_on": f.raised_at.date().isoformat(),
            },
        )
        for f in qs
    ]


def _high_risk_themes(review) -> list[AgendaEntry]:
    qs = _in_scope(review, FailureTheme.objects.filter(status=FailureTheme.Status.OPEN, risk_level=RiskLevel.HIGH))
    return [
        AgendaEntry(
            K.HIGH_RISK_THEME,
            "theme",
            t.pk,
            f"High-risk theme: {t.title}",
            _url(t),
            {**_where(t), "owner": str(t.owner), "detail": t.weakness_found},
        )
        for t in qs.select_related("service", "owner").order_by("title", "pk")
    ]


def _measure_concerns(review, today: datetime.date) -> list[AgendaEntry]:
    qs = _in_scope(review, OutcomeMeasure.objects.filter(action__in=RecoveryAction.objects.open()))
    qs = qs.select_related("service", "action").prefetch_related(
        Prefetch("points", queryset=DataPoint.objects.order_by("period_date", "pk"))
    )
    entries = []
    for m in qs.order_by("pk"):
        summary = summarise(m, list(m.points.all()))
        concern = summary.spc.variation == "concern"
        if summary.state != OutcomeMeasure.State.OFF_TRACK and not concern:
            continue
        reasons = []
        if summary.state == OutcomeMeasure.State.OFF_TRACK:
            reasons.append("off track against its target")
        if concern:
            reasons.append("a special-cause concern signal")
        latest = summary.latest
        entries.append(
            AgendaEntry(
                K.MEASURE_CONCERN,
                "measure",
                m.pk,
                f"Measure: {m.name}",
                _url(m),
                {
                    **_where(m),
                    "action_id": m.action_id,
                    "action": m.action.title,
                    "state": summary.state_label,
                    "variation": summary.badge()["label"],
                    "latest": latest.value if latest else None,
                    "latest_on": latest.period_date.isoformat() if latest else "",
                    "target": m.target_value,
                    "unit": m.unit,
                    "detail": "Shows " + " and ".join(reasons) + ".",
                },
            )
        )
    return entries


def _overdue_actions(review, today: datetime.date) -> list[AgendaEntry]:
    qs = _in_scope(review, RecoveryAction.objects.overdue(today))
    return [
        AgendaEntry(
            K.OVERDUE_ACTION,
            "action",
            a.pk,
            f"Overdue action: {a.title}",
            _url(a),
            {
                **_where(a),
                "owner": str(a.owner),
                "due": a.due_date.isoformat(),
                "days_overdue": a.days_overdue(today),
                "status": a.get_status_display(),
                "detail": f"Due {a.due_date.day} {a.due_date:%b %Y}, {a.days_overdue(today)} days ago.",
            },
        )
        for a in qs.select_related("service", "owner").order_by("due_date", "pk")
    ]


def _overdue_audits(review, today: datetime.date) -> list[AgendaEntry]:
    """Audits whose period has ended but which were never submitted."""
    qs = _in_scope(review, Audit.objects.filter(status=Audit.Status.DRAFT, period_end__lt=today))
    qs = qs.select_related("service", "auditor", "template_version__template")
    return [
        AgendaEntry(
            K.OVERDUE_AUDIT,
            "audit",
            a.pk,
            f"Audit not submitted: {a.template_version.template.title}",
            _url(a),
            {
                **_where(a),
                "auditor": str(a.auditor),
                "period_end": a.period_end.isoformat(),
                "detail": f"The period ended on {a.period_end.day} {a.period_end:%b %Y}; still a draft.",
            },
        )
        for a in qs.order_by("period_end", "pk")
    ]


def _watch_themes(review, today: datetime.date) -> list[AgendaEntry]:
    watching = Q(keep_visible_override__gte=today) | Q(
        keep_visible_override__isnull=True, keep_visible_until__gte=today
    )
    qs = _in_scope(review, FailureTheme.objects.exclude(status=FailureTheme.Status.OPEN).filter(watching))
    entries = []
    for t in qs.select_related("service").order_by("title", "pk"):
        until = t.visible_until
        entries.append(
            AgendaEntry(
                K.WATCH_THEME,
                "theme",
                t.pk,
                f"Watching after closure: {t.title}",
                _url(t),
                {
                    **_where(t),
                    "until": until.isoformat(),
                    "status": t.get_status_display(),
                    "detail": f"Kept in view until {until.day} {until:%b %Y}: check the improvement is holding.",
                },
            )
        )
    return entries


def build_agenda(
    review: OversightReview, *, today: datetime.date | None = None, current_flags_only: bool = False
) -> list[AgendaEntry]:
    """What the data says this review should look at now, in meeting order.

    ``current_flags_only``: for a preview, which writes nothing, leave out open flags whose
    cause has cleared (the services re-evaluate the flags before they build the agenda).
    """
    today = today or timezone.localdate()
    overdue = _overdue_actions(review, today)
    # An overdue action comes once: as itself (owner, due date, how late), not a second time as
    # its "overdue action" flag, which the same fact raised and the same fact resolves.
    listed = {e.subject_id for e in overdue}
    flags = [
        e
        for e in _flags(review, current_flags_only, today)
        if not (
            e.snapshot.get("flag_kind") == Flag.Kind.OVERDUE_ACTION
            and e.snapshot.get("subject_type") == "action"
            and e.snapshot.get("subject_id") in listed
        )
    ]
    return [
        *_closure_proposals(review),
        *flags,
        *_high_risk_themes(review),
        *_measure_concerns(review, today),
        *overdue,
        *_overdue_audits(review, today),
        *_watch_themes(review, today),
        *_requests(review),
    ]


def discussed_subjects(items) -> tuple[set[int], set[int]]:
    """(action ids, theme ids) that agenda items were about, directly or through a measure or flag."""
    actions: set[int] = set()
    themes: set[int] = set()
    for item in items:
        if item.subject_type == "action":
            actions.add(item.subject_id)
        elif item.subject_type == "theme":
            themes.add(item.subject_id)
        elif item.subject_type == "measure" and item.snapshot.get("action_id"):
            actions.add(item.snapshot["action_id"])
        elif item.subject_type == "flag":
            kind, pk = item.snapshot.get("subject_type"), item.snapshot.get("subject_id")
            if kind == "action" and pk:
                actions.add(pk)
            elif kind == "theme" and pk:
                themes.add(pk)
    return actions, themes


# --- Requests from earlier reviews --------------------------------------------------------

REQUEST_TEXT_IN_TITLE = 80


def _requests(review) -> list[AgendaEntry]:
    """Requests and challenges addressed to someone, raised outside this meeting and not yet
    minuted in a finalised review: the next agenda shows the answer (or that it is awaited)."""
    minuted = AgendaItem.objects.filter(
        kind=K.REQUEST, subject_type="challenge", review__status=OversightReview.Status.FINALISED
    ).values("subject_id")
    qs = _in_scope(review, Challenge.objects.filter(addressed_to__isnull=False))
    qs = (
        qs.exclude(review_id=review.pk)
        .exclude(pk__in=minuted)
        .select_related("service", "raised_by", "addressed_to", "responded_by")
        .prefetch_related(Prefetch("evidence", queryset=EvidenceItem.objects.only("id", "title").order_by("pk")))
    )
    entries = []
    for c in qs.order_by("raised_at", "pk"):
        text = c.text if len(c.text) <= REQUEST_TEXT_IN_TITLE else c.text[: REQUEST_TEXT_IN_TITLE - 1] + "…"
        state = "answered" if c.is_answered else "awaiting an answer"
        due = f", due {c.due_on.day} {c.due_on:%b %Y}" if c.due_on and not c.is_answered else ""
        entries.append(
            AgendaEntry(
                K.REQUEST,
                "challenge",
                c.pk,
                f"{c.get_kind_display()} {state}: {text}",
                c.get_absolute_url(),
                {
                    **_where(c),
                    "action_id": c.action_id,
                    "asked_by": str(c.raised_by),
                    "addressed_to": str(c.addressed_to),
                    "addressed_to_id": c.addressed_to_id,
                    "response": c.response,
                    "responded_by": str(c.responded_by) if c.responded_by_id else "",
                    "evidence": [e.title for e in c.evidence.all()],
                    "detail": f"Asked by {c.raised_by} of {c.addressed_to}{due}."
                    + (f" Answer from {c.responded_by}: {c.response}" if c.is_answered else ""),
                },
            )
        )
    return entries


# --- Who owns an item (they do not give the assurance decision on it) ----------------------


def item_owner_ids(items) -> dict[int, set[int]]:
    """For each agenda item, the people who own what it is about: the action's or theme's
    owner (directly, through a measure or a flag), whoever must answer a request, and whoever
    added an item by hand. At most three queries for any number of items."""
    items = list(items)
    action_of: dict[int, int] = {}
    theme_of: dict[int, int] = {}
    measure_of: dict[int, int] = {}
    owners: dict[int, set[int]] = {i.pk: set() for i in items}
    for i in items:
        if i.added_by_id:
            owners[i.pk].add(i.added_by_id)
        subject_type, subject_id = i.subject_type, i.subject_id
        if subject_type == "flag":
            subject_type, subject_id = i.snapshot.get("subject_type"), i.snapshot.get("subject_id")
        if subject_type == "action" and subject_id:
            action_of[i.pk] = subject_id
        elif subject_type == "theme" and subject_id:
            theme_of[i.pk] = subject_id
        elif subject_type == "measure" and subject_id:
            if i.snapshot.get("action_id"):
                action_of[i.pk] = i.snapshot["action_id"]
            else:
                measure_of[i.pk] = subject_id
        elif subject_type == "challenge" and i.snapshot.get("addressed_to_id"):
            owners[i.pk].add(i.snapshot["addressed_to_id"])
    if measure_of:
        measures = dict(OutcomeMeasure.objects.filter(pk__in=set(measure_of.values())).values_list("pk", "action_id"))
        for item_pk, measure_pk in measure_of.items():
            if measures.get(measure_pk):
                action_of[item_pk] = measures[measure_pk]
    if action_of:
        action_owner = dict(RecoveryAction.objects.filter(pk__in=set(action_of.values())).values_list("pk", "owner_id"))
        for item_pk, action_pk in action_of.items():
            if action_owner.get(action_pk):
                owners[item_pk].add(action_owner[action_pk])
    if theme_of:
        theme_owner = dict(FailureTheme.objects.filter(pk__in=set(theme_of.values())).values_list("pk", "owner_id"))
        for item_pk, theme_pk in theme_of.items():
            if theme_owner.get(theme_pk):
                owners[item_pk].add(theme_owner[theme_pk])
    return owners
