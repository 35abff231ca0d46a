from django.urls import include, path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("account/", views.account, name="account"),
    path("", include("core.mfa.urls")),
    path("providers/<slug:provider>/", views.provider_detail, name="provider_detail"),
    path("services/<slug:service>/", views.service_detail, name="service_detail"),
    path("services/<slug:service>/history/", views.service_history, name="service_history"),
]
