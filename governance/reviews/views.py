"""Oversight review pages: lists, scheduling, the meeting page (htmx per agenda item), amendments,
the governance calendar (month grid and list) and each person's ICS feed."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from icalendar import Calendar, Event

from core import permissions as policy
from core import selectors as core_selectors
from core.access import AccessKind, records_access
from core.models import Provider
from core.views import button, form_page, redrawn_status, saved
from governance.models import AgendaItem, Challenge, OversightReview, ReviewActionArising
from governance.reviews import feed
from governance.reviews import selectors as selectors
from governance.reviews import services as services
from governance.reviews.forms import (
    ActionArisingForm,
    AmendForm,
    AnswerForm,
    AttendanceForm,
    ChallengeForm,
    DecisionForm,
    FinaliseForm,
    ItemAddForm,
    ReasonForm,
    ResponseForm,
    ReviewEditForm,
    ReviewForm,
    SeriesForm,
)
from recovery.closure.conditions import closure_checklists
from recovery.closure.forms import ClosureDecisionForm
from recovery.closure.services import can_decide
from recovery.models import RecoveryAction

V = policy.Verb


def _detail_url(review, anchor: str = "") -> str:
    return reverse("governance:review_detail", kwargs={"pk": review.pk}) + (f"#{anchor}" if anchor else "")


# --- Lists and scheduling -----------------------------------------------------------------


@login_required
@records_access(AccessKind.PAGE, label="Oversight reviews")
def review_list(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service)
    reviews = selectors.reviews_for_service(request.user, service_obj)
    return render(
        request,
        "governance/reviews/list.html",
        {
            "scope": service_obj,
            "service": service_obj,
            "provider": service_obj.provider,
            "groups": selectors.split_upcoming(reviews),
            "series": selectors.series_for(request.user, provider=service_obj.provider, service=service_obj),
            "can_schedule": policy.can(request.user, V.RUN_REVIEW, service_obj),
            "create_url": reverse("governance:review_create", kwargs={"service": service_obj.slug}),
            "series_url": reverse("governance:series_create", kwargs={"service": service_obj.slug}),
        },
    )


@login_required
@records_access(AccessKind.PAGE, label="Oversight reviews")
def provider_review_list(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    reviews = selectors.reviews_for_provider(request.user, provider_obj)
    return render(
        request,
        "governance/reviews/list.html",
        {
            "scope": provider_obj,
            "provider": provider_obj,
            "groups": selectors.split_upcoming(reviews),
            "series": selectors.series_for(request.user, provider=provider_obj),
            "can_schedule": policy.can(request.user, V.RUN_REVIEW, provider_obj),
            "create_url": reverse("governance:provider_review_create", kwargs={"provider": provider_obj.slug}),
            "series_url": reverse("governance:provider_series_create", kwargs={"provider": provider_obj.slug}),
        },
    )


def _create(request, provider, service):
    scope = service or provider
    people = policy.users_with(V.VIEW, scope).order_by("first_name", "last_name", "pk")
    default_kind = OversightReview.Kind.WEEKLY_SERVICE if service else OversightReview.Kind.QUARTERLY_PROVIDER
    if request.method == "POST":
        form = ReviewForm(request.POST, people=people)
    else:
        form = ReviewForm(people=people, initial={"kind": default_kind, "chair": request.user.pk})
    return form_page(
        request,
        form,
        save=lambda data: services.review_create(actor=request.user, provider=provider, service=service, **data),
        success=lambda review: saved(request, f"{review.title} is scheduled.", review),
        render=lambda: render(
            request,
            "governance/reviews/form.html",
            {"form": form, "scope": scope, "service": service, "provider": provider},
        ),
    )


@login_required
def review_create(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service, V.RUN_REVIEW)
    return _create(request, service_obj.provider, service_obj)


@login_required
def provider_review_create(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), V.RUN_REVIEW, slug=provider)
    return _create(request, provider_obj, None)


# --- The meeting page ---------------------------------------------------------------------


def _people(review):
    return policy.users_with(V.VIEW, review).order_by("first_name", "last_name", "pk")


def _item(pk: int) -> AgendaItem:
    return (
        AgendaItem.objects.select_related("review", "decided_by", "added_by")
        .prefetch_related(
            Prefetch(
                "challenges",
                queryset=Challenge.objects.select_related("raised_by", "responded_by", "addressed_to").prefetch_related(
                    "evidence"
                ),
            ),
            Prefetch("actions_arising", queryset=ReviewActionArising.objects.select_related("owner")),
        )
        .get(pk=pk)
    )


def _mark_closure_deciders(user, items) -> None:
    """Set ``item.can_decide_closure`` on each item: a closure proposal this person may decide
    here, with the one closure form (one query for all the items)."""
    items = list(items)
    ids = [i.subject_id for i in items if i.kind == AgendaItem.Kind.CLOSURE_PROPOSAL and i.subject_type == "action"]
    proposed = {
        a.pk: a for a in RecoveryAction.objects.filter(pk__in=ids, status=RecoveryAction.Status.CLOSURE_PROPOSED)
    }
    checklists = closure_checklists(list(proposed.values())) if proposed else {}
    for item in items:
        action = proposed.get(item.subject_id) if item.kind == AgendaItem.Kind.CLOSURE_PROPOSAL else None
        item.can_decide_closure = action is not None and can_decide(user, action)
        item.closure_checklist = checklists.get(action.pk) if action is not None else None


def _permissions(user, review) -> dict:
    return {
        "can_run": policy.can(user, V.RUN_REVIEW, review),
        "can_challenge": policy.can(user, V.CHALLENGE, review),
        "locked": review.status in (OversightReview.Status.FINALISED, OversightReview.Status.CANCELLED),
        "started": review.status == OversightReview.Status.IN_PROGRESS,
    }


def _render_detail(request, review, *, action_form=None, finalise_form=None, item_form=None, status=200):
    page = selectors.review_page(request.user, review)
    _mark_closure_deciders(request.user, page["items"])
    perms = _permissions(request.user, review)
    if action_form is None and perms["can_run"]:
        action_form = ActionArisingForm(
            people=_people(review), items=review.agenda_items.order_by("order", "pk"), prefix="arising"
        )
    if finalise_form is None:
        finalise_form = FinaliseForm(initial={"summary": review.summary})
    people = _people(review) if perms["can_challenge"] and not perms["locked"] else None
    context = {
        "review": review,
        **page,
        **perms,
        "overdue": selectors.is_overdue(review),
        "action_form": action_form,
        "finalise_form": finalise_form,
        "item_form": item_form or ItemAddForm(prefix="item"),
        "attendance_form": AttendanceForm(),
        "challenge_form": ChallengeForm(people=people),
        "decision_form": DecisionForm(),
        "closure_form": ClosureDecisionForm(),
        "response_form": ResponseForm(),
        "own_item_message": services.OWN_ITEM_MESSAGE,
        "history": core_selectors.history_for(review),
    }
    return render(request, "governance/reviews/detail.html", context, status=status)


@login_required
@records_access(AccessKind.PAGE, label="Oversight review")
def review_detail(request, pk: int):
    review = selectors.review_for(request.user, pk)
    return _render_detail(request, review)


def _agenda_button(request, pk: int, call, done: str):
    """A chair's button above the agenda: call the service, then back to the agenda."""
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    return button(
        request, lambda: call(actor=request.user, review=review), done=done, to=_detail_url(review, "agenda-heading")
    )


