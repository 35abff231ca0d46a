from django.urls import path

from recovery.importing import views

urlpatterns = [
    path("services/<slug:service>/plan-import/", views.upload, name="plan_import_upload"),
    path("plan-imports/<int:pk>/columns/", views.mapping, name="plan_import_mapping"),
    path("plan-imports/<int:pk>/preview/", views.preview, name="plan_import_preview"),
    path("plan-imports/<int:pk>/confirm/", views.confirm, name="plan_import_confirm"),
]
