from django.urls import path

from .views import dashboard, flags

app_name = "governance"

urlpatterns = [
    path("services/<slug:service>/flags/", flags.flag_list, name="flag_list"),
    path("providers/<slug:provider>/flags/", flags.provider_flag_list, name="provider_flag_list"),
    path("flags/<int:pk>/", flags.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/acknowledge/", flags.flag_acknowledge, name="flag_acknowledge"),
    path("providers/<slug:provider>/dashboard/", dashboard.provider_dashboard, name="provider_dashboard"),
]

# Oversight reviews, their agenda and calendar, and the closure review screen.
from .urls_reviews import urlpatterns as review_urls  # noqa: E402

urlpatterns += review_urls

# Evidence packs: generate, follow progress, download.
from .urls_packs import urlpatterns as pack_urls  # noqa: E402

urlpatterns += pack_urls
