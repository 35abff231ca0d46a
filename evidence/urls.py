from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("services/<slug:service>/evidence/", views.library, name="library"),
    path("services/<slug:service>/evidence/export.csv", views.export_csv, name="export_csv"),
    path("providers/<slug:provider>/evidence/", views.provider_library, name="provider_library"),
    path("providers/<slug:provider>/evidence/export.csv", views.provider_export_csv, name="provider_export_csv"),
    path("evidence/new/", views.create, name="create"),
    path("evidence/<int:pk>/", views.detail, name="detail"),
    path("evidence/<int:pk>/edit/", views.edit, name="edit"),
    path("evidence/<int:pk>/remove/", views.remove, name="remove"),
    path("evidence/<int:pk>/download/", views.download, name="download"),
]
