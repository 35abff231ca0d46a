from django.urls import path

from governance.flags import views

urlpatterns = [
    path("services/<slug:service>/flags/", views.flag_list, name="flag_list"),
    path("providers/<slug:provider>/flags/", views.provider_flag_list, name="provider_flag_list"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
]
