"""The API's pages (schema, docs, the account's tokens) under the ``api`` namespace.
The versioned endpoints are ``api/v1_urls.py`` (namespace ``api_v1``)."""

from django.urls import path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import pages

app_name = "api"


class SchemaView(SpectacularAPIView):
    authentication_classes: list = []  # the schema describes the API; it holds no data
    permission_classes: list = []
    throttle_classes: list = []


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local files (drf-spectacular-sidecar), its start-up script a separate file
    (``?script``) and its page style a stylesheet: the site's Content-Security-Policy holds as it is."""

    template_name = "api/swagger_ui.html"
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []


urlpatterns = [
    path("account/tokens/", pages.tokens, name="tokens"),
    # Not kept by browsers or proxies, like every signed-in page (they change with each release).
    path("api/schema/", never_cache(SchemaView.as_view()), name="schema"),
    path("api/docs/", never_cache(DocsView.as_view(url_name="api:schema")), name="docs"),
]
