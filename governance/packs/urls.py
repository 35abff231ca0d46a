"""Evidence pack URLs (included by governance/urls.py)."""

from django.urls import path

from governance.packs import views

urlpatterns = [
    path("services/<slug:service>/packs/", views.pack_list, name="pack_list"),
    path("services/<slug:service>/packs/new/", views.pack_create, name="pack_create"),
    path("providers/<slug:provider>/packs/", views.provider_pack_list, name="provider_pack_list"),
    path("providers/<slug:provider>/packs/new/", views.provider_pack_create, name="provider_pack_create"),
    path("actions/<int:pk>/pack/", views.action_pack_create, name="action_pack_create"),
    path("packs/<int:pk>/", views.pack_detail, name="pack_detail"),
    path("packs/<int:pk>/status/", views.pack_status, name="pack_status"),
    path("packs/<int:pk>/download/", views.pack_download, name="pack_download"),
    path("packs/<int:pk>/retry/", views.pack_retry, name="pack_retry"),
]
