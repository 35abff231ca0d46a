"""The governance calendar (month grid and list) and each person's ICS feed."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from ..models import OversightReview
from ..selectors import reviews as selectors


@login_required
def calendar(request):
    first = selectors.parse_month(request.GET.get("month"), timezone.localdate())
    context = selectors.calendar_month(request.user, first)
    token = selectors.ics_token(request.user)
    context["ics_url"] = request.build_absolute_uri(reverse("governance:ics_feed", kwargs={"token": token}))
    context["today"] = timezone.localdate()
    return render(request, "governance/reviews/calendar.html", context)


def _event(request, review: OversightReview) -> Event:
    event = Event()
    event.add("uid", f"review-{review.pk}@recovery-governance")
    event.add("dtstamp", review.created_at)
    event.add("dtstart", review.scheduled_for)
    event.add("dtend", review.scheduled_for + datetime.timedelta(minutes=review.duration_minutes))
    event.add("summary", review.title)
    where = review.service.name if review.service_id else f"{review.provider.name} (all services)"
    event.add("description", f"{review.get_kind_display()} · {where} · chair {review.chair}")
    if review.location:
        event.add("location", review.location)
    event.add("url", request.build_absolute_uri(review.get_absolute_url()))
    if review.status == OversightReview.Status.CANCELLED:
        event.add("status", "CANCELLED")
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
