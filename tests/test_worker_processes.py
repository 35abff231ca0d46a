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
import shelve
import time

import pytest
from django.conf import settings

from tests.processes import (
    BOUND,
    CELERY,
    ROOT,
    Process,
    compose_command,
    production_env,
    runtime_url,
    wait_until,
)

pytestmark = pytest.mark.worker


def test_the_readme_and_compose_start_the_same_worker_and_beat():
    readme = (ROOT / "README.md").read_text()
    for service in ("worker", "beat"):
        args = compose_command(service)
        assert args[:4] == ["celery", "-A", "config", service]
        assert "--loglevel=INFO" in args
        assert f"celery -A config {service} --loglevel=INFO" in readme


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
