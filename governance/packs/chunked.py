"""A long full pack rendered in bounded chunks and merged, so memory stays flat whatever its size.

WeasyPrint keeps a whole document's layout (every box, every parsed SVG tree) until it has
written the PDF: a provider-wide pack of 2,000 trend charts passed 4 GiB. Here the pack is cut
into chunks of about ``PACK_CHUNK_MEASURES`` charts' worth of content (whole sections, or runs of
a long section's charts, cards or rows), each chunk is laid out and written on its own (tagged
as a single document is, ``rendering.write_pdf``, if the pack is not too long) and its layout
freed, and the chunks' PDFs are joined with pikepdf (qpdf; ``merge.Merger``) at the end.
What a reader sees stays the same:

* the cover and contents are laid out last, as the first chunk, once the page on which every
  section starts is known (the contents print those numbers instead of ``target-counter``, and
  link to the pages);
* "Page X of Y" over the whole pack comes from a footer overlay, laid out by WeasyPrint in one go
  (one empty page per page of the pack, same sizes, same margin box and style) and drawn over
  each page as a pagination artifact, since a chunk cannot know the total when it is laid out;
* the running header and footer text, the PDF metadata, the bookmarks (rebuilt from the chunks'
  headings at their levels), the chunks' own links and named destinations, and landscape pages
  are as in a single document;
* up to ``TAGGED_MERGE_MAX_COST`` (1,000 charts' worth, about five services) the file is tagged
  like a single document: each chunk's structure tree goes under one ``Document`` element,
  the parent tree is renumbered, the contents' links (added after the
  merge) get their ``OBJR`` in WeasyPrint's Link elements, and the catalog carries ``MarkInfo``,
  ``Lang``, ``DisplayDocTitle`` and the front's XMP. It is PDF/UA-1 (``pdfuaid:part``) only if
  every chunk was written as PDF/UA-1; if one fell back to plain tags it is "tags", and if one
  could not be tagged at all, "none" (``pack.parameters["pdf_structure"]``). Checked by the
  tests' structure walk and ``qpdf --check``, not by a PDF/UA validator (none is installed).
  **Longer packs are untagged** ("none"): qpdf would hold their structure trees in memory past
  the 1 GiB bound (see ``TAGGED_MERGE_MAX_COST``). Tagging those would need a merge that writes
  as it goes (the hand-written writer this replaced did, without tags) or a smaller tree.

Differences: where a long section continues in the next chunk it starts a new page (the last
page of the chunk before may be part-filled). Packs up to ``PACK_SINGLE_PASS_MEASURES`` charts'
worth stay a single document; ``pack.parameters["render_path"]`` records which path a pack took.

Why two paths and not one: a single document is the better layout (sections flow across pages,
``target-counter`` page numbers, WeasyPrint's own footer) and is cheaper for a short pack (no
second front layout, no overlay layout, no merge), and the commissioner and action packs are
single documents by design. Chunking is what bounds memory on a long pack; always chunking would
cost short packs their continuous flow for nothing, never chunking would cost long ones gigabytes.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from governance.packs import rendering
from governance.packs.merge import Bookmark, Merger
from governance.packs.parameters import SECTIONS

CHUNK_TEMPLATE = "governance/packs/pdf/chunk.html"
OVERLAY_TEMPLATE = "governance/packs/pdf/overlay.html"
SECTION_TEMPLATE = "governance/packs/pdf/sections/{}.html"
PT_PER_PX = 0.75  # WeasyPrint lays out in CSS px; PDF user space is in points

# What one item of each kind costs to lay out, in trend charts (the measure chart is the unit).
CHART, SMALL_CHART, CARD, ROW = 1.0, 0.5, 0.25, 0.05

# Chunked packs costing up to this are written tagged and merged with their structure trees;
# longer ones untagged. qpdf holds every object of the merge in memory (about 1.5 KiB each,
# sources and output), and a tagged chunk has one object per structure element: tagged, the
# large provider's pack (2,100 pages) passed 1.2 GiB, layout and merge together, before half its
# chunks were in, against 1 GiB for the whole render.
TAGGED_MERGE_MAX_COST = 1000.0

# (section, part, list in the context, cost per item); a list of None: the section goes whole.
PARTS: dict[str, list[tuple[str, str | None, float]]] = {
    "position": [("", None, 1.0)],
    "themes": [("", "themes", CARD)],
    "actions_completed": [("", "completed", CARD)],
    "actions_open": [("open", "open_actions", ROW), ("monitoring", None, 1.0)],
    "audits": [("trends", "audit_trends", SMALL_CHART), ("table", "audits", ROW)],
    "measures": [("", "measures", CHART)],
    "competency": [("", "competency", ROW)],
    "feedback": [("", "feedback", ROW)],
    "challenge": [("", None, 1.0)],
    "embedded": [("", "embedded", CARD)],
    "manifest": [("", "manifest", ROW)],
}
assert set(PARTS) == {key for key, _ in SECTIONS}


@dataclass
class Piece:
    """Part of one section placed in a chunk: the whole section, or a run of one of its lists."""

    key: str
    number: int
    title: str
    anchor: str
    first: bool  # carries the section's heading (and its anchor)
    part: str
    var: str | None
    start: int
    stop: int
    continued: bool  # a later run of the same list: no introduction or sub-heading again
    cost: float
    html: str = ""

    @property
    def wide(self) -> bool:
        return self.key == "manifest"


def pack_cost(ctx: dict) -> float:
    """How much laying out the pack costs, in trend charts."""
    total = 0.0
    for section in ctx["sections"]:
        for _, var, weight in PARTS[section["key"]]:
            total += weight * (len(ctx[var]) if var else 1)
    return total


def plan(ctx: dict, budget: float) -> list[list[Piece]]:
    """Cut the chosen sections into chunks of at most ``budget`` (a single item may exceed it)."""
    chunks: list[list[Piece]] = [[]]
    used = 0.0

    def place(piece: Piece) -> None:
        nonlocal used
        if chunks[-1] and used + piece.cost > budget:
            chunks.append([])
            used = 0.0
        chunks[-1].append(piece)
        used += piece.cost

    for number, section in enumerate(ctx["sections"], start=1):
        first = True
        for part, var, weight in PARTS[section["key"]]:
            base = {
                "key": section["key"],
                "number": number,
                "title": section["title"],
                "anchor": section["anchor"],
                "part": part,
                "var": var,
            }
            items = len(ctx[var]) if var else 0
            if var is None or items == 0:
                place(Piece(**base, first=first, start=0, stop=items, continued=False, cost=weight))
                first = False
                continue
            start = 0
            while start < items:
                room = budget - used
                take = math.floor(room / weight) if room > 0 else 0
                if take < 1:
                    if chunks[-1]:
                        chunks.append([])
                        used = 0.0
                        continue
                    take = 1
                stop = min(items, start + take)
                place(
                    Piece(
                        **base,
                        first=first,
                        start=start,
                        stop=stop,
                        continued=start > 0,
                        cost=weight * (stop - start),
                    )
                )
                first = False
                start = stop
    return [chunk for chunk in chunks if chunk]


@dataclass
class _Laid:
    """What is kept of a laid-out chunk once its layout is freed."""

    data: bytes
    tagged: str  # as written: "pdf/ua-1", "tags" or "none"
    page_count: int
    wide: list[bool]
    anchors: dict[str, tuple[int, float, float]]  # name -> (page, x pt, y pt from the bottom)
    bookmarks: list[tuple[int, str, int, float, float]]  # (level, label, page, x pt, y pt)
    links: list[tuple[str, int, tuple[float, float, float, float]]]  # (anchor, page, rect in pt)
    seconds: float

    def as_json(self) -> dict:
        """Everything but the PDF's bytes, as plain JSON (a part's row keeps it for the merge)."""
        return {
            "tagged": self.tagged,
            "page_count": self.page_count,
            "wide": self.wide,
            "anchors": {name: list(where) for name, where in self.anchors.items()},
            "bookmarks": [list(b) for b in self.bookmarks],
            "links": [[anchor, page, list(rect)] for anchor, page, rect in self.links],
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, layout: dict, data: bytes) -> _Laid:
        return cls(
            data=data,
            tagged=layout["tagged"],
            page_count=layout["page_count"],
            wide=list(layout["wide"]),
            anchors={name: tuple(where) for name, where in layout["anchors"].items()},
            bookmarks=[tuple(b) for b in layout["bookmarks"]],
            links=[(anchor, page, tuple(rect)) for anchor, page, rect in layout["links"]],
            seconds=layout["seconds"],
        )


def _lay_out(html: str, html_sink: Callable[[str], None] | None, *, tag: bool) -> _Laid:
    """Lay out and write one chunk: tagged as a single document would be (``rendering.write_pdf``), or not."""
    if html_sink is not None:
        html_sink(html)
    started = time.perf_counter()
    document = rendering.layout(html)
    wide, anchors, bookmarks, links = [], {}, [], []
    for index, page in enumerate(document.pages):
        height = page.height
        wide.append(page.width > page.height)
        for name, (x, y, _, _) in page.anchors.items():
            anchors.setdefault(name, (index, x * PT_PER_PX, (height - y) * PT_PER_PX))
        for level, label, (x, y), _state in page.bookmarks:
            bookmarks.append((level, label, index, x * PT_PER_PX, (height - y) * PT_PER_PX))
        for link_type, target, (x1, y1, x2, y2), _box in page.links:
            if link_type == "internal":
                rect = (x1 * PT_PER_PX, (height - y2) * PT_PER_PX, x2 * PT_PER_PX, (height - y1) * PT_PER_PX)
                links.append((target, index, rect))
    data, tagged = rendering.write_pdf(document) if tag else (document.write_pdf(), "none")
    laid = _Laid(data, tagged, len(document.pages), wide, anchors, bookmarks, links, time.perf_counter() - started)
    del document
    return laid


@dataclass
class ChunkedStats:
    chunks: int = 0
    weasyprint_seconds: float = 0.0  # laying out and writing the chunks (the front as finally used)
    overlay_seconds: float = 0.0
    merge_seconds: float = 0.0
    extra_front_layouts: int = 0
    tagged: bool = True  # chunks written tagged (the pack costs at most TAGGED_MERGE_MAX_COST)
    chunk_pages: list[int] = field(default_factory=list)


def render_chunked(
    ctx: dict,
    *,
    budget: float | None = None,
    html_sink: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[rendering.RenderedPdf, ChunkedStats]:
    """Lay the full pack out chunk by chunk and merge; the same pages a single document would have."""
    budget = budget or settings.PACK_CHUNK_MEASURES
    stats = ChunkedStats()
    chunks = plan(ctx, budget)
    stats.chunks = len(chunks) + 1
    stats.tagged = pack_cost(ctx) <= TAGGED_MERGE_MAX_COST
    with tempfile.TemporaryDirectory(prefix="pack-chunks-") as workdir:
        merger = Merger(Path(workdir))
        try:
            pdf = _render_chunks(ctx, chunks, merger, stats, html_sink, progress)
        finally:
            merger.close()
    return pdf, stats


def chunk_html(ctx: dict, pieces: list[Piece]) -> str:
    """The finished HTML of one body chunk (its pieces' sections, cut to their runs)."""
    for piece in pieces:
        overrides = {"continued": piece.continued, "part": piece.part}
        if piece.var:
            overrides[piece.var] = ctx[piece.var][piece.start : piece.stop]
        piece.html = mark_safe(render_to_string(SECTION_TEMPLATE.format(piece.key), {**ctx, **overrides}))  # noqa: S308 - our template's output
    html = render_to_string(CHUNK_TEMPLATE, {**ctx, "chunk_mode": True, "pieces": pieces})
    for piece in pieces:
        piece.html = ""
    return html


# What the cover, the contents and the page-number overlay print besides the pack's header
# (``context.front_context`` rebuilds the header from the pack row): kept as plain JSON on the
# pack while its parts are laid out elsewhere, so the front says what the body was built from.
FRONT_KEYS = ("sections", "key_questions", "totals")


def front_data(ctx: dict) -> dict:
    return {key: ctx.get(key) for key in FRONT_KEYS}


class _Body:
    """The body chunks as they are merged: page orientations, anchors and bookmarks, offset."""

    def __init__(self, merger: Merger, stats: ChunkedStats) -> None:
        self.merger, self.stats = merger, stats
        self.wide: list[bool] = []
        self.anchors: dict[str, tuple[int, float, float]] = {}
        self.bookmarks: list[tuple[int, str, int, float, float]] = []

    def add(self, laid: _Laid) -> None:
        self.stats.weasyprint_seconds += laid.seconds
        offset = len(self.wide)
        started = time.perf_counter()
        self.merger.add(laid.data, laid.tagged)
        self.stats.merge_seconds += time.perf_counter() - started
        self.wide += laid.wide
        self.stats.chunk_pages.append(laid.page_count)
        for name, (page, x, y) in laid.anchors.items():
            self.anchors.setdefault(name, (offset + page, x, y))
        self.bookmarks += [(level, label, offset + page, x, y) for level, label, page, x, y in laid.bookmarks]


def _render_chunks(ctx, chunks, merger: Merger, stats: ChunkedStats, html_sink, progress) -> rendering.RenderedPdf:
    body = _Body(merger, stats)
    for n, pieces in enumerate(chunks):
        html = chunk_html(ctx, pieces)
        laid = _lay_out(html, html_sink, tag=stats.tagged)
        del html
        body.add(laid)
        del laid
        if progress:
            progress(n + 1, len(chunks))
    return _finish(ctx, body, merger, stats, html_sink)


def render_parts(
    front_ctx: dict, parts, *, tagged: bool, parts_count: int
) -> tuple[rendering.RenderedPdf, ChunkedStats]:
    """Merge body chunks laid out elsewhere (``parts`` yields each ``_Laid`` in order) under a new front."""
    stats = ChunkedStats(chunks=parts_count + 1, tagged=tagged)
    with tempfile.TemporaryDirectory(prefix="pack-parts-") as workdir:
        merger = Merger(Path(workdir))
        try:
            body = _Body(merger, stats)
            for laid in parts:
                body.add(laid)
                del laid
            pdf = _finish(front_ctx, body, merger, stats, None)
        finally:
            merger.close()
    return pdf, stats


def lay_out_part(html: str, *, tag: bool) -> _Laid:
    """Lay out and write one body chunk (a part's job)."""
    return _lay_out(html, None, tag=tag)


def part_from_json(layout: dict, data: bytes) -> _Laid:
    """A part laid out elsewhere, from its stored facts (``_Laid.as_json``) and its PDF."""
    return _Laid.from_json(layout, data)


def _finish(ctx, body: _Body, merger: Merger, stats: ChunkedStats, html_sink) -> rendering.RenderedPdf:
    wide, anchors, bookmarks = body.wide, body.anchors, body.bookmarks
    # The cover and contents, now that every section's page is known (counting the front's own pages).
    front_pages = 2
    weasyprint_log, forward_links = logging.getLogger("weasyprint"), _ForwardLinks()
    while True:
        sections = [
            {**s, "page": front_pages + anchors[s["anchor"]][0] + 1 if s["anchor"] in anchors else ""}
            for s in ctx["sections"]
        ]
        front_ctx = {**ctx, "chunk_mode": True, "first_chunk": True, "front": True, "sections": sections}
        front_html = render_to_string(CHUNK_TEMPLATE, front_ctx)
        weasyprint_log.addFilter(forward_links)
        try:
            front = _lay_out(front_html, None, tag=stats.tagged)
        finally:
            weasyprint_log.removeFilter(forward_links)
        if front.page_count == front_pages or stats.extra_front_layouts >= 2:
            break
        stats.extra_front_layouts += 1
        front_pages = front.page_count
    if html_sink is not None:
        html_sink(front_html)
    stats.weasyprint_seconds += front.seconds

    shift = front.page_count
    started = time.perf_counter()
    merger.add(front.data, front.tagged, front=True)
    titles = {s["anchor"]: f"Go to {s['title']}" for s in ctx["sections"]}
    for (anchor, page), rect in _union(front.links).items():
        if anchor in anchors:
            target, x, y = anchors[anchor]
            merger.link(page, rect, shift + target, x, y, titles.get(anchor, "Go to the section"))
    stats.merge_seconds += time.perf_counter() - started

    total_wide = front.wide + wide
    started = time.perf_counter()
    overlay_html = render_to_string(OVERLAY_TEMPLATE, {**ctx, "overlay_mode": True, "pages": total_wide})
    overlay = rendering.layout(overlay_html).write_pdf()
    stats.overlay_seconds = time.perf_counter() - started

    started = time.perf_counter()
    merger.stamp(overlay)
    del overlay
    marks = [Bookmark(*b) for b in front.bookmarks]
    marks += [Bookmark(level, label, shift + page, x, y) for level, label, page, x, y in bookmarks]
    data = merger.finish(bookmarks=marks, lang="en-GB")
    stats.merge_seconds += time.perf_counter() - started
    return rendering.RenderedPdf(data=data, page_count=len(total_wide), tagged=merger.tagged)


def _union(links: list[tuple[str, int, tuple[float, float, float, float]]]) -> dict:
    """One rectangle per contents entry (WeasyPrint reports the link's boxes one by one)."""
    out: dict[tuple[str, int], tuple[float, float, float, float]] = {}
    for anchor, page, (x1, y1, x2, y2) in links:
        if (anchor, page) in out:
            a1, b1, a2, b2 = out[(anchor, page)]
            x1, y1, x2, y2 = min(a1, x1), min(b1, y1), max(a2, x2), max(b2, y2)
        out[(anchor, page)] = (x1, y1, x2, y2)
    return out


class _ForwardLinks(logging.Filter):
    """The front's contents link to sections laid out in other chunks: links added after the merge."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No anchor #")
