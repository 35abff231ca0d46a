"""A long pack laid out by two worker processes, started as docker-compose.yml starts the worker.

Each worker runs one job at a time (``--concurrency=1``, as two single-process hosts would), so
the pack's parts can only be spread by the broker handing them to both. The pack must come out
whole, say it was laid out by two workers, and leave no parts behind. Skips locally without
REDIS_URL and PostgreSQL; CI runs it.
"""

from __future__ import annotations

import time

import pytest

from tests.processes import BOUND, CELERY, Process, compose_command, production_env, runtime_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_two_workers_share_a_long_pack_and_it_merges_once(world, services, sending, runtime_database, tmp_path):
    from governance.packs.models import EvidencePack, PackPart
    from governance.packs.services import pack_request
    from governance.packs.tests.factories import populate

    populate(world.provider, world.service, user=world.rm, approver=world.ni, size=2)
    env = production_env(tmp_path, runtime_url(runtime_database), services)
    env.update(PACK_SINGLE_PASS_MEASURES="0", PACK_CHUNK_MEASURES="2")
    command = [a for a in compose_command("worker")[1:] if not a.startswith("--concurrency")]
    workers = [
        Process([CELERY, *command, "--concurrency=1", f"--hostname=w{n}@%h"], env, tmp_path / f"w{n}.log")
        for n in (1, 2)
    ]
    try:
        for worker in workers:
            worker.wait_for(r"w\d@\S+ ready", timeout=60)
        pack = pack_request(user=world.quality, provider=world.provider, services=[world.service])
        deadline = time.monotonic() + BOUND
        while not EvidencePack.objects.filter(
            pk=pack.pk, status__in=[EvidencePack.Status.DONE, EvidencePack.Status.FAILED]
        ).exists():
            assert time.monotonic() < deadline, "\n".join(w.text()[-2000:] for w in workers)
            assert all(w.proc.poll() is None for w in workers), "\n".join(w.text()[-2000:] for w in workers)
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.stop()
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.DONE, pack.error
    assert pack.parameters["render_path"] == "distributed"
    assert pack.parameters["render_chunks"] > 5
    assert pack.parameters["render_workers"] == 2
    for worker in workers:
        assert "governance.packs.render_pack_part" in worker.text()
    assert sum("governance.packs.merge_pack" in w.text() for w in workers) >= 1
    assert not PackPart.objects.filter(pack=pack).exists()
    assert (tmp_path / "media" / pack.file.name).read_bytes()[:5] == b"%PDF-"  # the workers' media folder
    assert not [f for f in (tmp_path / "media" / "packs" / "parts").rglob("*") if f.is_file()]