@login_required
def review_edit(request, pk: int):
    """Change a scheduled meeting's details; a new date or time is recorded as a move."""
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    people = _people(review)
    if request.method == "POST":
        form = ReviewEditForm(request.POST, people=people)
    else:
        form = ReviewEditForm(
            people=people,
            initial={
                "kind": review.kind,
                "title": review.title,
                "scheduled_for": timezone.localtime(review.scheduled_for).replace(tzinfo=None),
                "duration_minutes": review.duration_minutes,
                "location": review.location,
                "chair": review.chair_id,
                "attendees": list(review.attendees.values_list("pk", flat=True)),
            },
        )
    return form_page(
        request,
        form,
        save=lambda data: services.review_update(actor=request.user, review=review, **data),
        success=lambda r: saved(request, f"{r.title} is updated.", r),
        render=lambda: render(
            request,
            "governance/reviews/edit.html",
            {"form": form, "review": review},
            status=redrawn_status(request),
        ),
    )


@login_required
def review_cancel(request, pk: int):
    """Cancel a meeting that will not be held, with the reason; it stays on the record."""
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    form = ReasonForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda data: services.review_cancel(actor=request.user, review=review, **data),
        success=lambda r: saved(request, f"{r.title} is cancelled. The reason is kept on its record.", r),
        render=lambda: render(
            request,
            "governance/reviews/reason.html",
            {
                "form": form,
                "review": review,
                "heading": f"Cancel {review.title}",
                "intro": "The meeting stays on the record as cancelled, with the reason you give.",
                "submit": "Cancel the meeting",
                "back": review.get_absolute_url(),
            },
            status=redrawn_status(request),
        ),
    )


