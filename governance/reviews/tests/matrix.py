"""Who may use each oversight-review and calendar URL (see tests/matrix_support.py)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from governance.models import AgendaItem, OversightReview, ReviewSeries
from governance.reviews.selectors import ics_token
from governance.reviews.tests.factories import (
    AgendaItemFactory,
    ChallengeFactory,
    OversightReviewFactory,
    in_progress_review,
    proposed_action,
)
from tests.matrix_support import ALL, Row, only, post

RUNNERS = only("rm", "quality", "ni")  # RUN_REVIEW at the service
PROVIDER_RUNNERS = only("quality", "ni")  # RUN_REVIEW across the provider
CHALLENGERS = only("rm", "quality", "ni", "board")


def _review(w, s):
    return {"pk": OversightReviewFactory(service=s, provider=s.provider).pk}


def _started(w, s):
    return {"pk": in_progress_review(s).pk}


def _item(w, s):
    return {"pk": AgendaItemFactory(review=in_progress_review(s)).pk}


def _closure_item(w, s):
    action = proposed_action(s, w.deputy)
    item = AgendaItemFactory(
        review=in_progress_review(s),
        kind=AgendaItem.Kind.CLOSURE_PROPOSAL,
        subject_type="action",
        subject_id=action.pk,
    )
    return {"pk": item.pk}


def _challenge(w, s):
    return {"pk": ChallengeFactory(agenda_item=AgendaItemFactory(review=in_progress_review(s)), raised_by=w.board).pk}


def _finalised(w, s):
    review = OversightReviewFactory(service=s, provider=s.provider, status=OversightReview.Status.FINALISED)
    return {"pk": review.pk}


def _series(w, s):
    series = ReviewSeries.objects.create(
        provider=s.provider,
        service=s,
        kind=OversightReview.Kind.WEEKLY_SERVICE,
        title="Weekly service review",
        frequency=ReviewSeries.Frequency.WEEKLY,
        starts_on=timezone.localdate() + datetime.timedelta(days=1),
        time_of_day=datetime.time(10, 0),
        chair=w.ni,
        created_by=w.ni,
    )
    return {"pk": series.pk}


ROWS = [
    Row("governance:review_list", ALL, lambda w, s: {"service": s.slug}),
    Row("governance:provider_review_list", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("governance:calendar", ALL, scope="global"),
    # Each person renews or revokes only their own feed.
    Row("governance:calendar_feed_link", ALL, method="post", data=lambda w, s: {"feed": "renew"}, scope="global"),
    Row("governance:ics_feed", ALL, lambda w, s: {"token": ics_token(w.rm)}, scope="public"),
    Row("governance:review_create", RUNNERS, lambda w, s: {"service": s.slug}),
    Row(
        "governance:provider_review_create",
        PROVIDER_RUNNERS,
        lambda w, s: {"provider": s.provider.slug},
        scope="provider",
    ),
    Row("governance:review_detail", ALL, _review),
    Row("governance:review_start", RUNNERS, _review, method="post"),
    Row("governance:agenda_refresh", RUNNERS, _started, method="post"),
    post("governance:item_challenge", CHALLENGERS, _item, {"kind": "challenge", "text": "Which records were sampled?"}),
    post("governance:challenge_respond", RUNNERS, _challenge, {"response": "Ten records, chosen at random."}),
    post(
        "governance:item_decide",
        RUNNERS,
        _item,
        {"decision": "partly_assured", "rationale": "Better, but only two weeks of data."},
    ),
    Row(
        "governance:item_decide_closure",
        only("rm", "ni"),  # running the review and deciding an ordinary-risk closure
        _closure_item,
        method="post",
        data=lambda w, s: {"decision": "refuse", "rationale": "Too early.", "further_checks": "Re-audit."},
    ),
    post(
        "governance:review_action_add",
        RUNNERS,
        _started,
        lambda w, s: {"arising-description": "Re-audit in a month.", "arising-owner": w.ni.pk},
    ),
    post("governance:review_finalise", RUNNERS, _started, {"summary": "Partly assured overall."}),
    Row("governance:review_amend", RUNNERS, _finalised),
    Row("governance:review_edit", RUNNERS, _review),
    Row("governance:review_cancel", RUNNERS, _review),
    post("governance:item_add", RUNNERS, _started, {"item-kind": "other", "item-title": "Agency spend"}),
    post(
        "governance:attendance_record",
        RUNNERS,
        # Someone with access to the review's provider (the outsider at the other provider).
        lambda w, s: {"pk": _review(w, s)["pk"], "person": (w.ni if s.provider == w.provider else w.outsider).pk},
        {"attendance": "present"},
    ),
    Row("governance:series_create", RUNNERS, lambda w, s: {"service": s.slug}),
    Row(
        "governance:provider_series_create",
        PROVIDER_RUNNERS,
        lambda w, s: {"provider": s.provider.slug},
        scope="provider",
    ),
    Row("governance:series_stop", RUNNERS, _series),
    Row("governance:my_requests", ALL, scope="global"),
    Row("governance:request_detail", ALL, _challenge),
]
