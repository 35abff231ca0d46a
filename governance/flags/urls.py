from django.urls import path

from governance.flags import views

urlpatterns = [
    path("services/<slug:service>/flags/", views.flag_list, name="flag_list"),
    path("providers/<slug:provider>/flags/", views.provider_flag_list, name="provider_flag_list"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("services/<slug:service>/flags/triggers/new/<slug:kind>/", views.trigger_new, name="trigger_new"),
    path("flags/triggers/<int:pk>/edit/", views.trigger_edit, name="trigger_edit"),
    path("flags/triggers/<int:pk>/remove/", views.trigger_remove, name="trigger_remove"),
]
