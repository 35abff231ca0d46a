"""``/api/v1/``: token-authenticated JSON (namespace ``api_v1``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from api import views

router = SimpleRouter()
router.register("providers", views.ProviderViewSet, basename="provider")
router.register("services", views.ServiceViewSet, basename="service")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("actions", views.ActionViewSet, basename="action")
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("audits", views.AuditViewSet, basename="audit")
router.register("flags", views.FlagViewSet, basename="flag")
router.register("reviews", views.ReviewViewSet, basename="review")

urlpatterns = [
    path("measures/<str:pk>/points/", views.MeasurePointsView.as_view(), name="measure-points"),
    path("points/bulk/", views.BulkPointsView.as_view(), name="points-bulk"),
    path("points/<str:pk>/corrections/", views.PointCorrectionView.as_view(), name="point-corrections"),
    *router.urls,
]
