"""Health: what the container probes, the load balancer and an operator ask of a running app.

- ``/healthz/`` (liveness): the process answers and the database responds. Cheap; the compose
  web healthcheck and the image's HEALTHCHECK call it.
- ``/healthz/ready/`` (readiness): every dependency, through django-health-check's checks:
  the database, the cache (Redis when configured), the file storage (local or S3), and, with a
  broker, the Celery workers (ping), the age of the oldest message waiting in the queue and
  beat's heartbeat. JSON; 500 when a check fails.

Both answer before host validation (``HealthProbeMiddleware`` is first in MIDDLEWARE), so the
container's own probe of ``localhost`` gets an answer whatever ALLOWED_HOSTS says. Only these
two exact paths and only GET/HEAD are answered that way; every other path still goes through
host validation, sessions and the permission policy. Neither says anything about care data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz/"
READINESS_PATH = "/healthz/ready/"
HEARTBEAT_KEY = "health:beat-heartbeat"
# The header each published task carries: when it was sent (core.apps connects the signal).
SENT_AT_HEADER = "sent_at"


def stamp_sent_at(headers=None, **kwargs) -> None:
    """Celery ``before_task_publish``: note the publish time, so the queue's age can be read."""
    if headers is not None:
        headers.setdefault(SENT_AT_HEADER, time.time())


def _redis():
    import redis

    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        socket_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
    )


def oldest_queued_age(now: float | None = None) -> tuple[int, float | None]:
    """(messages waiting, age in seconds of the oldest) in the default queue, read from Redis.

    kombu pushes new messages on the left and workers take from the right, so the oldest is
    at index -1. A message without our header (sent by an older release) has no age.
    """
    client = _redis()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    waiting = client.llen(queue)
    if not waiting:
        return 0, None
    raw = client.lindex(queue, -1)
    try:
        sent = json.loads(raw)["headers"][SENT_AT_HEADER]
    except (TypeError, ValueError, KeyError):
        return waiting, None
    return waiting, max(0.0, (now or time.time()) - float(sent))


@dataclasses.dataclass
class QueueAge(HealthCheck):
    """The oldest job waiting for a worker has waited less than HEALTH_QUEUE_MAX_AGE_SECONDS."""

    def run(self):
        try:
            waiting, age = oldest_queued_age()
        except Exception as exc:  # redis errors do not subclass the builtins
            raise ServiceUnavailable("Broker unreachable") from exc
        limit = settings.HEALTH_QUEUE_MAX_AGE_SECONDS
        if age is not None and age > limit:
            raise ServiceUnavailable(f"{waiting} jobs waiting; the oldest for {age:.0f} s (limit {limit} s)")


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """Beat sends ``core.heartbeat`` every minute and a worker runs it: both are alive."""

    def run(self):
        age = heartbeat_age()
        limit = settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS
        if age is None:
            raise ServiceUnavailable("No heartbeat from beat yet")
        if age > limit:
            raise ServiceUnavailable(f"Last heartbeat {age:.0f} s ago (limit {limit} s)")


def record_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def heartbeat_age() -> float | None:
    beat = cache.get(HEARTBEAT_KEY)
    return None if beat is None else max(0.0, time.time() - float(beat))


def readiness_checks() -> list[HealthCheck]:
    checks: list[HealthCheck] = [Database(), Cache(), Storage()]
    # Jobs run by workers only with a broker and not eagerly (eager runs them in-process: the demo,
    # and the test settings, which keep REDIS_URL for the cache and the worker tests).
    if settings.REDIS_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        from health_check.contrib.celery import Ping

        from config.celery_app import app

        checks += [Ping(app=app), QueueAge(), BeatHeartbeat()]
    return checks


def liveness(request) -> HttpResponse:
    """The app answers and the database responds (one query)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Liveness: the database did not answer")
        response = HttpResponse("database unavailable", status=503, content_type="text/plain")
    else:
        response = HttpResponse("ok", content_type="text/plain")
    add_never_cache_headers(response)
    return response


async def _run(checks):
    return await asyncio.gather(*(check.get_result() for check in checks))


# /healthz/ready/ is public and its storage check writes and deletes an object: a process runs
# the checks at most once per READY_REUSE_SECONDS and answers from that result in between, so a
# flood of probes costs no more than one round of checks every few seconds.
READY_REUSE_SECONDS = 5.0
_last_ready: tuple[float, dict, bool] | None = None


def readiness(request) -> JsonResponse:
    global _last_ready
    now = time.monotonic()
    if _last_ready is not None and now - _last_ready[0] < READY_REUSE_SECONDS:
        _, body, failed = _last_ready
    else:
        body, failed = _readiness_body()
        _last_ready = (now, body, failed)
    response = JsonResponse({"ok": not failed, "checks": body}, status=500 if failed else 200)
    add_never_cache_headers(response)
    return response


def _readiness_body() -> tuple[dict, bool]:
    results = asyncio.run(_run(readiness_checks()))
    body = {
        type(result.check).__name__: {
            "ok": result.error is None,
            "status": "OK" if result.error is None else str(result.error),
            "seconds": round(result.time_taken, 3),
        }
        for result in results
    }
    return body, any(result.error for result in results)


PROBES = {LIVENESS_PATH: liveness, READINESS_PATH: readiness}


class HealthProbeMiddleware:
    """Answers the two health paths before anything reads the Host header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
