"""Response headers every page carries (the Content-Security-Policy itself comes from django-csp).

- ``Permissions-Policy``: the app uses no camera, microphone, location or other device features,
  so every one is switched off for the page and anything it embeds.
- ``Cache-Control: no-store`` on every response to a signed-in person: those pages show care
  data, and a shared care-home computer or a proxy must not keep a copy. A response that chose
  its own caching (the ICS feed, evidence downloads) keeps it; static files are answered by
  whitenoise before this middleware runs and keep their long caching.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control

# Features denied to every origin, this one included (``feature=()``).
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


class SecurityHeadersMiddleware:
    """Adds Permissions-Policy to every response and no-store to signed-in ones."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            patch_cache_control(response, no_store=True, private=True)
        return response
