"""A long pack spread over workers: parts laid out by separate jobs, merged when the last is in.

Real WeasyPrint, pikepdf and storage. The group runs in this process when jobs run eagerly
(one worker's behaviour); the idempotency tests hand the jobs to Celery's in-memory transport,
which nobody consumes, and run each part's job by hand, in the order a crowd of workers might.
The test with real worker processes is tests/test_pack_workers.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from config.celery_app import app
from governance.models import EvidencePack, PackPart
from governance.packs import services, tasks
from governance.packs.tests.factories import pack, populate

pytestmark = pytest.mark.django_db
Status = EvidencePack.Status


@pytest.fixture
def long_packs(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PACK_SINGLE_PASS_MEASURES = 0  # every full pack goes in chunks
    settings.PACK_CHUNK_MEASURES = 2  # many parts from little data
    populate(world.provider, world.service, user=world.rm, approver=world.ni, size=2)
    return tmp_path


@pytest.fixture
def nobody_consumes():
    """Jobs are sent to Celery's in-memory broker and wait there: each part's job is run by hand."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url="memory://", task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.update(saved)
    app._pool = None
    app.amqp._producer_pool = None


def _text(p: EvidencePack) -> list[str]:
    with p.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    # The pack's own number and the minute it was generated differ between two packs of the same data.
    return [re.sub(r"Pack \d+|\d{1,2} \w{3} \d{4}, \d{2}:\d{2}", "", text) for text in pages]


def _files(root: Path) -> list[Path]:
    return [f for f in (root / "packs" / "parts").rglob("*") if f.is_file()] if (root / "packs").exists() else []


def test_the_job_spreads_a_long_pack_over_parts_and_prints_what_one_process_prints(world, long_packs):
    here = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=here.pk)  # in this process, one chunk after another
    spread = pack(world.provider, [world.service], user=world.quality)
    tasks.render_pack.delay(spread.pk)  # the job: parts as a group (run here, eagerly)
    here.refresh_from_db()
    spread.refresh_from_db()
    assert spread.status == Status.DONE, spread.error
    assert spread.parameters["render_path"] == "distributed"
    assert spread.parameters["render_chunks"] == here.parameters["render_chunks"] > 5
    assert spread.parameters["pdf_structure"] == here.parameters["pdf_structure"]
    assert spread.page_count == here.page_count
    assert _text(spread) == _text(here)
    # Nothing of the parts is left behind: no rows, no files.
    assert not PackPart.objects.exists()
    assert _files(long_packs) == []


def test_parts_run_twice_and_out_of_order_merge_once(world, long_packs, nobody_consumes):
    p = pack(world.provider, [world.service], user=world.quality)
    result = services.pack_render(pack_id=p.pk, job_id="coordinator", distribute=True)
    p.refresh_from_db()
    assert result.path == "distributed" and p.status == Status.RENDERING
    total = p.parts_total
    assert total > 5 and PackPart.objects.filter(pack=p).count() == total
    assert p.progress_note == f"Laying out the PDF: 0 of {total} parts"

    for index in reversed(range(total)):  # any order
        assert services.pack_render_part(pack_id=p.pk, attempt=p.attempts, index=index) == "done"
        if index == total // 2:
            p.refresh_from_db()
            assert p.status == Status.RENDERING and 40 < p.progress < 85
            assert re.fullmatch(rf"Laying out the PDF: \d+ of {total} parts", p.progress_note)
    services.pack_render_part(pack_id=p.pk, attempt=p.attempts, index=0)  # a redelivered part
    p.refresh_from_db()
    assert p.parts_done == total  # counted once

    merged = services.pack_merge(pack_id=p.pk, attempt=p.attempts, job_id="merge-1")
    assert merged.status == Status.DONE, merged.error
    assert merged.parameters["render_workers"] == 1
    assert services.pack_merge(pack_id=p.pk, attempt=p.attempts, job_id="merge-2") is None
    assert services.pack_render_part(pack_id=p.pk, attempt=p.attempts, index=0) == "stale"
    assert _files(long_packs) == []


def test_a_part_of_an_earlier_attempt_does_nothing(world, long_packs, nobody_consumes):
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=p.pk, distribute=True)
    p.refresh_from_db()
    first = p.attempts
    # The reaper gave the pack to a new render (its worker was thought lost): a new attempt, new parts.
    EvidencePack.objects.filter(pk=p.pk).update(status=Status.QUEUED)
    services.pack_render(pack_id=p.pk, distribute=True)
    p.refresh_from_db()
    assert p.attempts == first + 1
    assert services.pack_render_part(pack_id=p.pk, attempt=first, index=0) == "stale"
    assert services.pack_merge(pack_id=p.pk, attempt=first) is None
    assert set(PackPart.objects.filter(pack=p).values_list("attempt", flat=True)) == {first + 1}


def test_a_part_that_cannot_be_laid_out_fails_the_pack_with_its_reason(world, long_packs, nobody_consumes):
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=p.pk, distribute=True)
    part = PackPart.objects.filter(pack=p).first()
    (long_packs / part.html_name).unlink()  # its file lost from the store
    assert services.pack_render_part(pack_id=p.pk, attempt=part.attempt, index=part.index) == "failed"
    p.refresh_from_db()
    assert p.status == Status.FAILED and p.error and not p.file
    assert not PackPart.objects.filter(pack=p).exists() and _files(long_packs) == []


def test_the_merge_waits_for_every_part(world, long_packs, nobody_consumes):
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=p.pk, distribute=True)
    p.refresh_from_db()
    services.pack_render_part(pack_id=p.pk, attempt=p.attempts, index=0)
    assert services.pack_merge(pack_id=p.pk, attempt=p.attempts) is None
    p.refresh_from_db()
    assert p.status == Status.RENDERING and p.merge_started_at is None
