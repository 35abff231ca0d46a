from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "Recovery governance administration"
admin.site.site_title = "Recovery governance admin"

urlpatterns = [
    path("", include("core.urls")),
    path("", include("recovery.urls")),
    path("", include("evidence.urls")),
    path("", include("audits.urls")),
    path("", include("governance.urls")),
    path("", include("api.urls")),
    path("api/v1/", include(("api.v1_urls", "api_v1"))),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"

if settings.DEBUG:
    # Error pages for a quick look in development (production serves them on real errors).
    from core import errors

    urlpatterns += [
        path("__errors__/404/", errors.preview_404),
        path("__errors__/403/", errors.preview_403),
    ]
