"""The audit logging page offline: the service worker, the web app manifest and the offline page.

The service worker's logic is a static file (``static/js/service_worker.js``); ``/sw.js`` is a
small script that gives it what only the server knows (the static files' names, which carry a
content hash in production) and imports it. It is served from the site's root so that its
scope can cover the audit pages; see docs/offline.md.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

# What the audit logging page loads (templates/base.html, audits/audit_edit.html), kept on the
# device when the worker is installed. Other static files are kept when first fetched.
PAGE_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "audits/audits.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "django_htmx/htmx-2.min.js",
    "js/app.js",
    "js/audit_form.js",
    "js/offline_page.js",
    "audits/icon-192.png",
)
# The one kind of page the worker keeps: an audit's logging screen the auditor has opened.
AUDIT_PAGE_PATTERN = r"^/audits/\d+/log/$"
PAGES_CACHE = "rg-audit-pages"


def _config() -> dict:
    assets = [static(name) for name in PAGE_ASSETS]
    offline_url = reverse("audits:offline")
    version = hashlib.sha256(json.dumps([assets, offline_url]).encode()).hexdigest()[:12]
    return {
        "version": version,
        "assets": assets,
        "offlinePage": offline_url,
        "staticPrefix": static(""),
        "auditPage": AUDIT_PAGE_PATTERN,
        "pagesCache": PAGES_CACHE,
        "signInPage": reverse("login"),
    }


@transaction.non_atomic_requests
@require_GET
def service_worker(request):
    """``/sw.js``: the worker's settings, then its code. Never cached, so updates are seen."""
    body = f"self.OFFLINE = {json.dumps(_config())};\nimportScripts({json.dumps(static('js/service_worker.js'))});\n"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@transaction.non_atomic_requests
@require_GET
def manifest(request):
    """The web app manifest: the app can be installed on a tablet and opened full screen."""
    response = JsonResponse(
        {
            "name": "Recovery governance",
            "short_name": "Recovery",
            "description": "Log weekly audits, online or not.",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#083a66",
            "icons": [
                {"src": static("audits/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("audits/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            ],
        },
        content_type="application/manifest+json",
    )
    response["Cache-Control"] = "no-cache"
    return response


@transaction.non_atomic_requests
@require_GET
def offline(request):
    """What the worker shows for a page it does not keep when there is no connection.

    Public and personal-data free: it is kept on the device. Its script lists the audit
    pages this device keeps (read from the worker's cache, in the browser).
    """
    response = render(request, "audits/offline.html")
    response["Cache-Control"] = "no-cache"
    return response
