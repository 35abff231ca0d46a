"""URLs for oversight reviews and the governance calendar (included by governance/urls.py)."""

from django.urls import path

from governance.reviews import views as reviews

urlpatterns = [
    path("reviews/calendar/", reviews.calendar, name="calendar"),
    path("reviews/calendar/feed-link/", reviews.calendar_feed_link, name="calendar_feed_link"),
    path("reviews/calendar/feed/<str:token>/reviews.ics", reviews.ics_feed, name="ics_feed"),
    path("services/<slug:service>/reviews/", reviews.review_list, name="review_list"),
    path("services/<slug:service>/reviews/new/", reviews.review_create, name="review_create"),
    path("providers/<slug:provider>/reviews/", reviews.provider_review_list, name="provider_review_list"),
    path("providers/<slug:provider>/reviews/new/", reviews.provider_review_create, name="provider_review_create"),
    path("services/<slug:service>/reviews/series/new/", reviews.series_create, name="series_create"),
    path(
        "providers/<slug:provider>/reviews/series/new/", reviews.provider_series_create, name="provider_series_create"
    ),
    path("reviews/series/<int:pk>/stop/", reviews.series_stop, name="series_stop"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", reviews.review_edit, name="review_edit"),
    path("reviews/<int:pk>/cancel/", reviews.review_cancel, name="review_cancel"),
    path("reviews/<int:pk>/items/add/", reviews.item_add, name="item_add"),
    path("reviews/<int:pk>/attendance/<int:person>/", reviews.attendance_record, name="attendance_record"),
    path("requests/", reviews.my_requests, name="my_requests"),
    path("requests/<int:pk>/", reviews.request_detail, name="request_detail"),
    path("reviews/<int:pk>/start/", reviews.review_start, name="review_start"),
    path("reviews/<int:pk>/agenda/refresh/", reviews.agenda_refresh, name="agenda_refresh"),
    path("reviews/<int:pk>/actions/", reviews.review_action_add, name="review_action_add"),
    path("reviews/<int:pk>/finalise/", reviews.review_finalise, name="review_finalise"),
    path("reviews/<int:pk>/amend/", reviews.review_amend, name="review_amend"),
    path("reviews/items/<int:pk>/challenge/", reviews.item_challenge, name="item_challenge"),
    path("reviews/items/<int:pk>/decide/", reviews.item_decide, name="item_decide"),
    path("reviews/items/<int:pk>/decide-closure/", reviews.item_decide_closure, name="item_decide_closure"),
    path("reviews/challenges/<int:pk>/respond/", reviews.challenge_respond, name="challenge_respond"),
]
