from django.urls import path

from recovery.overview import views

urlpatterns = [
    path("services/<slug:service>/recovery-map/", views.map_service, name="map_service"),
    path("providers/<slug:provider>/recovery-map/", views.map_provider, name="map_provider"),
]