@login_required
@require_POST
def item_add(request, pk: int):
    """Other business or a theme summary, added to the agenda by hand."""
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    form = ItemAddForm(request.POST, prefix="item")
    return form_page(
        request,
        form,
        save=lambda data: services.item_add(actor=request.user, review=review, **data),
        success=lambda item: saved(
            request, f"“{item.title}” is on the agenda.", _detail_url(review, f"item-{item.pk}")
        ),
        render=lambda: _render_detail(request, review, item_form=form, status=400),
    )


@login_required
@require_POST
def attendance_record(request, pk: int, person: int):
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    who = policy.users_with(V.VIEW, review).filter(pk=person).first()
    if who is None:
        raise Http404("Not found")
    form = AttendanceForm(request.POST)
    return button(
        request,
        lambda: services.attendance_record(
            actor=request.user,
            review=review,
            person=who,
            status=form.cleaned_data["attendance"] if form.is_valid() else "",
        ),
        done=f"Attendance recorded for {who}.",
        to=_detail_url(review, "attendance-heading"),
    )


@login_required
@require_POST
def review_start(request, pk: int):
    done = "The meeting has started. The agenda is fixed from the data as it stands now."
    return _agenda_button(request, pk, services.review_start, done)


@login_required
@require_POST
def agenda_refresh(request, pk: int):
    done = "The agenda is up to date. Items the meeting recorded on are kept."
    return _agenda_button(request, pk, services.agenda_refresh, done)


def _item_response(
    request, item: AgendaItem, *, challenge_form=None, decision_form=None, closure_form=None, note: str = ""
):
    """The item's card for htmx, or back to the meeting page at that item."""
    if not request.htmx:
        if note:
            messages.success(request, note)
        return redirect(_detail_url(item.review, f"item-{item.pk}"))
    review = item.review
    item = _item(item.pk)
    _mark_closure_deciders(request.user, [item])
    item.own_item = services.owns_item(request.user, item)
    perms = _permissions(request.user, review)
    decided, total = selectors.agenda_counts(request.user, review)
    people = _people(review) if perms["can_challenge"] and not perms["locked"] else None
    if challenge_form is not None:  # drawn again with its errors: offer the review's people only
        challenge_form.fields["addressed_to"].queryset = people if people is not None else _people(review).none()
    context = {
        "item": item,
        "review": review,
        **perms,
        "challenge_form": challenge_form or ChallengeForm(people=people),
        "decision_form": decision_form or DecisionForm(),
        "closure_form": closure_form or ClosureDecisionForm(),
        "response_form": ResponseForm(),
        "own_item_message": services.OWN_ITEM_MESSAGE,
        "note": note,
        "counter": {"decided": decided, "total": total},
    }
    return render(request, "governance/reviews/_item.html", context)


