"""A long pack laid out in chunks and merged (real WeasyPrint and pikepdf, tiny chunks on small data)."""

from __future__ import annotations

import hashlib
import io
import re

import pikepdf
import pytest
from pypdf import PdfReader

from governance.models import EvidencePack
from governance.packs import chunked, services
from governance.packs.context import build_pack_context
from governance.packs.parameters import SECTIONS
from governance.packs.tests.factories import pack, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def chunked_pack(world, media, settings):
    settings.PACK_SINGLE_PASS_MEASURES = 0  # every full pack goes in chunks
    settings.PACK_CHUNK_MEASURES = 2  # two charts' worth a chunk: many chunks from little data
    made = populate(world.provider, world.service, user=world.rm, approver=world.ni, size=2)
    p = pack(world.provider, [world.service], user=world.quality)
    result = services.pack_render(pack_id=p.pk)
    assert result is not None
    p.refresh_from_db()
    assert p.status == EvidencePack.Status.DONE, p.error
    with p.file.open("rb") as fh:
        data = fh.read()
    return p, made, data, PdfReader(io.BytesIO(data))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_small_full_packs_stay_one_tagged_document(world, media):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    assert p.parameters["render_path"] == "single" and p.parameters["render_chunks"] == 1
    assert p.parameters["pdf_structure"] in {"pdf/ua-1", "tags"}


def test_the_merged_pack_has_every_section_the_data_and_its_stored_facts(chunked_pack):
    p, made, data, reader = chunked_pack
    assert p.parameters["render_path"] == "chunked"
    assert p.parameters["render_chunks"] > 5
    assert p.parameters["pdf_structure"] in {"pdf/ua-1", "tags"}  # the chunks' tags are kept
    assert data.startswith(b"%PDF-")
    assert p.sha256 == hashlib.sha256(data).hexdigest()
    assert p.size_bytes == len(data) and p.page_count == len(reader.pages)
    assert reader.metadata.title.startswith("Re-inspection evidence pack")
    assert reader.metadata.author == "Oakfield Care Group"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    text = _flat("\n".join(page.extract_text() for page in reader.pages))
    for number, (_, heading) in enumerate(SECTIONS, start=1):
        assert f"{number}. {heading}" in text, heading
    assert made["themes"][0].title in text and made["themes"][1].title in text
    assert "Re-audit and family feedback show the change held." in text
    assert "Only training records: no sign practice changed." in text
    assert text.count("Target 95%") >= 6  # every measure's chart was drawn
    compact = "".join(text.split())
    for item in made["evidence"]:
        assert item.file_sha256 in compact, item.title


def test_footers_number_every_page_of_the_whole_pack(chunked_pack):
    p, _, _, reader = chunked_pack
    total = len(reader.pages)
    assert p.page_count == total
    for index, page in enumerate(reader.pages, start=1):
        footers = re.findall(r"Page (\d+) of (\d+)", page.extract_text())
        assert footers == [(str(index), str(total))], (index, footers)
    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert f"Page 1 of {total}" in first and f"Page {total} of {total}" in last
    # The running header is on every page but the cover, as in a single document.
    assert "Oakfield Care Group" in _flat(reader.pages[1].extract_text())
    assert "OFFICIAL-SENSITIVE" in reader.pages[-1].extract_text()
    # The manifest's pages are landscape, as in a single document, and so is their footer's page.
    manifest = _contents(reader)["11. Evidence manifest"]
    assert all(page.mediabox.width > page.mediabox.height for page in reader.pages[manifest - 1 :])
    assert all(page.mediabox.width < page.mediabox.height for page in reader.pages[: manifest - 1])


def _contents(reader: PdfReader) -> dict[str, int]:
    text = reader.pages[1].extract_text()
    assert "Contents" in text
    found = {}
    for line in text.splitlines():
        match = re.match(r"\s*(\d+\. .+?)\s*\.{3,}\s*(\d+)\s*$", line)
        if match:
            found[match.group(1)] = int(match.group(2))
    return found


def test_contents_page_numbers_links_and_bookmarks_point_at_the_sections(chunked_pack):
    _, _, _, reader = chunked_pack
    contents = _contents(reader)
    assert len(contents) == len(SECTIONS)
    texts = [_flat(page.extract_text()) for page in reader.pages]
    for heading, number in contents.items():
        first = next(i for i, t in enumerate(texts) if i > 1 and heading in t) + 1
        assert first == number, heading
    assert list(contents.values()) == sorted(contents.values())
    targets = sorted(
        reader.get_page_number(annot.get_object()["/Dest"][0].get_object()) + 1
        for annot in reader.pages[1]["/Annots"]
        if annot.get_object()["/Subtype"] == "/Link"
    )
    assert targets == sorted(contents.values())
    outline = [item for item in reader.outline if not isinstance(item, list)]
    bookmarks = {item.title: reader.get_destination_page_number(item) + 1 for item in outline}
    for heading, number in contents.items():
        assert bookmarks[heading] == number


