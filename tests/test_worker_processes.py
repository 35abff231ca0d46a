"""The worker and beat as production starts them, doing one job of every kind.

The command lines are read from docker-compose.yml (and checked against the README), run as
subprocesses with the production settings, the real Redis from REDIS_URL and this test's
PostgreSQL database, connecting as the runtime role production uses (``grant_runtime_role``).
The jobs are queued the way the app queues them: the beat's scan and digest tasks, and a pack
requested through the service. Each must finish within a bound.

Locally the test skips without REDIS_URL and a PostgreSQL DATABASE_URL; in CI (CI=true) a
missing service fails it. Under xdist each process uses its own Redis database and its own
test database, so no worker takes another's jobs.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import secrets
import shelve
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")
BOUND = 120  # seconds for all three jobs

pytestmark = pytest.mark.worker


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


def test_the_readme_and_compose_start_the_same_worker_and_beat():
    readme = (ROOT / "README.md").read_text()
    for service in ("worker", "beat"):
        args = compose_command(service)
        assert args[:4] == ["celery", "-A", "config", service]
        assert "--loglevel=INFO" in args
        assert f"celery -A config {service} --loglevel=INFO" in readme


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


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_scan_a_digest_and_a_pack(world, services, sending, runtime_database, tmp_path):
    from governance.digests import tasks as digest_tasks
    from governance.flags import tasks as flag_tasks
    from governance.models import DigestSent, Flag
    from governance.packs.models import EvidencePack
    from governance.packs.services import pack_request
    from recovery.models import RecoveryAction
    from recovery.tests.factories import ActionFactory, ThemeFactory

    today = datetime.date.today()
    ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        status=RecoveryAction.Status.IN_PROGRESS,
        started_on=today - datetime.timedelta(days=30),
        due_date=today - datetime.timedelta(days=2),
    )
    env = production_env(tmp_path, runtime_url(runtime_database), services)
    worker = Process([CELERY, *compose_command("worker")[1:]], env, tmp_path / "worker.log")
    try:
        worker.wait_for(r"celery@\S+ ready", timeout=60)
        banner = worker.text()
        for name in ("governance.flags.tasks.scan_all", "governance.digests.tasks.send_digest", "render_pack"):
            assert name in banner, f"{name} is not among the worker's tasks"

        # As beat sends them, and as the pack form's service queues a render (on commit).
        flag_tasks.scan_all.delay()
        digest_tasks.send_weekly_digests.delay()
        pack = pack_request(user=world.quality, provider=world.provider, services=[world.service])
        deadline = time.monotonic() + BOUND

        wait_until(
            lambda: Flag.objects.filter(kind=Flag.Kind.OVERDUE_ACTION, provider=world.provider).exists(),
            "the overdue-action flag",
            worker,
            deadline,
        )
        wait_until(
            lambda: DigestSent.objects.filter(user=world.rm, kind="weekly").exists(),
            "the RM's digest",
            worker,
            deadline,
        )
        mails = wait_until(lambda: list((tmp_path / "mail").iterdir()), "the digest email", worker, deadline)
        wait_until(
            lambda: EvidencePack.objects.filter(
                pk=pack.pk, status__in=[EvidencePack.Status.DONE, EvidencePack.Status.FAILED]
            ).exists(),
            "the pack",
            worker,
            deadline,
        )
    finally:
        code = worker.stop()
    log = worker.text()
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.DONE, pack.error
    data = (tmp_path / "media" / pack.file.name).read_bytes()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == pack.sha256
    assert "recovery digest" in "".join(p.read_text(errors="replace") for p in mails)
    assert world.rm.email in mails[0].read_text(errors="replace")
    assert "unregistered task" not in log
    assert not re.search(r"\bERROR\b", log), log[-4000:]
    assert code == 0, f"the worker exited {code} on SIGTERM:\n{log[-2000:]}"


def test_beat_starts_reads_the_schedule_and_stops_cleanly(services, tmp_path):
    args = compose_command("beat")[1:]
    schedule = tmp_path / "celerybeat-schedule"
    if "--schedule" in args:  # the compose file's path is the container's; this run's is its own
        args[args.index("--schedule") + 1] = str(schedule)
    else:
        args += ["--schedule", str(schedule)]
    env = production_env(tmp_path, os.environ.get("DATABASE_URL", ""), services)
    beat = Process([CELERY, *args], env, tmp_path / "beat.log")
    try:
        beat.wait_for(r"beat: Starting\.\.\.", timeout=60)
        time.sleep(2)  # a tick: the scheduler has set up its entries
    finally:
        code = beat.stop()
    log = beat.text()
    assert code == 0, f"beat exited {code} on SIGTERM:\n{log[-2000:]}"
    assert "Traceback" not in log, log[-4000:]
    stored = shelve.open(str(schedule), flag="r")  # noqa: S301, SIM115 - our beat wrote it; closed below
    try:
        entries = set(stored["entries"])
    finally:
        stored.close()
    assert set(settings.CELERY_BEAT_SCHEDULE) <= entries