def _errors_response(request, item, note, **forms):
    if request.htmx:
        return _item_response(request, item, **forms)
    form = next(iter(forms.values()))
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs) or note)
    return redirect(_detail_url(item.review, f"item-{item.pk}"))


def _on_item(request, pk: int, verb, form_name: str, form_class, record, *, done, not_done: str):
    """Something the meeting records on one agenda item (a challenge, a decision): the item's
    card again for htmx, or back to the meeting page at that item. ``done`` says what was
    recorded, from the form's data."""
    item = selectors.agenda_item_for(request.user, pk, verb)
    form = form_class(request.POST)
    return form_page(
        request,
        form,
        save=lambda data: record(actor=request.user, item=item, **data),
        success=lambda _: _item_response(request, item, note=done(form.cleaned_data)),
        render=lambda: _errors_response(request, item, not_done, **{form_name: form}),
    )


@login_required
@require_POST
def item_challenge(request, pk: int):
    return _on_item(
        request,
        pk,
        V.CHALLENGE,
        "challenge_form",
        ChallengeForm,
        services.item_challenge,
        done=lambda _: "Your challenge is recorded.",
        not_done="The challenge was not recorded.",
    )


@login_required
@require_POST
def challenge_respond(request, pk: int):
    challenge = selectors.challenge_for(request.user, pk)
    form = ResponseForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.challenge_respond(actor=request.user, challenge=challenge, **form.cleaned_data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Write the response given."
    if challenge.agenda_item_id:
        item = challenge.agenda_item
        item.review = challenge.review
        if error and not request.htmx:
            messages.error(request, error)
            return redirect(_detail_url(item.review, f"item-{item.pk}"))
        return _item_response(request, item, note=error or "The response is recorded.")
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "The response is recorded.")
    return redirect(challenge.action.get_absolute_url())


@login_required
@require_POST
def item_decide(request, pk: int):
    return _on_item(
        request,
        pk,
        V.RUN_REVIEW,
        "decision_form",
        DecisionForm,
        services.item_decide,
        done=lambda _: "The decision is recorded.",
        not_done="The decision was not recorded.",
    )


@login_required
@require_POST
def item_decide_closure(request, pk: int):
    """A closure proposal decided in the meeting, with the same form as everywhere else."""
    return _on_item(
        request,
        pk,
        V.RUN_REVIEW,
        "closure_form",
        ClosureDecisionForm,
        services.item_decide_closure,
        done=lambda data: f"Closure {_approved_or_refused(data)}; the decision is recorded on this item.",
        not_done="The closure decision was not recorded.",
    )


def _approved_or_refused(data: dict) -> str:
    return "approved" if data["decision"] == ClosureDecisionForm.APPROVE else "refused"


@login_required
@require_POST
def review_action_add(request, pk: int):
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    form = ActionArisingForm(
        request.POST, people=_people(review), items=review.agenda_items.order_by("order", "pk"), prefix="arising"
    )

    def added(arising):
        note = "The action is recorded."
        if arising.recovery_action_id:
            note += " A draft action was added to the recovery plan."
        return saved(request, note, _detail_url(review, "actions-heading"))

    return form_page(
        request,
        form,
        save=lambda data: services.review_action_add(actor=request.user, review=review, **data),
        success=added,
        render=lambda: _render_detail(request, review, action_form=form),
    )


@login_required
@require_POST
def review_finalise(request, pk: int):
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    form = FinaliseForm(request.POST)
    return form_page(
        request,
        form,
        save=lambda data: services.review_finalise(actor=request.user, review=review, **data),
        success=lambda _: saved(
            request, "The minutes are final and kept as evidence, linked to the actions and themes discussed.", review
        ),
        render=lambda: _render_detail(request, review, finalise_form=form),
    )


