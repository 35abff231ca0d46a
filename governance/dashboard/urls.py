from django.urls import path

from governance.dashboard import views

urlpatterns = [
    path("providers/<slug:provider>/dashboard/", views.provider_dashboard, name="provider_dashboard"),
]
