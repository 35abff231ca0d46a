from django.urls import path

from recovery.overview import views

urlpatterns = [
    path("services/<slug:service>/recovery-map/", views.map_service, name="map_service"),
    path("providers/<slug:provider>/recovery-map/", views.map_provider, name="map_provider"),
    # One theme's action rows, loaded by the map when scrolled to (and a page of their own).
    path("services/<slug:service>/recovery-map/themes/<int:theme>/", views.map_theme_rows, name="map_theme_rows"),
    path(
        "providers/<slug:provider>/recovery-map/themes/<int:theme>/",
        views.provider_map_theme_rows,
        name="provider_map_theme_rows",
    ),
    # The provider-wide map's gaps over every action, loaded after the page (and a page of their own).
    path("providers/<slug:provider>/recovery-map/gaps/", views.provider_map_gaps, name="provider_map_gaps"),
    *(
        path(
            f"services/<slug:service>/recovery-map/export.{fmt}",
            views.plan_export_service,
            {"fmt": fmt},
            name=f"plan_export_{fmt}",
        )
        for fmt in views.EXPORT_FORMATS
    ),
    *(
        path(
            f"providers/<slug:provider>/recovery-map/export.{fmt}",
            views.plan_export_provider,
            {"fmt": fmt},
            name=f"provider_plan_export_{fmt}",
        )
        for fmt in views.EXPORT_FORMATS
    ),
]
