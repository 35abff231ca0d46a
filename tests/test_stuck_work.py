"""A real worker killed mid-render: the pack ends ready or failed-with-retry, never stuck.

Runs against PostgreSQL and Redis (``DATABASE_URL``, ``REDIS_URL``): skipped locally without
them, and a failure, not a skip, in CI. The worker is started as the README documents
(``celery -A config worker --loglevel=INFO``), with the environment a deployment gives it plus
two test-only variables: its own queue (``CELERY_QUEUE``, so workers of other tests sharing
the Redis never take these jobs) and ``PACK_RENDER_TEST_DELAY`` (honoured by the test
settings only), which holds each render long enough to be killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from governance.models import EvidencePack
from governance.packs import stuck
from governance.packs.models import render_stale_after
from governance.packs.tests.factories import populate

ROOT = Path(__file__).resolve().parent.parent
Status = EvidencePack.Status
FINISHED = (Status.DONE, Status.FAILED)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _services() -> str:
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url and os.environ.get("DATABASE_URL") and connection.vendor == "postgresql":
        return redis_url
    if os.environ.get("CI") == "true":
        pytest.fail("CI must run the stuck-work tests on PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")
    pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (CI does)")


def _database_url() -> str:
    """The test database this process uses, for the worker to share."""
    d = connection.settings_dict
    auth = quote(d["USER"] or "", safe="")
    if d.get("PASSWORD"):
        auth += ":" + quote(d["PASSWORD"], safe="")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


class Worker:
    """``celery -A config worker --loglevel=INFO`` in its own process group, output in a file."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_children(self) -> list[int]:
        """SIGKILL every pool process (one of them is rendering); the main process lives on."""
        pids = _children(self.proc.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pids

    def kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill_all()
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def real_broker(settings, tmp_path):
    """The web side publishing to Redis for real, on a queue of this test's own."""
    from config.celery_app import app
    from governance.packs.tests.test_recovery import _reset_producers

    redis_url = _services()
    queue = f"st-stuck-{uuid.uuid4().hex[:12]}"
    settings.MEDIA_ROOT = tmp_path / "media"
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue)
    _reset_producers(app)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_QUEUE": queue,
        "PACK_RENDER_TEST_DELAY": "5",
    }
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(env, tmp_path / "worker.log")
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
        app.conf.update(saved)
        _reset_producers(app)
        import redis

        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(redis_url).delete(queue)


def _wait(pack: EvidencePack, done, worker: Worker, seconds: float, what: str) -> EvidencePack:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pack.refresh_from_db()
        if done(pack):
            return pack
        time.sleep(0.2)
    raise AssertionError(f"{what}: pack is {pack.status} {pack.progress_note!r}\n{worker.output()}")


def _request(world, login):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    today = timezone.localdate()
    client = login(world.quality)
    response = client.post(
        reverse("governance:pack_create", args=[world.service.slug]),
        {
            "kind": "full",
            "services": [world.service.pk],
            "date_from": today.replace(day=1).isoformat(),
            "date_to": today.isoformat(),
            "key_questions": ["safe", "effective", "caring", "responsive", "well_led"],
            "sections": ["position", "themes", "measures", "manifest"],
        },
    )
    assert response.status_code == 302
    pack = EvidencePack.objects.get()
    assert not pack.renderer_unavailable, "the broker refused the job"
    return client, pack


def _paused(pack: EvidencePack) -> bool:
    return pack.status == Status.RENDERING and pack.progress_note == "Paused for a test"


def _assert_ready_or_retryable(client, pack: EvidencePack) -> None:
    import hashlib

    assert pack.status in FINISHED, pack.status
    download = client.get(reverse("governance:pack_download", args=[pack.pk]))
    if pack.status == Status.DONE:
        body = b"".join(download.streaming_content)
        assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == pack.sha256
        assert len(body) == pack.size_bytes
    else:  # failed-with-retry: no file served, and the button is there
        assert download.status_code == 404 and not pack.file
        assert "Try again" in client.get(pack.get_absolute_url()).content.decode()


def test_killing_the_worker_child_mid_render_redelivers_the_pack(world, login, real_broker):
    worker = real_broker()
    client, pack = _request(world, login)
    pack = _wait(pack, _paused, worker, 90, "the worker never started the render")
    assert pack.attempts == 1
    # Mid-render: nothing is served.
    assert client.get(reverse("governance:pack_download", args=[pack.pk])).status_code == 404

    killed = worker.kill_children()
    assert killed, "the worker has no pool processes"
    try:
        # Usually the main process requeues the job at once (acks_late, reject_on_worker_lost)
        # and a new pool process takes back its own claim.
        pack = _wait(pack, lambda p: p.status in FINISHED, worker, 60, "not redelivered")
    except AssertionError:
        # Now and then (seen once in CI, under load) the requeue does not happen: the beat's
        # reaper is the safety net, as for a worker killed whole. Either way: never stuck.
        later = timezone.now() + render_stale_after() + timezone.timedelta(minutes=1)
        assert stuck.packs_reap(now=later).restarted == [pack.pk]
        pack = _wait(pack, lambda p: p.status in FINISHED, worker, 120, "the pack was left stuck")
    assert worker.proc.poll() is None  # the main process lived on
    assert pack.status == Status.DONE, pack.error
    assert pack.attempts >= 2  # a later attempt took the claim after the first process died
    _assert_ready_or_retryable(client, pack)


def test_killing_the_whole_worker_mid_render_is_recovered_by_the_reaper(world, login, real_broker):
    worker = real_broker()
    client, pack = _request(world, login)
    pack = _wait(pack, _paused, worker, 90, "the worker never started the render")
    worker.kill_all()  # the message stays unacknowledged in Redis until its visibility timeout

    pack.refresh_from_db()
    assert pack.status == Status.RENDERING and not pack.file
    assert client.get(reverse("governance:pack_download", args=[pack.pk])).status_code == 404

    # Past the render's time limit the reaper (beat, every five minutes) sends it again.
    later = timezone.now() + render_stale_after() + timezone.timedelta(minutes=1)
    assert stuck.packs_reap(now=later).restarted == [pack.pk]
    second = real_broker()
    pack = _wait(pack, lambda p: p.status in FINISHED, second, 120, "the pack was left stuck")
    assert pack.status == Status.DONE, pack.error
    _assert_ready_or_retryable(client, pack)
