"""Reads for oversight reviews, the governance calendar, the ICS feed and the closure queue.

Every list starts from ``policy.objects_for`` so a person sees only reviews of services and
providers they belong to; query counts stay flat however many reviews there are.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core import permissions as policy
from core.models import Provider, Service
from evidence.models import EvidenceItem, Nature
from governance.models import (
    AgendaItem,
    Challenge,
    OversightReview,
    ReviewActionArising,
    ReviewAttendance,
    ReviewSeries,
    ReviewTransition,
)
from governance.reviews.agenda import AgendaEntry, build_agenda, item_owner_ids
from governance.reviews.models import CalendarFeed
from recovery.closure.conditions import Checklist, evaluate
from recovery.measures.measuring import MeasureSummary, summarise
from recovery.models import DataPoint, RecoveryAction
from recovery.plan.selectors import actions_awaiting_decision, awaiting_decision_count_at

R = OversightReview.Status
ICS_SALT = "governance.reviews.ics-feed"


# --- Reviews ------------------------------------------------------------------------------


def _base() -> QuerySet[OversightReview]:
    return OversightReview.objects.select_related("provider", "service", "chair")


def reviews_for(user) -> QuerySet[OversightReview]:
    """Every review the user may see."""
    return policy.objects_for(user, _base())


def reviews_for_service(user, service: Service) -> QuerySet[OversightReview]:
    return reviews_for(user).filter(service=service)


def reviews_for_provider(user, provider: Provider) -> QuerySet[OversightReview]:
    """Every review of the provider the user may see: those across the provider and each
    service's own (one query, however many services and reviews)."""
    return reviews_for(user).filter(provider=provider)


def series_for(user, *, provider: Provider, service: Service | None = None) -> list[ReviewSeries]:
    """Active recurring series of the provider (all of them) or of one service (its own and the
    provider's), one query."""
    qs = policy.objects_for(user, ReviewSeries.objects.select_related("service", "chair")).filter(
        provider=provider, active=True
    )
    if service is not None:
        qs = qs.filter(Q(service=service) | Q(service__isnull=True))
    return list(qs.order_by("title", "pk"))


