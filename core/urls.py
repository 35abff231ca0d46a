from django.urls import include, path

from . import health, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    # Answered by core.health.HealthProbeMiddleware before host validation; named for reverse().
    path("healthz/", health.liveness, name="healthz"),
    path("healthz/ready/", health.readiness, name="readiness"),
    path("services/", views.overview, name="overview"),
    path("account/", views.account, name="account"),
    path("", include("core.mfa.urls")),
    path("providers/<slug:provider>/", views.provider_detail, name="provider_detail"),
    path("services/<slug:service>/", views.service_detail, name="service_detail"),
    path("services/<slug:service>/panels/<int:part>/", views.service_panels_below, name="service_panels_below"),
    path("services/<slug:service>/history/", views.service_history, name="service_history"),
    path("access-records/", views.access_records, name="access_records"),
]
