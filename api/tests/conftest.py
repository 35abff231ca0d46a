"""Fixtures for the API tests: tokens made the way an administrator makes them (``api_token``)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client


def make_token(user, scope: str = "write", name: str = "Rota system") -> str:
    out = io.StringIO()
    call_command("api_token", user.email, name=name, scope=scope, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


class ApiClient:
    """A JSON client sending ``Authorization: Bearer <token>`` (or nothing, with no token)."""

    def __init__(self, token: str | None = None, **headers) -> None:
        self.client = Client()
        self.headers = dict(headers)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, url: str, params: dict | None = None, **headers):
        return self.client.get(url, params or {}, headers={**self.headers, **headers})

    def post(self, url: str, data, **headers):
        return self.client.post(url, data, content_type="application/json", headers={**self.headers, **headers})


@pytest.fixture
def api_as():
    """``api_as(user, scope="write")``: a client holding a fresh token of that user."""

    def _api(user, scope: str = "write") -> ApiClient:
        return ApiClient(make_token(user, scope))

    return _api
