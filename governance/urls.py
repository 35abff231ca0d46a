"""Governance URLs (namespace "governance"): one urls module per feature package."""

from django.urls import include, path

app_name = "governance"

urlpatterns = [
    path("", include("governance.flags.urls")),
    path("", include("governance.dashboard.urls")),
    path("", include("governance.reviews.urls")),
    path("", include("governance.closure_review.urls")),
    path("", include("governance.packs.urls")),
]
