from django.urls import path

from recovery.closure import views

urlpatterns = [
    path("actions/<int:pk>/open/", views.action_open, name="action_open"),
    path("actions/<int:pk>/start/", views.action_start, name="action_start"),
    path("actions/<int:pk>/propose-closure/", views.action_propose, name="action_propose"),
    path("actions/<int:pk>/decide/", views.action_decide, name="action_decide"),
    path("actions/<int:pk>/closure-conditions/", views.action_conditions, name="action_conditions"),
    path("actions/<int:pk>/reopen/", views.action_reopen, name="action_reopen"),
]
