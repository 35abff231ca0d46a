from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("services/<slug:service>/evidence/", views.library, name="library"),
    path("services/<slug:service>/evidence/coverage/", views.coverage, name="coverage"),
    path("services/<slug:service>/evidence/export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("services/<slug:service>/evidence/export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("providers/<slug:provider>/evidence/", views.provider_library, name="provider_library"),
    path("providers/<slug:provider>/evidence/coverage/", views.provider_coverage, name="provider_coverage"),
    path(
        "providers/<slug:provider>/evidence/export.csv",
        views.provider_export,
        {"fmt": "csv"},
        name="provider_export_csv",
    ),
    path(
        "providers/<slug:provider>/evidence/export.xlsx",
        views.provider_export,
        {"fmt": "xlsx"},
        name="provider_export_xlsx",
    ),
    path("evidence/new/", views.create, name="create"),
    path("evidence/<int:pk>/", views.detail, name="detail"),
    path("evidence/<int:pk>/edit/", views.edit, name="edit"),
    path("evidence/<int:pk>/remove/", views.remove, name="remove"),
    path("evidence/<int:pk>/download/", views.download, name="download"),
]
