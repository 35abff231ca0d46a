"""Rendering packs for real (WeasyPrint, no mocks): what the PDF says, and what happens when it fails."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from governance.models import EvidencePack
from governance.packs import services
from governance.packs.context import build_pack_context
from governance.packs.parameters import SECTIONS
from governance.packs.tests.factories import pack, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _text(p: EvidencePack) -> str:
    with p.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def rendered(world, media):
    made = populate(world.provider, world.service, user=world.rm, approver=world.ni, size=2)
    p = pack(world.provider, [world.service], user=world.quality)
    result = services.pack_render(pack_id=p.pk)
    assert result is not None
    p.refresh_from_db()
    return p, made


def test_full_pack_has_every_section_and_the_data(rendered):
    p, made = rendered
    assert p.status == EvidencePack.Status.DONE, p.error
    text = _flat(_text(p))
    for _, heading in SECTIONS:
        assert heading in text, heading
    assert "OFFICIAL-SENSITIVE" in text
    assert "Oakfield Care Group" in text and "Oak House" in text
    assert made["themes"][0].title in text
    assert "Nobody senior sampled the daily notes." in text  # leadership learning
    assert "Re-audit and family feedback show the change held." in text  # closure rationale
    assert "Only training records: no sign practice changed." in text  # refusal
    assert "Observe two handovers." in text
    assert "What shows staff escalate at night as well as in the day?" in text  # challenge
    assert "Partly assured" in text  # review decision
    assert "Escalation competency check 0" in text and "Family said calls came sooner 0" in text
    assert "The quality lead re-samples five records a month." in text  # embedded learning
    assert "Escalation record sample" in text  # re-audit
    assert f"Page 1 of {p.page_count}" in text and f"Page {p.page_count} of {p.page_count}" in text


def test_pack_facts_are_stored(rendered):
    p, _ = rendered
    with p.file.open("rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF-")
    assert p.size_bytes == len(data)
    assert p.sha256 == hashlib.sha256(data).hexdigest()
    reader = PdfReader(io.BytesIO(data))
    assert p.page_count == len(reader.pages)
    assert reader.metadata.title.startswith("Re-inspection evidence pack")
    assert reader.metadata.author == "Oakfield Care Group"
    assert p.progress == 100 and p.finished_at is not None
    assert p.parameters["pdf_structure"] in {"pdf/ua-1", "tags", "none"}


def test_every_measure_has_a_chart(rendered):
    p, made = rendered
    text = _flat(_text(p))
    # The SPC chart's legend and target label are SVG text: present only if the chart was drawn.
    assert text.count("Target 95%") >= 6
    assert "Escalated on time (closed 1)" in text


def test_manifest_lists_each_cited_file_with_its_hash(rendered):
    p, made = rendered
    text = "".join(_text(p).split())  # hashes may wrap across lines in the narrow column
    for item in made["evidence"]:
        with item.file.open("rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        assert digest == item.file_sha256
        assert digest in text, item.title


def test_sections_and_key_questions_can_be_left_out(world, media):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    p = pack(
        world.provider,
        [world.service],
        user=world.quality,
        parameters={"sections": ["feedback"], "key_questions": ["caring"]},
    )
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    text = _flat(_text(p))
    assert "People's and families' feedback" in text
    assert "Evidence manifest" not in text and "Trend data" not in text


def test_commissioner_update_fits_two_pages(world, media):
    populate(world.provider, world.service, user=world.rm, approver=world.ni, size=3)
    p = pack(world.provider, [world.service], user=world.quality, kind=EvidencePack.Kind.COMMISSIONER)
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    assert p.status == EvidencePack.Status.DONE, p.error
    assert p.page_count <= 2
    text = _flat(_text(p))
    assert "Commissioner update" in text and "Measures" in text and "Position" in text


def test_action_pack_follows_one_action(world, media):
    made = populate(world.provider, world.service, user=world.rm, approver=world.ni)
    action = made["closed"][0]
    p = pack(world.provider, [world.service], user=world.quality, kind=EvidencePack.Kind.ACTION, action=action)
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    assert p.status == EvidencePack.Status.DONE, p.error
    text = _flat(_text(p))
    for expected in (
        f"A-{action.pk} {action.title}",
        "Escalation was late in 6 of 10 sampled records.",
        "People whose health changes are seen promptly.",
        "Check notes each shift",
        "Re-audit and family feedback show the change held.",
        "Timeline",
        "Evidence manifest",
        "Target 95%",
    ):
        assert expected in text, expected


def test_a_failed_render_shows_why_and_stores_nothing(world, media):
    p = pack(world.provider, [world.service], user=world.quality, parameters={"date_from": "last spring"})
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    assert p.status == EvidencePack.Status.FAILED
    assert "not a date" in p.error
    assert not p.file
    assert not any(media.rglob("*.pdf"))


def test_a_template_error_fails_the_pack_too(world, media, monkeypatch):
    monkeypatch.setitem(services.TEMPLATES, EvidencePack.Kind.FULL, "governance/packs/pdf/missing.html")
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    assert p.status == EvidencePack.Status.FAILED and "TemplateDoesNotExist" in p.error
    assert not p.file and not any(media.rglob("*.pdf"))


def test_rendering_twice_is_harmless(rendered):
    p, _ = rendered
    sha = p.sha256
    assert services.pack_render(pack_id=p.pk) is None  # already done: not claimed again
    p.refresh_from_db()
    assert p.sha256 == sha


def _context_queries(world) -> tuple[int, int]:
    p = pack(world.provider, [world.service, world.sibling], user=world.quality)
    p = EvidencePack.objects.select_related("provider", "requested_by").get(pk=p.pk)
    with CaptureQueriesContext(connection) as ctx:
        context = build_pack_context(p)
    return len(ctx.captured_queries), len(context["measures"])


def test_context_queries_do_not_grow_with_the_data(world):
    populate(world.provider, world.service, user=world.rm, approver=world.ni, size=1)
    small, measures = _context_queries(world)
    populate(world.provider, world.sibling, user=world.rm, approver=world.ni, size=4)
    large, more_measures = _context_queries(world)
    assert (measures, more_measures) == (3, 15)
    assert small == large, f"{small} queries for 1 set, {large} for 5"
