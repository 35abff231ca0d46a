"""Flags follow events through the real worker: from the committed change to the flag, timed.

The worker is started as production starts it (docker-compose.yml's command, production
settings, the runtime role, Redis from REDIS_URL); the test process publishes as the web app
does. A service's change is committed, and the time until the flag has changed is measured
(no scan runs). benchmarks/README.md records the figure. Skipped without REDIS_URL and a
PostgreSQL DATABASE_URL (failing in CI instead).
"""

from __future__ import annotations

import datetime
import re
import time

import pytest

from tests.processes import BOUND, CELERY, Process, compose_command, production_env, runtime_url, wait_until

pytestmark = pytest.mark.worker

GOAL_SECONDS = 60


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_moves_its_flag_within_a_minute(world, services, sending, runtime_database, tmp_path):
    from django.db import transaction
    from django.utils import timezone

    from governance.flags.services import flags_scan_provider
    from governance.models import Flag
    from recovery.models import RecoveryAction
    from recovery.plan.services import action_update
    from recovery.tests.factories import ActionFactory, ThemeFactory

    today = timezone.localdate()
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm, layers=False),
        owner=world.rm,
        status=RecoveryAction.Status.IN_PROGRESS,
        started_on=today - datetime.timedelta(days=30),
        layers=False,
        due_date=today + datetime.timedelta(days=10),
    )
    flags_scan_provider(provider=world.provider)  # the steady state: nothing about A-1 yet
    # A flag at the sibling service no rule wants: the event at Oak House must leave it alone.
    untouched = Flag.objects.create(
        provider=world.provider,
        service=world.sibling,
        kind=Flag.Kind.OVERDUE_ACTION,
        subject_type="action",
        subject_id=999999,
        subject_label="A-999 Elsewhere",
        cause="past_due",
        detail="Kept: another service's flag.",
    )
    open_here = Flag.objects.filter(
        kind=Flag.Kind.OVERDUE_ACTION, subject_type="action", subject_id=action.pk, resolved_at__isnull=True
    )
    assert not open_here.exists()

    env = production_env(tmp_path, runtime_url(runtime_database), services)
    worker = Process([CELERY, *compose_command("worker")[1:]], env, tmp_path / "worker.log")
    timings = []
    try:
        worker.wait_for(r"celery@\S+ ready", timeout=60)
        assert "governance.flags.tasks.reevaluate_flags" in worker.text()

        # Raise: the due date moves into the past.
        with transaction.atomic():
            action_update(actor=world.rm, action=action, due_date=today - datetime.timedelta(days=2))
        committed = time.monotonic()
        wait_until(open_here.exists, "the overdue-action flag", worker, committed + BOUND)
        timings.append(time.monotonic() - committed)

        # Resolve: the due date moves back.
        with transaction.atomic():
            action_update(actor=world.rm, action=action, due_date=today + datetime.timedelta(days=14))
        committed = time.monotonic()
        wait_until(lambda: not open_here.exists(), "the flag's resolution", worker, committed + BOUND)
        timings.append(time.monotonic() - committed)
    finally:
        code = worker.stop()
    log = worker.text()
    print(f"\nEvent to flag change through the worker: raise {timings[0]:.2f} s, resolve {timings[1]:.2f} s")
    assert all(t < GOAL_SECONDS for t in timings), timings
    untouched.refresh_from_db()
    assert untouched.resolved_at is None, "an event at Oak House touched Oak Lodge's flag"
    assert Flag.objects.filter(subject_id=action.pk, kind=Flag.Kind.OVERDUE_ACTION).count() == 1
    assert not re.search(r"\bERROR\b", log), log[-4000:]
    assert code == 0, f"the worker exited {code} on SIGTERM:\n{log[-2000:]}"