def series_get(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> ReviewSeries:
    return policy.get_or_404(user, ReviewSeries.objects.select_related("provider", "service"), verb, pk=pk)


def split_upcoming(reviews, *, now: datetime.datetime | None = None) -> dict[str, list[OversightReview]]:
    """Upcoming (soonest first), overdue (scheduled in the past, never held) and past (newest first)."""
    now = now or timezone.now()
    upcoming, overdue, past = [], [], []
    for r in reviews:
        if r.status == R.SCHEDULED and r.scheduled_for < now:
            overdue.append(r)
        elif r.status in (R.SCHEDULED, R.IN_PROGRESS):
            upcoming.append(r)
        else:
            past.append(r)
    upcoming.sort(key=lambda r: r.scheduled_for)
    overdue.sort(key=lambda r: r.scheduled_for)
    past.sort(key=lambda r: r.scheduled_for, reverse=True)
    return {"upcoming": upcoming, "overdue": overdue, "past": past}


def is_overdue(review: OversightReview, now: datetime.datetime | None = None) -> bool:
    return review.status == R.SCHEDULED and review.scheduled_for < (now or timezone.now())


def review_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> OversightReview:
    qs = _base().select_related("finalised_by", "minutes_evidence", "cancelled_by", "series")
    return policy.get_or_404(user, qs, verb, pk=pk)


def agenda_item_for(user, pk: int, verb: policy.Verb = policy.Verb.VIEW) -> AgendaItem:
    """An agenda item, scoped through its review."""
    return policy.get_through_or_404(user, AgendaItem.objects.all(), "review", verb, pk=pk)


def challenge_for(user, pk: int) -> Challenge:
    qs = Challenge.objects.select_related(
        "review", "action", "agenda_item", "raised_by", "addressed_to", "responded_by", "service", "provider"
    )
    return policy.get_or_404(user, qs, pk=pk)


def answer_evidence(challenge: Challenge) -> QuerySet[EvidenceItem]:
    """Evidence an answer may point to: current items of the request's service (or, for a
    request across the provider, the provider's own)."""
    qs = EvidenceItem.objects.current().filter(provider_id=challenge.provider_id)
    if challenge.service_id is not None:
        qs = qs.filter(Q(service_id=challenge.service_id) | Q(service__isnull=True))
    else:
        qs = qs.filter(service__isnull=True)
    return qs.order_by("-refers_to", "-pk")


def requests_addressed_to(user) -> dict[str, list[Challenge]]:
    """The requests addressed to ``user``: waiting (soonest due first) and the last answered."""
    qs = policy.objects_for(user, Challenge.objects.filter(addressed_to=user)).select_related(
        "service", "raised_by", "review", "action", "responded_by"
    )
    waiting = list(qs.filter(responded_at__isnull=True).order_by("due_on", "raised_at", "pk"))
    answered = list(qs.filter(responded_at__isnull=False).order_by("-responded_at", "-pk")[:20])
    return {"waiting": waiting, "answered": answered}


def requests_raised_by(user) -> list[Challenge]:
    """Requests ``user`` addressed to someone else, newest first (the last 20)."""
    qs = policy.objects_for(user, Challenge.objects.filter(raised_by=user, addressed_to__isnull=False))
    return list(qs.select_related("service", "addressed_to", "responded_by").order_by("-raised_at", "-pk")[:20])


def _items_with_records() -> Prefetch:
    return Prefetch(
        "agenda_items",
        queryset=AgendaItem.objects.select_related("decided_by", "added_by")
        .prefetch_related(
            Prefetch(
                "challenges",
                queryset=Challenge.objects.select_related("raised_by", "responded_by", "addressed_to").prefetch_related(
                    "evidence"
                ),
            ),
            Prefetch("actions_arising", queryset=ReviewActionArising.objects.select_related("owner")),
        )
        .order_by("order", "pk"),
        to_attr="items",
    )


def review_page(user, review: OversightReview) -> dict:
    """The agenda (saved items, or the live preview before the agenda is fixed), actions arising
    and amendments. A person with access to one service sees only that service's items of a
    review across the provider."""
    review = OversightReview.objects.prefetch_related(
        _items_with_records(),
        Prefetch("actions_arising", queryset=ReviewActionArising.objects.select_related("owner", "agenda_item")),
        "amendments__amended_by",
        "attendees",
        Prefetch("attendance", queryset=ReviewAttendance.objects.select_related("person")),
        Prefetch("transitions", queryset=ReviewTransition.objects.select_related("actor")),
    ).get(pk=review.pk)
    visible_services = set(policy.services(user).filter(provider_id=review.provider_id).values_list("pk", flat=True))

    def visible(entry) -> bool:
        service_id = entry.snapshot.get("service_id")
        return service_id is None or service_id in visible_services

    items = [i for i in review.items if visible(i)]
    preview: list[AgendaEntry] = []
    hand = (AgendaItem.Kind.OTHER, AgendaItem.Kind.THEME_SUMMARY)
    if review.status == R.SCHEDULED and all(i.kind in hand for i in review.items):
        # Before the agenda is fixed: the live one, then whatever was added by hand.
        preview = [e for e in build_agenda(review, current_flags_only=True) if visible(e)]
    owners = item_owner_ids(items)
    for item in items:
        item.own_item = user.pk in owners.get(item.pk, set())
    attendees = list(review.attendees.all())
    recorded = {a.person_id: a for a in review.attendance.all()}
    invited = [review.chair, *[p for p in attendees if p.pk != review.chair_id]]
    return {
        "items": items,
        "preview": preview,
        "actions_arising": list(review.actions_arising.all()),
        "amendments": list(review.amendments.all()),
        "attendees": attendees,
        "attendance": [(person, recorded.get(person.pk)) for person in invited],
        "transitions": _with_times(review.transitions.all()),
        "decided": sum(1 for i in items if i.decision),
    }


def _with_times(transitions) -> list[ReviewTransition]:
    """Each move's old and new times as datetimes (``moved_from``, ``moved_to``) for the page."""
    rows = list(transitions)
    for t in rows:
        t.moved_from = t.moved_to = None
        if t.snapshot.get("from") and t.snapshot.get("to"):
            t.moved_from = datetime.datetime.fromisoformat(t.snapshot["from"])
            t.moved_to = datetime.datetime.fromisoformat(t.snapshot["to"])
    return rows


def agenda_counts(user, review: OversightReview) -> tuple[int, int]:
    """(decided, total) of the agenda items this person sees: the live counter (one query, plus
    one for the person's services)."""
    visible_services = set(policy.services(user).filter(provider_id=review.provider_id).values_list("pk", flat=True))
    rows = review.agenda_items.values_list("decision", "snapshot")
    seen = [d for d, snap in rows if (snap or {}).get("service_id") in (None, *visible_services)]
    return sum(1 for d in seen if d), len(seen)


def next_review(user, service: Service) -> OversightReview | None:
    """The next scheduled review of this service (or across its provider)."""
    qs = reviews_for(user).filter(
        Q(service=service) | Q(provider_id=service.provider_id, service__isnull=True),
        status__in=[R.SCHEDULED, R.IN_PROGRESS],
        scheduled_for__gte=timezone.now() - datetime.timedelta(hours=12),
    )
    return qs.order_by("scheduled_for").first()


def next_review_and_overdue(user, service: Service) -> tuple[OversightReview | None, int]:
    """``next_review`` and ``overdue_count`` for the service page, in one query.

    The rows are the upcoming reviews and the overdue ones together: the next review is the
    first upcoming row, and the overdue count a window count over the same rows (so it is there
    whether or not a review is coming up). Only what the panel shows of the review is loaded.
    """
    now = timezone.now()
    upcoming = (Q(service=service) | Q(provider_id=service.provider_id, service__isnull=True)) & Q(
        status__in=[R.SCHEDULED, R.IN_PROGRESS], scheduled_for__gte=now - datetime.timedelta(hours=12)
    )
    overdue = Q(service=service, status=R.SCHEDULED, scheduled_for__lt=now)
    first = (
        reviews_for(user)
        .select_related(None)
        .select_related("chair")
        .only(*_PANEL_REVIEW_FIELDS)
        .filter(upcoming | overdue)
        .annotate(
            is_next=Case(When(upcoming, then=Value(True)), default=Value(False), output_field=BooleanField()),
            overdue_n=Window(Count("pk", filter=overdue)),
        )
        .order_by("-is_next", "scheduled_for", "pk")
        .first()
    )
    if first is None:
        return None, 0
    return (first if first.is_next else None), first.overdue_n


# What the "Next review" panel shows of a review (governance/reviews/_panel_next.html).
_PANEL_REVIEW_FIELDS = (
    "id",
    "provider_id",
    "service_id",
    "title",
    "scheduled_for",
    "status",
    "chair__id",
    "chair__first_name",
    "chair__last_name",
    "chair__email",
)


def closure_queue_count(user, service: Service) -> int:
    """Closure proposals at ``service`` awaiting this user's decision (never their own), one query."""
    return awaiting_decision_count_at(user, service)


def overdue_count(user, service: Service) -> int:
    return reviews_for_service(user, service).filter(status=R.SCHEDULED, scheduled_for__lt=timezone.now()).count()


# --- The calendar -------------------------------------------------------------------------


@dataclass
class CalendarDay:
    date: datetime.date
    in_month: bool
    reviews: list[OversightReview]


# Months the calendar shows: a wider window than forms accept (core.forms.plausible_window),
# so every review that could be typed is reachable, and far from datetime's limits (the grid
# runs a week either side, and year 1 or 9999 would overflow).
CALENDAR_YEARS = range(1900, 2201)


def parse_month(value: str | None, today: datetime.date) -> datetime.date:
    """The first day of ``YYYY-MM`` (this month when missing, malformed or out of range)."""
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        if year not in CALENDAR_YEARS:
            raise ValueError(year)
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def calendar_month(user, first: datetime.date) -> dict:
    """Weeks (Monday first) of the month with each day's reviews, and the month as a list."""
    tz = timezone.get_current_timezone()
    cal = pycalendar.Calendar(firstweekday=0)
    weeks_dates = cal.monthdatescalendar(first.year, first.month)
    start = datetime.datetime.combine(weeks_dates[0][0], datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(weeks_dates[-1][-1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    reviews = list(
        reviews_for(user).filter(scheduled_for__gte=start, scheduled_for__lt=end).order_by("scheduled_for", "pk")
    )
    by_day: dict[datetime.date, list[OversightReview]] = {}
    for r in reviews:
        by_day.setdefault(timezone.localtime(r.scheduled_for).date(), []).append(r)
    weeks = [[CalendarDay(d, d.month == first.month, by_day.get(d, [])) for d in week] for week in weeks_dates]
    in_month = [r for r in reviews if timezone.localtime(r.scheduled_for).date().month == first.month]
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return {"weeks": weeks, "reviews": in_month, "month": first, "previous": previous, "following": following}


# --- The ICS feed -------------------------------------------------------------------------


def _feed_secret(user) -> tuple[str, bool]:
    """The user's feed secret and whether the feed is revoked (no row: empty, live)."""
    try:
        feed = user.calendar_feed
    except CalendarFeed.DoesNotExist:
        return "", False
    return feed.secret, feed.revoked


def _feed_mac(user, secret: str) -> str:
    # The password hash is in the message: a password change (or reset) stops every old address.
    return salted_hmac(ICS_SALT, f"{user.pk}:{secret}:{user.password}", algorithm="sha256").hexdigest()


def ics_token(user) -> str | None:
    """The secret part of the user's calendar feed URL (calendar apps cannot sign in), or None
    when they have revoked their feed. Renewing, revoking or a password change changes it."""
    secret, revoked = _feed_secret(user)
    if revoked:
        return None
    return f"{user.pk}-{_feed_mac(user, secret)}"


def user_for_ics_token(token: str):
    """The active user a feed token belongs to, or None."""
    pk, _, mac = token.partition("-")
    if not pk.isdigit() or not mac or len(pk) > 18:
        return None
    user = get_user_model().objects.filter(pk=int(pk), is_active=True).select_related("calendar_feed").first()
    if user is None:
        return None
    secret, revoked = _feed_secret(user)
    if revoked or not constant_time_compare(mac, _feed_mac(user, secret)):
        return None
    return user


def ics_reviews(user, *, now: datetime.datetime | None = None) -> list[OversightReview]:
    """Reviews for the feed: the last six months and everything ahead."""
    since = (now or timezone.now()) - datetime.timedelta(days=183)
    return list(reviews_for(user).filter(scheduled_for__gte=since).order_by("scheduled_for", "pk"))


# --- The closure queue --------------------------------------------------------------------


# Proposals per page of the closure queue.
QUEUE_PER_PAGE = 25


def closure_queue_ids(user) -> list[int]:
    """The ids of the proposals this user may decide, oldest first: the queue's order, for
    paging and for "3 of 200" and "next proposal" on the review screen (one narrow query)."""
    return list(actions_awaiting_decision(user).select_related(None).values_list("pk", flat=True))


def _with_evidence_counts(qs: QuerySet[RecoveryAction]) -> QuerySet[RecoveryAction]:
    """Evidence counts as correlated subqueries (an index lookup per proposal) rather than a
    join and GROUP BY over every selected column."""
    links = RecoveryAction.evidence.through.objects.filter(
        recoveryaction_id=OuterRef("pk"), evidenceitem__removed_at__isnull=True
    )
    return qs.annotate(
        evidence_impact=_count(links.filter(evidenceitem__nature=Nature.IMPACT)),
        evidence_total=_count(links),
    )


def closure_queue(user) -> list[RecoveryAction]:
    """Proposals this user may decide, oldest first, with evidence counts (one query)."""
    return list(_with_evidence_counts(actions_awaiting_decision(user)).order_by("proposed_at", "pk"))


def closure_queue_page(user, page: int | str | None = 1, *, per_page: int | None = None) -> tuple[Page, list[int]]:
    """One page of the queue (with evidence counts) and the ids of the whole queue (two queries).

    The page's ``object_list`` holds the actions of that page only; the id list gives the
    total and where "Start with the oldest" goes.
    """
    ids = closure_queue_ids(user)
    page_obj = Paginator(ids, per_page or QUEUE_PER_PAGE).get_page(page)
    shown = {
        a.pk: a
        for a in _with_evidence_counts(
            RecoveryAction.objects.filter(pk__in=list(page_obj.object_list)).select_related(
                "theme", "service", "proposed_by"
            )
        )
    }
    page_obj.object_list = [shown[pk] for pk in page_obj.object_list if pk in shown]
    return page_obj, ids


def _count(qs: QuerySet) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().values("recoveryaction_id").annotate(n=Count("pk")).values("n")[:1]), 0)


def relative_to_start(day: datetime.date, started_on: datetime.date | None) -> tuple[str, bool]:
    """("12 days after start", False) or ("before the action started", True)."""
    if started_on is None:
        return "the action has no start date", False
    days = (day - started_on).days
    if days < 0:
        n = -days
        return f"before the action started ({n} day{'s' if n != 1 else ''} before)", True
    if days == 0:
        return "on the day the action started", False
    return f"{days} day{'s' if days != 1 else ''} after start", False


@dataclass
class EvidenceRow:
    item: EvidenceItem
    relative: str
    before_start: bool


@dataclass
class Proposal:
    action: RecoveryAction
    measures: list[MeasureSummary]
    impact: list[EvidenceRow]
    activity: list[EvidenceRow]
    steps: list
    challenges: list[Challenge]
    transitions: list
    checklist: Checklist | None = None


def proposal_for(action: RecoveryAction) -> Proposal:
    """What the decider needs on one proposal, in a fixed number of queries."""
    today = timezone.localdate()
    measures = [
        summarise(m, list(m.points.all()), today=today)
        for m in action.measures.prefetch_related(
            Prefetch("points", queryset=DataPoint.objects.order_by("period_date", "pk"))
        ).order_by("pk")
    ]
    impact, activity = [], []
    for item in action.evidence.current().order_by("refers_to", "pk"):
        label, before = relative_to_start(item.refers_to, action.started_on)
        (impact if item.nature == Nature.IMPACT else activity).append(EvidenceRow(item, label, before))
    steps = list(action.steps.select_related("done_by", "owner").order_by("order", "pk"))
    transitions = list(action.transitions.select_related("actor").order_by("at", "pk"))
    checklist = evaluate(
        action,
        steps=steps,
        evidence=[row.item for row in impact + activity],
        measures=[(m.measure, m.points) for m in measures],
        transitions=transitions,
    )
    return Proposal(
        action=action,
        measures=measures,
        impact=impact,
        activity=activity,
        steps=steps,
        challenges=list(
            Challenge.objects.filter(action=action).select_related(
                "raised_by", "responded_by", "review", "addressed_to"
            )
        ),
        transitions=transitions,
        checklist=checklist,
    )


def queue_position(queue: list[RecoveryAction] | list[int], pk: int) -> tuple[int | None, int | None, int | None]:
    """(1-based position of ``pk``, previous pk, next pk) in the queue (actions or their ids)."""
    ids = [a if isinstance(a, int) else a.pk for a in queue]
    if pk not in ids:
        return None, None, None
    i = ids.index(pk)
    return i + 1, ids[i - 1] if i > 0 else None, ids[i + 1] if i + 1 < len(ids) else None


def next_after(queue_ids: list[int], pk: int, remaining: set[int]) -> int | None:
    """After deciding ``pk``: the next proposal still waiting, going on from where you were."""
    if pk in queue_ids:
        i = queue_ids.index(pk)
        ordered = queue_ids[i + 1 :] + queue_ids[:i]
    else:
        ordered = queue_ids
    return next((q for q in ordered if q in remaining and q != pk), None)