@login_required
def review_amend(request, pk: int):
    review = selectors.review_for(request.user, pk, V.RUN_REVIEW)
    if review.status != OversightReview.Status.FINALISED:
        messages.info(request, "These minutes are not final yet: change them on the meeting page.")
        return redirect(review)
    items = review.agenda_items.order_by("order", "pk")
    if request.method == "POST":
        form = AmendForm(request.POST, items=items)
    else:
        form = AmendForm(items=items, initial={"summary": review.summary})
    return form_page(
        request,
        form,
        save=lambda data: services.review_amend(
            actor=request.user,
            review=review,
            reason=data["reason"],
            summary=data["summary"] or None,
            item=data["item"],
            decision=data["decision"] or None,
            rationale=data["rationale"] or None,
        ),
        success=lambda _: saved(
            request, "The amendment is recorded with its reason.", _detail_url(review, "amendments-heading")
        ),
        render=lambda: render(request, "governance/reviews/amend.html", {"review": review, "form": form}),
    )


def next_review_panel_context(request, service) -> dict:
    """The service page's "Next review" panel (below the fold: loaded with the panels after the
    themes, core.panels.FOLD), in two queries: the next review with the overdue count, and the
    closure proposals at the service awaiting the user."""
    upcoming, overdue = selectors.next_review_and_overdue(request.user, service)
    return {
        "next": upcoming,
        "overdue": overdue,
        "queue": selectors.closure_queue_count(request.user, service),
    }


# The governance calendar and each person's ICS feed.


@login_required
def calendar(request):
    first = selectors.parse_month(request.GET.get("month"), timezone.localdate())
    context = selectors.calendar_month(request.user, first)
    token = selectors.ics_token(request.user)
    if token:
        context["ics_url"] = request.build_absolute_uri(reverse("governance:ics_feed", kwargs={"token": token}))
    context["today"] = timezone.localdate()
    return render(request, "governance/reviews/calendar.html", context)


@login_required
@require_POST
def calendar_feed_link(request):
    """Renew (a new address; the old one stops) or revoke (no address) the person's feed."""
    if request.POST.get("feed") == "revoke":
        feed.calendar_feed_revoke(actor=request.user)
        messages.success(request, "Your calendar feed is switched off: the old address no longer works.")
    else:
        feed.calendar_feed_renew(actor=request.user)
        messages.success(request, "Your calendar feed has a new address: the old one no longer works.")
    return redirect(reverse("governance:calendar") + "#ics-heading")


def _event(request, review: OversightReview) -> Event:
    event = Event()
    event.add("uid", f"review-{review.pk}@recovery-governance")
    event.add("dtstamp", review.created_at)
    event.add("dtstart", review.scheduled_for)
    try:
        end = review.scheduled_for + datetime.timedelta(minutes=review.duration_minutes)
    except OverflowError:  # a review stored at the end of time (9999-12-31): no end, not a 500
        end = review.scheduled_for
    event.add("dtend", end)
    event.add("summary", review.title)
    where = review.service.name if review.service_id else f"{review.provider.name} (all services)"
    event.add("description", f"{review.get_kind_display()} · {where} · chair {review.chair}")
    if review.location:
        event.add("location", review.location)
    event.add("url", request.build_absolute_uri(review.get_absolute_url()))
    if review.status == OversightReview.Status.CANCELLED:
        event.add("status", "CANCELLED")
        event["description"] = f"{event['description']} · cancelled: {review.cancel_reason}"
    else:
        event.add("status", "CONFIRMED")
    return event


@require_GET
def ics_feed(request, token: str):
    """A calendar app's subscription: no session, the secret token in the URL names the person."""
    user = selectors.user_for_ics_token(token)
    if user is None:
        raise Http404("Not found")
    cal = Calendar()
    cal.add("prodid", "-//Recovery governance//Oversight reviews//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Oversight reviews")
    for review in selectors.ics_reviews(user):
        cal.add_component(_event(request, review))
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="oversight-reviews.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


# --- Recurring series ---------------------------------------------------------------------


