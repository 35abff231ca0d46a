"""Evidence pack URLs (included by governance/urls.py)."""

from django.urls import path

from .views import packs

urlpatterns = [
    path("services/<slug:service>/packs/", packs.pack_list, name="pack_list"),
    path("services/<slug:service>/packs/new/", packs.pack_create, name="pack_create"),
    path("providers/<slug:provider>/packs/", packs.provider_pack_list, name="provider_pack_list"),
    path("providers/<slug:provider>/packs/new/", packs.provider_pack_create, name="provider_pack_create"),
    path("actions/<int:pk>/pack/", packs.action_pack_create, name="action_pack_create"),
    path("packs/<int:pk>/", packs.pack_detail, name="pack_detail"),
    path("packs/<int:pk>/status/", packs.pack_status, name="pack_status"),
    path("packs/<int:pk>/download/", packs.pack_download, name="pack_download"),
]
