"""Recovery URLs (namespace "recovery"): one urls module per feature package."""

from django.urls import include, path

app_name = "recovery"

urlpatterns = [
    path("", include("recovery.plan.urls")),
    path("", include("recovery.closure.urls")),
    path("", include("recovery.measures.urls")),
    path("", include("recovery.overview.urls")),
    path("", include("recovery.importing.urls")),
    path("", include("recovery.reviewing.urls")),
    path("", include("recovery.learning.urls")),
]
