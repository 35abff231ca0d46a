from django.urls import path

from recovery.reviewing import views

urlpatterns = [
    path("actions/<int:pk>/reviews/record/", views.review_record_action, name="review_record_action"),
    path("themes/<int:pk>/reviews/record/", views.review_record_theme, name="review_record_theme"),
    path("actions/<int:pk>/reviews/layers/new/", views.layer_add_action, name="layer_add_action"),
    path("themes/<int:pk>/reviews/layers/new/", views.layer_add_theme, name="layer_add_theme"),
    path("review-layers/<int:pk>/edit/", views.layer_edit, name="layer_edit"),
    path("review-layers/<int:pk>/remove/", views.layer_remove, name="layer_remove"),
]
