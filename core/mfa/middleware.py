"""A session signed in with its password but not yet verified reaches nothing but the code
page (or, for someone who must use a second factor and has none, the enrolment page), the
sign-out and static files. Everything else redirects there, keeping where they were going."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from . import session
from .policy import Step

OPEN_VIEWS = frozenset({"core:mfa_verify", "core:mfa_enrol", "logout", "core:healthz"})
TARGETS = {Step.VERIFY: "core:mfa_verify", Step.ENROL: "core:mfa_enrol"}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            due = session.owed(request)
            if due is not None and not self._open(request.path_info):
                return self._send_to(request, TARGETS[due])
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        try:
            return resolve(path).view_name in OPEN_VIEWS
        except Resolver404:
            return False

    @staticmethod
    def _send_to(request, name: str):
        url = reverse(name)
        if request.method == "GET" and request.get_full_path() != "/":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
