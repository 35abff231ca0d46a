from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    # Offline capture (audits/views/offline.py): the worker at the root so it may control the audit pages.
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline, name="offline"),
    path("providers/<slug:provider>/audit-templates/", views.template_list, name="template_list"),
    path("providers/<slug:provider>/audit-templates/new/", views.template_create, name="template_create"),
    path("providers/<slug:provider>/audit-templates/criterion-row/", views.criterion_row, name="criterion_row"),
    path("providers/<slug:provider>/audit-templates/criteria/", views.criteria_change, name="criteria_change"),
    path("audit-templates/<int:pk>/", views.template_detail, name="template_detail"),
    path("audit-templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("audit-templates/<int:pk>/feed/", views.feed_create, name="feed_create"),
    path("services/<slug:service>/audits/", views.audit_list, name="audit_list"),
    path("services/<slug:service>/audits/export.xlsx", views.audit_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("services/<slug:service>/audits/export.csv", views.audit_export, {"fmt": "csv"}, name="export_csv"),
    path("services/<slug:service>/audits/start/", views.audit_start, name="audit_start"),
    path("services/<slug:service>/audits/schedule/", views.schedule, name="schedule"),
    path("audits/<int:pk>/", views.detail, name="detail"),
    path("audits/<int:pk>/log/", views.audit_edit, name="audit_edit"),
    path("audits/<int:pk>/autosave/", views.audit_autosave, name="audit_autosave"),
    path("audits/<int:pk>/record-row/", views.record_row, name="record_row"),
    path("audits/<int:pk>/action-row/", views.action_row, name="action_row"),
    path("audits/<int:pk>/remove-row/", views.remove_row, name="remove_row"),
    path("audits/<int:pk>/submit/", views.audit_submit, name="audit_submit"),
    path("audits/<int:pk>/amend/", views.amend, name="amend"),
]
