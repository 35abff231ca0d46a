"""Stuck work is recovered: a broker that is down, packs left queued or rendering, Try again.

The broker-down tests point Celery at a closed port on 127.0.0.1 (no mock): the request
must answer at once, keep the pack and say so. The real worker killed mid-render is in
tests/test_stuck_work.py (PostgreSQL and Redis).
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from governance.models import EvidencePack
from governance.packs import services, stuck
from governance.packs.models import RENDERER_UNAVAILABLE, render_stale_after, requeue_after
from governance.packs.tests.factories import pack, populate

Status = EvidencePack.Status
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_producers(app) -> None:
    """Drop Celery's cached broker connections so that a changed ``broker_url`` is used."""
    from kombu import pools

    pools.reset()  # closes every pooled connection and forgets the pools (kept per URL)
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery publishing for real (not eager) to a Redis URL nobody listens on."""
    from config.celery_app import app

    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    url = f"redis://127.0.0.1:{_closed_port()}/13"
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _reset_producers(app)
    try:
        yield url
    finally:
        app.conf.update(saved)
        _reset_producers(app)


def _form(world):
    today = timezone.localdate()
    return {
        "kind": "full",
        "services": [world.service.pk],
        "date_from": today.replace(day=1).isoformat(),
        "date_to": today.isoformat(),
        "key_questions": ["safe", "effective", "caring", "responsive", "well_led"],
        "sections": ["position", "themes", "measures", "manifest"],
    }


def _age(p: EvidencePack, **fields) -> None:
    EvidencePack.objects.filter(pk=p.pk).update(**fields)
    p.refresh_from_db()


# -- The broker is down ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_request_answers_at_once_and_keeps_the_pack(world, login, media, broker_down):
    client = login(world.quality)
    started = time.monotonic()
    response = client.post(reverse("governance:pack_create", args=[world.service.slug]), _form(world), follow=True)
    elapsed = time.monotonic() - started
    assert elapsed < 3, f"the request took {elapsed:.1f} s with the broker down"
    assert response.status_code == 200
    p = EvidencePack.objects.get()
    assert p.status == Status.QUEUED and p.progress_note == RENDERER_UNAVAILABLE
    assert p.renderer_unavailable and p.requested_by == world.quality
    page = response.content.decode()
    assert "The renderer is unavailable just now; your pack is saved" in page
    assert "Your pack is being prepared" not in page  # no contradicting message
    assert "Try again" in page  # and the requester may send it at once
    assert client.get(reverse("governance:pack_download", args=[p.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_action_pack_with_the_broker_down_is_kept_too(world, login, media, broker_down):
    from recovery.tests.factories import ActionFactory, ThemeFactory

    action = ActionFactory(theme=ThemeFactory(service=world.service, owner=world.rm), owner=world.rm)
    started = time.monotonic()
    response = login(world.quality).post(reverse("governance:action_pack_create", args=[action.pk]), follow=True)
    assert time.monotonic() - started < 3
    assert response.status_code == 200 and RENDERER_UNAVAILABLE in response.content.decode()
    assert EvidencePack.objects.get().renderer_unavailable


@pytest.mark.django_db(transaction=True)
def test_the_reaper_with_the_broker_still_down_keeps_the_pack_queued(world, media, broker_down):
    p = pack(world.provider, [world.service], user=world.quality)
    _age(p, queued_at=timezone.now() - requeue_after() - MINUTE)
    result = stuck.packs_reap()
    assert result.requeued == [p.pk]
    p.refresh_from_db()
    assert p.status == Status.QUEUED and p.renderer_unavailable


# -- The reaper ----------------------------------------------------------------------------


def test_the_reaper_sends_a_stale_queued_pack_again_and_it_renders(world, media, django_capture_on_commit_callbacks):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    fresh = pack(world.provider, [world.service], user=world.quality)
    stale = pack(world.provider, [world.service], user=world.quality)
    _age(fresh, queued_at=timezone.now())
    _age(stale, queued_at=timezone.now() - requeue_after() - MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        result = stuck.packs_reap()
    assert result.requeued == [stale.pk] and result.restarted == [] and result.failed == []
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Status.DONE, stale.error  # sent (in-process here) and rendered
    assert stale.file and stale.sha256
    assert fresh.status == Status.QUEUED  # not yet due: left alone


def test_the_reaper_restarts_a_lost_render_then_fails_it_out_of_attempts(world, settings, media):
    settings.PACK_RENDER_ATTEMPTS = 2
    p = pack(world.provider, [world.service], user=world.quality)
    lost = timezone.now() - render_stale_after() - MINUTE
    _age(p, status=Status.RENDERING, started_at=lost, progress=41, progress_note="Laying out", attempts=1)

    first = stuck.packs_reap()  # attempt 1 of 2 was lost: queue it again
    p.refresh_from_db()
    assert first.restarted == [p.pk] and p.status == Status.QUEUED and p.progress == 0
    assert p.progress_note == stuck.SENT_AGAIN and p.is_stuck() is False

    _age(p, status=Status.RENDERING, started_at=lost, attempts=2)  # and attempt 2 was lost too
    second = stuck.packs_reap()
    p.refresh_from_db()
    assert second.failed == [p.pk] and second.restarted == []
    assert p.status == Status.FAILED and "stopped 2 times" in p.error and not p.file
    assert p.is_stuck()  # failed: Try again is offered

    again = stuck.packs_reap()  # idempotent: nothing left to do
    assert again.as_dict() == {"requeued": [], "restarted": [], "failed": []}


def test_a_render_still_within_its_time_limit_is_left_alone(world, media):
    p = pack(world.provider, [world.service], user=world.quality)
    _age(p, status=Status.RENDERING, started_at=timezone.now() - render_stale_after() + MINUTE, attempts=1)
    assert stuck.packs_reap().as_dict() == {"requeued": [], "restarted": [], "failed": []}
    p.refresh_from_db()
    assert p.status == Status.RENDERING and not p.is_stuck()


def test_the_reap_packs_command_runs_the_same_service(world, media):
    p = pack(world.provider, [world.service], user=world.quality)
    _age(p, status=Status.RENDERING, started_at=timezone.now() - render_stale_after() - MINUTE, attempts=9)
    from io import StringIO

    out = StringIO()
    call_command("reap_packs", stdout=out)
    p.refresh_from_db()
    assert p.status == Status.FAILED
    assert f"Failed (out of attempts): 1 ({p.pk})" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_reapers_act_once_on_each_pack(world, media):
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL (CI runs this on PostgreSQL)")
    queued = pack(world.provider, [world.service], user=world.quality)
    lost = pack(world.provider, [world.service], user=world.quality)
    # Sent for real, but to an in-process "memory://" broker (never to REDIS_URL, where other
    # tests' workers would take them): only the row changes are counted.
    from config.celery_app import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="memory://", task_always_eager=False)
    _reset_producers(app)
    _age(queued, queued_at=timezone.now() - requeue_after() - MINUTE)
    _age(lost, status=Status.RENDERING, started_at=timezone.now() - render_stale_after() - MINUTE, attempts=1)
    results, barrier = [], threading.Barrier(4)

    def reap():
        barrier.wait()
        try:
            results.append(stuck.packs_reap())
        finally:
            connection.close()

    threads = [threading.Thread(target=reap) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        app.conf.update(saved)
        _reset_producers(app)
    assert len(results) == 4
    assert sorted(pk for r in results for pk in r.requeued) == [queued.pk]
    assert sorted(pk for r in results for pk in r.restarted) == [lost.pk]


# -- Claims, redelivery and fencing ----------------------------------------------------------


def test_a_redelivered_job_takes_back_its_own_claim_and_others_do_not(world, media):
    p = pack(world.provider, [world.service], user=world.quality)
    assert services.pack_claim(pack_id=p.pk, job_id="job-1")
    assert not services.pack_claim(pack_id=p.pk, job_id="job-2")  # another message for the pack
    assert services.pack_claim(pack_id=p.pk, job_id="job-1")  # job-1's worker died; redelivered
    p.refresh_from_db()
    assert p.status == Status.RENDERING and p.attempts == 2 and p.claimed_by == "job-1"


def test_a_pack_that_keeps_killing_its_worker_is_failed_not_redelivered_forever(world, settings, media):
    settings.PACK_RENDER_ATTEMPTS = 3
    p = pack(world.provider, [world.service], user=world.quality)
    assert all(services.pack_claim(pack_id=p.pk, job_id="job-1") for _ in range(3))
    assert not services.pack_claim(pack_id=p.pk, job_id="job-1")
    p.refresh_from_db()
    assert p.status == Status.FAILED and "stopped 3 times" in p.error


def test_a_render_that_lost_its_claim_cannot_store_or_fail_the_pack(world, media):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    p = pack(world.provider, [world.service], user=world.quality)
    assert services.pack_claim(pack_id=p.pk, job_id="old")
    stale_attempt = 1
    _age(p, attempts=2, claimed_by="new")  # another render holds it now
    services.pack_fail(pack_id=p.pk, error="late failure", attempt=stale_attempt)
    p.refresh_from_db()
    assert p.status == Status.RENDERING and p.error == ""


# -- Try again -------------------------------------------------------------------------------


def test_try_again_renders_a_failed_pack_for_someone_who_may_generate_it(
    world, login, media, django_capture_on_commit_callbacks
):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_fail(pack_id=p.pk, error="The renderer stopped 3 times")
    _age(p, attempts=3)
    client = login(world.ni)
    page = client.get(reverse("governance:pack_detail", args=[p.pk])).content.decode()
    assert "Try again" in page and reverse("governance:pack_retry", args=[p.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("governance:pack_retry", args=[p.pk]))
    assert response.status_code == 302 and response["Location"] == p.get_absolute_url()
    p.refresh_from_db()
    assert p.status == Status.DONE and p.attempts == 1 and p.error == "" and p.sha256

    from auditlog.models import LogEntry

    entry = LogEntry.objects.get_for_object(p).filter(actor=world.ni).latest("timestamp")
    assert entry.changes_dict["status"] == ["failed", "queued"]


def test_try_again_is_for_pack_generators_only(world, login, media):
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_fail(pack_id=p.pk, error="boom")
    for name in ("viewer", "rm", "board"):  # may see the pack, may not generate packs
        client = login(world.users[name])
        page = client.get(reverse("governance:pack_detail", args=[p.pk])).content.decode()
        assert "boom" in page and "Try again" not in page
        assert client.post(reverse("governance:pack_retry", args=[p.pk])).status_code == 403
    assert login(world.outsider).post(reverse("governance:pack_retry", args=[p.pk])).status_code == 404
    assert login(world.quality).get(reverse("governance:pack_retry", args=[p.pk])).status_code == 405
    p.refresh_from_db()
    assert p.status == Status.FAILED


def test_try_again_is_offered_for_a_stuck_pack_but_refused_for_a_healthy_one(world, login, media):
    p = pack(world.provider, [world.service], user=world.quality)
    _age(p, queued_at=timezone.now())
    client = login(world.quality)
    assert "Try again" not in client.get(reverse("governance:pack_status", args=[p.pk])).content.decode()
    response = client.post(reverse("governance:pack_retry", args=[p.pk]), follow=True)
    assert "This pack is not stuck" in response.content.decode()
    p.refresh_from_db()
    assert p.status == Status.QUEUED

    _age(p, status=Status.RENDERING, started_at=timezone.now() - render_stale_after() - MINUTE, progress=41)
    status = client.get(reverse("governance:pack_status", args=[p.pk])).content.decode()
    assert "Try again" in status and "waited longer than it should" in status


def test_download_refuses_every_pack_that_is_not_ready(world, login, media):
    p = pack(world.provider, [world.service], user=world.quality)
    client = login(world.quality)
    for status in (Status.QUEUED, Status.RENDERING, Status.FAILED):
        _age(p, status=status, file="packs/half-written.pdf")  # even if a name were there
        assert client.get(reverse("governance:pack_download", args=[p.pk])).status_code == 404
