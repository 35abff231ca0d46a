"""Response headers, login throttling and the production key check (reliability issue, finding 10).

The crawl of every demo page (test_rendered_pages.py) checks CSP, no-store and inline scripts
on every HTML page; these tests pin each rule on its own.
"""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import reverse

from core.log_filters import MaskSecretsInPaths
from core.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_carry_a_strict_content_security_policy(world, client):
    client.force_login(world.rm)
    csp = _csp(client.get(reverse("core:home")))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src-elem"] == ["'self'"]
    assert csp["style-src-attr"] == ["'unsafe-inline'"]  # the documented exception: colour badges
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]


def test_the_sign_in_page_has_the_policy_too(db, client):
    response = client.get(reverse("login"))
    assert "Content-Security-Policy" in response
    assert "camera=()" in response["Permissions-Policy"]


def test_permissions_policy_denies_device_features(world, client):
    client.force_login(world.rm)
    policy = client.get(reverse("core:home"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_signed_in_pages_are_not_stored(world, client):
    client.force_login(world.rm)
    response = client.get(reverse("core:service_detail", kwargs={"service": world.service.slug}))
    assert "no-store" in response["Cache-Control"]


def test_htmx_may_not_eval_nor_inject_styles(world, client):
    client.force_login(world.rm)
    html = client.get(reverse("core:home")).content.decode()
    assert '<meta name="htmx-config" content=\'{"allowEval": false, "includeIndicatorStyles": false}\'>' in html


# --- Login throttling ---------------------------------------------------------------------


def _fail(client, username):
    return client.post(reverse("login"), {"username": username, "password": "wrong"})


def test_many_usernames_from_one_address_are_limited(db):
    users = [UserFactory(email=f"person{i}@example.test") for i in range(2)]
    for u in users:
        u.set_password(PASSWORD)
        u.save()
    client = Client(REMOTE_ADDR="203.0.113.9")
    # Below the per-address limit, one failure on each of many accounts is not a lockout...
    for i in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert _fail(client, f"nobody{i}@example.test").status_code == 200
    ok = client.post(reverse("login"), {"username": users[0].email, "password": PASSWORD})
    assert ok.status_code == 302
    client.logout()
    # ... signing in did not wipe the address's failures on other accounts; one more locks it.
    _fail(client, "one-more@example.test")
    locked = client.post(reverse("login"), {"username": users[1].email, "password": PASSWORD})
    assert locked.status_code == 429
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(reverse("login"), {"username": users[1].email, "password": PASSWORD}).status_code == 302


def test_the_per_account_limit_is_lower_than_the_per_address_one(db):
    assert settings.AXES_FAILURE_LIMIT < settings.AXES_IP_FAILURE_LIMIT
    user = UserFactory(email="pair@example.test")
    user.set_password(PASSWORD)
    user.save()
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "pair@example.test")
    assert client.post(reverse("login"), {"username": "pair@example.test", "password": PASSWORD}).status_code == 429


def test_the_lockout_page_says_the_pause_in_words(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "rm@example.test")
    html = client.post(reverse("login"), {"username": "rm@example.test", "password": PASSWORD}).content.decode()
    assert "paused for 15 minutes" in html
    assert "PT15M" not in html


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (datetime.timedelta(minutes=15), "15 minutes"),
        (datetime.timedelta(minutes=1), "1 minute"),
        (datetime.timedelta(hours=1, minutes=30), "1 hour 30 minutes"),
        (datetime.timedelta(days=1), "1 day"),
    ],
)
def test_duration_filter(delta, words):
    assert Template("{% load durations %}{{ d|duration }}").render(Context({"d": delta})) == words


# --- Logs ---------------------------------------------------------------------------------


def test_the_feed_secret_is_masked_in_django_request_logs(db, client, caplog):
    caplog.handler.addFilter(MaskSecretsInPaths())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/reviews/calendar/feed/42-deadbeefsecret/reviews.ics")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Not Found" in text
    assert "deadbeefsecret" not in text
    assert "/feed/***/reviews.ics" in text


def test_the_logging_settings_mask_the_feed_secret():
    logging_config = settings.LOGGING
    assert "mask_secrets" in logging_config["handlers"]["console"]["filters"]
    assert "mask_secrets" in logging_config["loggers"]["django.request"]["filters"]


def test_gunicorn_access_log_masks_the_feed_secret():
    from gunicorn.config import Config  # noqa: PLC0415

    from core.gunicorn_logging import MaskingLogger  # noqa: PLC0415

    class Resp:
        status = "404 Not Found"
        sent = 10
        headers: list = []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/reviews/calendar/feed/42-deadbeefsecret/reviews.ics",
        "PATH_INFO": "/reviews/calendar/feed/42-deadbeefsecret/reviews.ics",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    atoms = MaskingLogger(Config()).atoms(Resp(), [], environ, datetime.timedelta(seconds=1))
    assert "deadbeefsecret" not in atoms["r"] and "deadbeefsecret" not in atoms["U"]
    gunicorn_conf = (ROOT / "gunicorn.conf.py").read_text()
    assert 'logger_class = "core.gunicorn_logging.MaskingLogger"' in gunicorn_conf


# --- Production start ---------------------------------------------------------------------


def _check(secret_key: str):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=secret_key, ALLOWED_HOSTS="x.test")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _env_example_key() -> str:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError("no SECRET_KEY in .env.example")


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(None, id="the .env.example placeholder"),
        pytest.param("change-me-" + "a" * 60, id="change-me prefix"),
        pytest.param("CHANGE-ME-" + "b" * 60, id="change-me in capitals"),
    ],
)
def test_production_refuses_placeholder_keys(key):
    key = key or _env_example_key()
    assert len(key) >= 50  # long enough: only the name check stops it
    result = _check(key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_their_caching(world):
    client = Client()  # a new client: whitenoise reads its settings when the handler starts
    client.force_login(world.rm)
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_server_error_page_has_no_style_element_the_policy_would_refuse():
    from django.template import loader  # noqa: PLC0415

    html = loader.get_template("500.html").render({})
    assert "<style" not in html and "<script" not in html
    assert "Something went wrong" in html
