from django.urls import path

from recovery.plan import views as plan

urlpatterns = [
    path("services/<slug:service>/themes/new/", plan.theme_create, name="theme_create"),
    path("providers/<slug:provider>/themes/new/", plan.provider_theme_create, name="provider_theme_create"),
    path("themes/<int:pk>/", plan.theme_detail, name="theme_detail"),
    path("themes/<int:pk>/edit/", plan.theme_edit, name="theme_edit"),
    path("themes/<int:pk>/move/", plan.theme_move, name="theme_move"),
    path("themes/<int:pk>/learning/new/", plan.learning_add, name="learning_add"),
    path("learning/<int:pk>/review/", plan.learning_review, name="learning_review"),
    path("themes/<int:pk>/actions/new/", plan.action_create, name="action_create"),
    path("actions/<int:pk>/", plan.action_detail, name="action_detail"),
    path("actions/<int:pk>/edit/", plan.action_edit, name="action_edit"),
    path("actions/<int:pk>/reassign/", plan.action_reassign, name="action_reassign"),
    path("actions/<int:pk>/steps/new/", plan.step_add, name="step_add"),
    path("steps/<int:pk>/done/", plan.step_done, name="step_done"),
    path("steps/<int:pk>/not-needed/", plan.step_not_needed, name="step_not_needed"),
    path("actions/<int:pk>/risks/new/", plan.risk_add, name="risk_add"),
    path("actions/<int:pk>/evidence/", plan.action_evidence, name="action_evidence"),
]