def _series_create(request, provider, service):
    scope = service or provider
    people = policy.users_with(V.VIEW, scope).order_by("first_name", "last_name", "pk")
    default_kind = OversightReview.Kind.WEEKLY_SERVICE if service else OversightReview.Kind.MONTHLY_LEADERSHIP
    if request.method == "POST":
        form = SeriesForm(request.POST, people=people)
    else:
        form = SeriesForm(people=people, initial={"kind": default_kind, "chair": request.user.pk})
    if service:
        back = reverse("governance:review_list", kwargs={"service": service.slug})
    else:
        back = reverse("governance:provider_review_list", kwargs={"provider": provider.slug})

    def created(series):
        count = series.reviews.count()
        return saved(
            request, f"{series.title} repeats {series.get_frequency_display().lower()}: {count} meetings planned.", back
        )

    return form_page(
        request,
        form,
        save=lambda data: services.series_create(actor=request.user, provider=provider, service=service, **data),
        success=created,
        render=lambda: render(
            request,
            "governance/reviews/series_form.html",
            {"form": form, "scope": scope, "service": service, "provider": provider, "back": back},
            status=redrawn_status(request),
        ),
    )


@login_required
def series_create(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service, V.RUN_REVIEW)
    return _series_create(request, service_obj.provider, service_obj)


@login_required
def provider_series_create(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), V.RUN_REVIEW, slug=provider)
    return _series_create(request, provider_obj, None)


@login_required
def series_stop(request, pk: int):
    series = selectors.series_get(request.user, pk, V.RUN_REVIEW)
    if series.service_id:
        back = reverse("governance:review_list", kwargs={"service": series.service.slug})
    else:
        back = reverse("governance:provider_review_list", kwargs={"provider": series.provider.slug})
    form = ReasonForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda data: services.series_stop(actor=request.user, series=series, **data),
        success=lambda s: saved(request, f"{s.title} stops: its future meetings are cancelled with your reason.", back),
        render=lambda: render(
            request,
            "governance/reviews/reason.html",
            {
                "form": form,
                "heading": f"Stop {series.title}",
                "intro": "No more meetings are planned. Its future meetings that have not been held are cancelled, "
                "with the reason you give; held meetings stay as they are.",
                "submit": "Stop the series",
                "back": back,
            },
            status=redrawn_status(request),
        ),
    )


# --- Requests: answered by the person they are addressed to -------------------------------


@login_required
@records_access(AccessKind.PAGE, label="Request")
def request_detail(request, pk: int):
    """One request or challenge: what was asked, by whom, by when; the answer, or the form to
    give it (for the person it is addressed to)."""
    challenge = selectors.challenge_for(request.user, pk)
    may_answer = not challenge.is_answered and services.can_respond(request.user, challenge)

    def page(form=None, status=200):
        context = {
            "challenge": challenge,
            "form": form,
            "linked": list(challenge.evidence.all()) if challenge.is_answered else [],
            "overdue": challenge.is_overdue(timezone.localdate()),
        }
        return render(request, "governance/reviews/request.html", context, status=status)

    if not may_answer:
        if request.method == "POST":  # a second answer, or not theirs: say so, nothing written
            if challenge.is_answered:
                messages.info(request, f"This was already answered by {challenge.responded_by}.")
            else:
                messages.error(request, "This request is not yours to answer.")
            return redirect(challenge.get_absolute_url())
        return page()
    form = AnswerForm(request.POST or None, evidence=selectors.answer_evidence(challenge))
    done = "Your answer is recorded. The person who asked sees it on the item and on the next agenda."
    return form_page(
        request,
        form,
        save=lambda data: services.challenge_respond(actor=request.user, challenge=challenge, **data),
        success=lambda _: saved(request, done, challenge.get_absolute_url()),
        render=lambda: page(form, status=redrawn_status(request)),
    )


@login_required
def my_requests(request):
    """Requests and challenges addressed to me, and those I raised."""
    context = selectors.requests_addressed_to(request.user)
    context["raised"] = selectors.requests_raised_by(request.user)
    context["today"] = timezone.localdate()
    return render(request, "governance/reviews/my_requests.html", context)
