"""Real processes for the tests that run the app as production runs it (a pytest plugin).

The worker and beat command lines come from docker-compose.yml; ``production_env`` is the
environment they get (production settings, this test's databases); ``services`` is this test
process's own Redis database (checked, and failing in CI when a service is missing);
``sending`` makes the test process publish to it as the web app does. Registered in the root
conftest.py, so any test can ask for these fixtures.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")
BOUND = 120  # seconds for all three jobs


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}: CI must run the worker test against real services")
    pytest.skip(reason)


@pytest.fixture
def services() -> str:
    """This process's Redis URL (its own database number), after checking both services are set."""
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        _unavailable("REDIS_URL is not set")
    if connection.vendor != "postgresql":
        _unavailable("DATABASE_URL is not PostgreSQL")
    import redis

    parts = urlsplit(redis_url)
    base = int(parts.path.strip("/") or 0)
    index = int(re.sub(r"\D", "", os.environ.get("PYTEST_XDIST_WORKER", "gw0")) or 0)
    url = urlunsplit(parts._replace(path=f"/{(base - index) % 16}"))
    client = redis.Redis.from_url(url)
    client.ping()
    client.delete("celery", "unacked", "unacked_index")  # leftovers of an interrupted run
    return url


def compose_command(service: str) -> list[str]:
    text = (ROOT / "docker-compose.yml").read_text()
    block = re.search(rf"^  {service}:\n(.*?)(?=^  \S|\Z)", text, re.M | re.S)
    assert block, f"no {service} service in docker-compose.yml"
    command = re.search(r"^    command: (.+)$", block.group(1), re.M)
    assert command, f"the {service} service has no one-line command"
    return shlex.split(command.group(1))


def runtime_url(database: dict) -> str:
    user, password = quote(database["USER"], safe=""), quote(database["PASSWORD"] or "", safe="")
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{user}:{password}@{host}:{database['PORT'] or 5432}/{database['NAME']}"


def production_env(tmp_path: Path, database_url: str, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PYTEST_"))}
    (tmp_path / "mail").mkdir()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MEDIA_ROOT=str(tmp_path / "media"),
        EMAIL_URL=f"filemail:///{tmp_path / 'mail'}",  # an absolute path after the scheme's ///
        PYTHONUNBUFFERED="1",
    )
    return env


class Process:
    """A subprocess logging to a file; stopped with SIGTERM (a warm shutdown) and checked."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text()):
            if self.proc.poll() is not None:
                pytest.fail(f"exited {self.proc.returncode} before {pattern!r}:\n{self.text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} after {timeout} s:\n{self.text()[-4000:]}")
            time.sleep(0.2)

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.proc.returncode


def wait_until(check, what: str, worker: Process, deadline: float):
    while True:
        result = check()
        if result:
            return result
        if worker.proc.poll() is not None:
            pytest.fail(f"the worker exited ({worker.proc.returncode}) waiting for {what}:\n{worker.text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not done after {BOUND} s:\n{worker.text()[-4000:]}")
        time.sleep(0.5)


@pytest.fixture
def sending(services):
    """The test process sends to this Redis, as the web app does with REDIS_URL set."""
    from config.celery_app import app

    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}

    def reset_pools():  # as Celery does after a fork: the next send makes pools for the new broker
        app._pool = None  # (not closed: kombu shares pools between equal connections)
        app.amqp._producer_pool = None

    app.conf.update(broker_url=services, result_backend=services, task_always_eager=False)
    reset_pools()
    yield app
    app.conf.update(saved)
    reset_pools()
