"""Rate limits are per token: one busy client does not slow another."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.tests.conftest import ApiClient, make_token
from api.throttling import TokenRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api_token": "3/min", "api_token_write": "1/min"})


def test_each_token_has_its_own_limit(world, low_limits):
    busy, other = ApiClient(make_token(world.rm)), ApiClient(make_token(world.rm))
    url = reverse("api_v1:provider-list")
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get(url)
    assert refused.status_code == 429 and "Retry-After" in refused and "detail" in refused.json()
    assert other.get(url).status_code == 200


def test_writes_have_a_lower_limit(world, low_limits):
    api = ApiClient(make_token(world.rm))
    url = reverse("api_v1:points-bulk")
    assert api.post(url, {"points": []}).status_code == 400  # counted: a write was attempted
    assert api.post(url, {"points": []}).status_code == 429
    assert api.get(reverse("api_v1:provider-list")).status_code == 200


def test_the_limits_come_from_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) == {"api_token", "api_token_write"} and rates["api_token"] == "600/min"