def test_the_plan_places_every_item_once_in_order(world):
    populate(world.provider, world.service, user=world.rm, approver=world.ni, size=3)
    p = pack(world.provider, [world.service], user=world.quality)
    ctx = build_pack_context(p)
    plan = chunked.plan(ctx, budget=1.5)
    assert len(plan) > 5
    pieces = [piece for chunk in plan for piece in chunk]
    assert [p.key for p in pieces if p.first] == [key for key, _ in SECTIONS]
    for chunk in plan:
        assert sum(piece.cost for piece in chunk) <= 1.5 or len(chunk) == 1
    for key, parts in chunked.PARTS.items():
        for part, var, _ in parts:
            if var is None:
                continue
            runs = [(piece.start, piece.stop) for piece in pieces if piece.key == key and piece.part == part]
            assert runs[0][0] == 0 and runs[-1][1] == len(ctx[var])
            assert all(a[1] == b[0] for a, b in zip(runs, runs[1:], strict=False)), key


def _destination_page(pdf: pikepdf.Pdf, dest, names: dict) -> int:
    if isinstance(dest, pikepdf.String):
        dest = names[str(dest)]
    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.D
    return pdf.pages.index(pikepdf.Page(dest[0]))


def _check_links_and_outline(pdf: pikepdf.Pdf) -> None:
    """Every link and bookmark lands on a page of the pack; the contents link each section."""
    names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                assert 0 <= _destination_page(pdf, annot.Dest, names) < len(pdf.pages)
    contents = [a for a in pdf.pages[1].obj.get("/Annots", []) if a.get("/Subtype") == "/Link"]
    assert len(contents) == len(SECTIONS)
    with pdf.open_outline() as outline:
        top = list(outline.root)
        assert [item.title for item in top[-len(SECTIONS) :]] == [f"{n}. {h}" for n, (_, h) in enumerate(SECTIONS, 1)]
        for item in top:
            assert 0 <= _destination_page(pdf, item.destination, names) < len(pdf.pages)


def test_every_internal_link_and_bookmark_lands_on_a_page_of_the_pack(chunked_pack):
    p, _, data, _ = chunked_pack
    pdf = pikepdf.open(io.BytesIO(data))
    _check_links_and_outline(pdf)
    assert p.page_count == len(pdf.pages)


def test_a_pack_too_long_to_tag_is_merged_untagged_and_says_so(world, media, settings, monkeypatch):
    monkeypatch.setattr(chunked, "TAGGED_MERGE_MAX_COST", 0)  # as the large provider's pack is
    settings.PACK_SINGLE_PASS_MEASURES = 0
    settings.PACK_CHUNK_MEASURES = 2
    populate(world.provider, world.service, user=world.rm, approver=world.ni, size=1)
    p = pack(world.provider, [world.service], user=world.quality)
    services.pack_render(pack_id=p.pk)
    p.refresh_from_db()
    assert p.status == EvidencePack.Status.DONE, p.error
    assert p.parameters["render_path"] == "chunked" and p.parameters["pdf_structure"] == "none"
    with p.file.open("rb") as fh:
        pdf = pikepdf.open(io.BytesIO(fh.read()))
    assert "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root
    with pdf.open_metadata() as meta:
        assert "pdfuaid:part" not in meta  # no claim it cannot keep
    assert str(pdf.Root.Lang) == "en-GB" and p.page_count == len(pdf.pages)
    _check_links_and_outline(pdf)


def _elements(element, found):
    if isinstance(element, pikepdf.Dictionary) and element.get("/Type") != "/OBJR":
        found.append(element)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            _elements(kid, found)
    return found


def test_the_merged_pack_is_one_tagged_document(chunked_pack):
    p, _, data, _ = chunked_pack
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root
    assert root.MarkInfo.Marked is True and str(root.Lang) == "en-GB"
    assert root.ViewerPreferences.DisplayDocTitle is True
    with pdf.open_metadata() as meta:
        assert meta["dc:title"].startswith("Re-inspection evidence pack")
        assert (meta.get("pdfuaid:part") == "1") == (p.parameters["pdf_structure"] == "pdf/ua-1")
    tree = root.StructTreeRoot
    (document,) = tree.K
    assert document.S == "/Document"
    elements = _elements(document, [])
    assert all(kid.P.objgen == document.objgen for kid in document.K)
    pages = {page.obj.objgen for page in pdf.pages}
    assert all(e.Pg.objgen in pages for e in elements if "/Pg" in e)  # no element points outside the pack
    headings = [e for e in elements if e.S == "/H1"]
    assert len(headings) >= len(SECTIONS)  # every chunk's headings are in the one tree
    parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
    assert int(tree.ParentTreeNextKey) > max(parents)
    keys = [int(page.obj.StructParents) for page in pdf.pages]
    assert len(set(keys)) == len(keys) == len(pdf.pages)  # renumbered: no two pages share a key
    for page, key in zip(pdf.pages, keys, strict=True):
        marked = [e for e in parents[key] if isinstance(e, pikepdf.Dictionary)]
        assert marked and all(e.get("/Pg", page.obj).objgen == page.obj.objgen for e in marked)
    links = 0
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            element = parents[int(annot.StructParent)]
            assert element.S == "/Link"
            objrs = [k for k in element.K if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
            assert any(k.Obj.objgen == annot.objgen for k in objrs)
            links += 1
    assert links >= len(SECTIONS)
