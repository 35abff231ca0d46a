"""Health probes, request ids and JSON logs (core/health.py, settings.LOGGING, DJANGO_GUID)."""

from __future__ import annotations

import json
import logging
import os
import uuid

import pytest
from django.test import Client, override_settings

from core import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_readiness(monkeypatch):
    """Each test sees its own checks run, not a result another test left for reuse."""
    monkeypatch.setattr(health, "_last_ready", None)


def test_readiness_runs_its_checks_at_most_once_in_a_few_seconds(monkeypatch, settings):
    settings.REDIS_URL = ""
    runs = []
    real = health._readiness_body
    monkeypatch.setattr(health, "_readiness_body", lambda: runs.append(1) or real())
    for _ in range(5):
        assert Client().get("/healthz/ready/").status_code == 200
    assert len(runs) == 1
    monkeypatch.setattr(health, "_last_ready", (0.0, {}, True))  # long ago: checked again
    Client().get("/healthz/ready/")
    assert len(runs) == 2


@override_settings(ALLOWED_HOSTS=["care.example.org"], REDIS_URL="")
def test_probes_answer_the_containers_own_host_but_other_paths_stay_host_checked():
    client = Client()
    assert client.get("/healthz/", HTTP_HOST="localhost:8000").content == b"ok"
    ready = client.get("/healthz/ready/", HTTP_HOST="localhost:8000")
    assert ready.status_code == 200, ready.content
    assert ready.json()["ok"] is True
    assert set(ready.json()["checks"]) >= {"Database", "Cache", "Storage"}
    assert "no-cache" in ready["Cache-Control"]
    # Nothing else is opened to any host: the same Host header on another path is refused.
    assert client.get("/accounts/login/", HTTP_HOST="localhost:8000").status_code == 400
    assert client.get("/healthz/x/", HTTP_HOST="localhost:8000").status_code == 400
    assert client.post("/healthz/", HTTP_HOST="localhost:8000").status_code == 400


def test_readiness_fails_with_the_failing_check_named(settings):
    settings.REDIS_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": "/proc/x"}},
    }
    from django.core.files.storage import storages

    storages._storages.pop("default", None)
    try:
        response = Client().get("/healthz/ready/")
    finally:
        storages._storages.pop("default", None)
    assert response.status_code == 500
    checks = response.json()["checks"]
    assert checks["Storage"]["ok"] is False and checks["Database"]["ok"] is True


def test_heartbeat_and_its_age():
    from core.tasks import heartbeat

    heartbeat.apply()
    age = health.heartbeat_age()
    assert age is not None and age < 5


def test_a_request_id_is_returned_and_a_proxys_uuid_is_kept(client):
    fresh = client.get("/accounts/login/")
    assert len(fresh["X-Request-ID"]) == 32
    given = uuid.uuid4().hex
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    # Not a UUID: not trusted, a new id is made (a log line cannot be forged through it).
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="evil\ninjected")["X-Request-ID"] != "evil\ninjected"


def test_json_log_lines_carry_the_request_id(settings):
    from logging.config import dictConfig

    from django_guid import set_guid

    config = json.loads(json.dumps(settings.LOGGING))
    config["handlers"]["console"]["formatter"] = "json"
    dictConfig(config)
    handler = logging.getLogger().handlers[0]
    set_guid("0123456789abcdef0123456789abcdef")
    record = logging.LogRecord("governance.packs", logging.INFO, __file__, 1, "pack %s ready", (7,), None)
    for f in handler.filters:
        f.filter(record)
    line = json.loads(handler.format(record))
    assert line["message"] == "pack 7 ready"
    assert line["request_id"] == "0123456789abcdef0123456789abcdef"
    assert line["level"] == "INFO" and line["logger"] == "governance.packs"
    dictConfig(settings.LOGGING)


needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")


@needs_redis
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_published_job_carries_the_request_id_and_its_sent_time(settings):
    """The web process publishes; the message in Redis carries the request id and when it was sent,
    which the readiness check turns into the queue's age."""
    import redis
    from django_guid import set_guid

    from config.celery_app import app

    queue = f"health-test-{uuid.uuid4().hex[:8]}"
    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    set_guid("fedcba9876543210fedcba9876543210")
    with app.connection_for_write(os.environ["REDIS_URL"]) as conn:
        # send_task publishes even under the test settings' eager mode (it warns that it does).
        app.send_task("core.heartbeat", queue=queue, connection=conn)
    try:
        message = json.loads(client.lindex(queue, -1))
        assert message["headers"]["X-Request-ID"] == "fedcba9876543210fedcba9876543210"
        waiting, age = health.oldest_queued_age()
        assert waiting == 1 and age is not None and age < 5
        settings.HEALTH_QUEUE_MAX_AGE_SECONDS = -1
        with pytest.raises(Exception, match="waiting"):
            health.QueueAge().run()
    finally:
        client.delete(queue)


def test_probe_command_for_beat():
    from django.core.cache import cache
    from django.core.management import CommandError, call_command

    cache.delete(health.HEARTBEAT_KEY)
    with pytest.raises(CommandError, match="no heartbeat"):
        call_command("probe", "beat")
    health.record_heartbeat()
    call_command("probe", "beat")


@needs_redis
def test_with_a_broker_and_no_worker_readiness_fails_naming_the_workers(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = Client().get("/healthz/ready/")
    assert response.status_code == 500
    checks = response.json()["checks"]
    assert checks["Ping"]["ok"] is False and checks["Database"]["ok"] is True
    assert {"QueueAge", "BeatHeartbeat"} <= set(checks)
