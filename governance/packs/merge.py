"""Joining a chunked pack's PDFs with pikepdf (qpdf): pages, the structure tree, destinations,
bookmarks and the footer overlay (see ``chunked`` for why packs are chunked at all)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

# pikepdf announces its C++ logger bridge at INFO when imported: not news in every command's output.
logging.getLogger("pikepdf._core").setLevel(logging.WARNING)

import pikepdf  # noqa: E402
from pikepdf import Array, Dictionary, Name, Pdf, String  # noqa: E402

RANK = {"none": 0, "tags": 1, "pdf/ua-1": 2}  # a merged file is only as tagged as its least chunk


@dataclass
class Bookmark:
    level: int
    title: str
    page: int  # index in the merged document
    x: float
    y: float
    children: list[Bookmark] = field(default_factory=list)


@dataclass
class _Link:
    page: int  # index in the merged document
    rect: tuple[float, float, float, float]
    target: int
    x: float
    y: float
    label: str


class Merger:
    """The chunks' PDFs joined with pikepdf (qpdf): pages, structure tree, destinations, footers.

    Each chunk (and the footer overlay) is written to a temporary file as it comes; the merge
    happens in :meth:`finish`, once every layout is done and freed, so WeasyPrint's memory and
    qpdf's are not needed at the same time. qpdf copies stream data (the bulk of a pack) from the
    source files only when the merged file is saved; what it holds is the object graph, about
    1.5 KiB per PDF object, for the sources and the output alike (it cannot write an object it
    has not loaded). A tagged chunk has one object per structure element (the 19-page test pack:
    2,240 objects, 1,669 of them elements), hence ``TAGGED_MERGE_MAX_COST``. Tagged chunks keep
    their tags: each chunk's structure tree is copied whole (its elements point at the chunk's
    pages, already copied, so at the merged pages), its top elements go under one ``Document``
    element, and its parent-tree keys (the pages' ``/StructParents``, annotations'
    ``/StructParent``) are shifted past the chunks before it.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pending: list[tuple[Path, str]] = []  # body chunks in order, written but not merged
        self.pending_front: tuple[Path, str] | None = None
        self.overlay: Path | None = None
        self.out = Pdf.new()
        self.sources: list[Pdf] = []  # kept open until saved: stream data is read from them then
        self.tagged = "pdf/ua-1"
        self.kids: list[list] = []  # per chunk, in document order: its top structure elements
        self.parent_tree: dict[int, pikepdf.Object] = {}
        self.next_key = 0
        self.role_map: dict[str, pikepdf.Object] = {}
        self.dests: dict[str, pikepdf.Object] = {}
        self.links: list[_Link] = []
        self.open_links: dict[tuple[int, int], list[Dictionary]] = {}  # page objgen -> front Link elements
        self.doc = self.out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document))
        self.front: Pdf | None = None

    def _write(self, data: bytes) -> Path:
        path = self.workdir / f"{len(self.pending) + 2:04d}.pdf"
        path.write_bytes(data)
        return path

    def _open(self, path: Path) -> Pdf:
        source = Pdf.open(path)
        self.sources.append(source)
        return source

    def _copy(self, source: Pdf, obj: pikepdf.Object) -> pikepdf.Object:
        return self.out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))

    def add(self, data: bytes, tagged: str, *, front: bool = False) -> None:
        """Keep a chunk for the merge: after those so far (the front: before them all)."""
        if front:
            path = self.workdir / "0000-front.pdf"
            path.write_bytes(data)
            self.pending_front = (path, tagged)
        else:
            self.pending.append((self._write(data), tagged))

    def stamp(self, overlay: bytes) -> None:
        """Keep the footer overlay: page n is drawn over the merged page n."""
        self.overlay = self.workdir / "0001-overlay.pdf"
        self.overlay.write_bytes(overlay)

    def _merge(self, path: Path, tagged: str, *, front: bool) -> None:
        """Copy a chunk's pages after those so far, with its structure and destinations."""
        source = self._open(path)
        count = len(source.pages)
        start = len(self.out.pages)
        self.out.pages.extend(source.pages)
        pages = [self.out.pages[i] for i in range(start, start + count)]
        if front:
            self.front = source

        if RANK[tagged] < RANK[self.tagged]:
            self.tagged = tagged
        if self.tagged != "none" and "/StructTreeRoot" in source.Root:
            self._add_structure(source, pages, front=front)

        names = source.Root.get("/Names")
        if names is not None and "/Dests" in names:
            tree = pikepdf.NameTree(self._copy(source, names.Dests))
            for name in tree:
                self.dests.setdefault(name, tree[name])

    def _add_structure(self, source: Pdf, pages: list[pikepdf.Page], *, front: bool) -> None:
        root = self._copy(source, source.Root.StructTreeRoot)
        offset = self.next_key
        for page in pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        top = 0
        if "/ParentTree" in root:
            tree = pikepdf.NumberTree(root.ParentTree)
            for key in tree:
                self.parent_tree[int(key) + offset] = tree[key]
                top = max(top, int(key) + 1)
        self.next_key = offset + max(int(root.get("/ParentTreeNextKey", 0)), top)
        kids = _array(root.get("/K"))
        if len(kids) == 1 and kids[0].get("/S") == Name.Document:
            kids = _array(kids[0].get("/K"))
        for kid in kids:
            if isinstance(kid, Dictionary):
                kid.P = self.doc
        for name, value in root.get("/RoleMap", Dictionary()).items():
            self.role_map.setdefault(name, value)
        self.kids.append(kids)
        if front:
            self._find_open_links(kids, None)

    def _find_open_links(self, elements: list, page: pikepdf.Object | None) -> None:
        """The front's Link elements with no annotation yet (its contents point at other chunks)."""
        for element in elements:
            if not isinstance(element, Dictionary) or element.get("/Type") == Name.OBJR:
                continue
            where = element.get("/Pg", page)
            kids = _array(element.get("/K"))
            has_annotation = any(isinstance(k, Dictionary) and k.get("/Type") == Name.OBJR for k in kids)
            if element.get("/S") == Name.Link and where is not None and not has_annotation:
                self.open_links.setdefault(where.objgen, []).append(element)
            self._find_open_links(kids, where)

    def link(self, page: int, rect, target: int, x: float, y: float, label: str) -> None:
        self.links.append(_Link(page, rect, target, x, y, label))

    def _stamp(self, path: Path) -> None:
        """Draw each overlay page (the footer) over the merged page of the same number, as an artifact."""
        source = self._open(path)
        if len(source.pages) != len(self.out.pages):
            raise ValueError(f"Footer overlay has {len(source.pages)} pages for {len(self.out.pages)}")
        for n, (footer, page) in enumerate(zip(source.pages, self.out.pages, strict=True)):
            form = self._copy(source, footer.as_form_xobject())
            name = Name(f"/PackFooter{n}")
            resources = page.obj.get("/Resources")
            if resources is None:
                page.obj.Resources = resources = Dictionary()
            if "/XObject" not in resources:
                resources.XObject = Dictionary()
            # WeasyPrint shares one resource dictionary among a document's pages: one name a page.
            resources.XObject[name] = form
            page.contents_add(self.out.make_stream(b"q\n"), prepend=True)
            draw = b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n" + bytes(name.unparse()) + b" Do\nEMC\n"
            page.contents_add(self.out.make_stream(draw))

    def finish(self, *, bookmarks: list[Bookmark], lang: str) -> bytes:
        """Merge what was kept (the front first), draw the footers, add links and outline; the PDF."""
        if self.pending_front is not None:
            self._merge(*self.pending_front, front=True)
        for path, tagged in self.pending:
            self._merge(path, tagged, front=False)
        if self.overlay is not None:
            self._stamp(self.overlay)
        out, tagged = self.out, self.tagged != "none" and bool(self.kids)
        for link in self.links:
            page = out.pages[link.page]
            annot = out.make_indirect(
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=Array([round(v, 4) for v in link.rect]),
                    Border=Array([0, 0, 0]),
                    Dest=_dest(out, link.target, link.x, link.y),
                    Contents=String(link.label),
                    P=page.obj,
                )
            )
            if "/Annots" not in page.obj:
                page.obj.Annots = Array()
            page.obj.Annots.append(annot)
            if tagged:
                waiting = self.open_links.get(page.obj.objgen)
                if waiting:
                    element = waiting.pop(0)
                else:  # no Link element of WeasyPrint's for it: one of its own, at the front's end
                    element = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Link, P=self.doc, K=Array()))
                    self.kids[0].append(element)
                if not isinstance(element.get("/K"), Array):
                    element.K = Array(_array(element.get("/K")))
                element.K.append(Dictionary(Type=Name.OBJR, Obj=annot, Pg=page.obj))
                annot.StructParent = self.next_key
                self.parent_tree[self.next_key] = element
                self.next_key += 1
                page.obj.Tabs = Name.S

        root = out.Root
        root.Lang = String(lang)
        root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        if tagged:
            self.doc.K = Array([kid for kids in self.kids for kid in kids])
            nums = Array()
            for key in sorted(self.parent_tree):
                nums.append(key)
                nums.append(self.parent_tree[key])
            structure = Dictionary(
                Type=Name.StructTreeRoot,
                K=Array([self.doc]),
                ParentTree=out.make_indirect(Dictionary(Nums=nums)),
                ParentTreeNextKey=self.next_key,
            )
            if self.role_map:
                structure.RoleMap = Dictionary(self.role_map)
            root.StructTreeRoot = out.make_indirect(structure)
            self.doc.P = root.StructTreeRoot
            root.MarkInfo = Dictionary(Marked=True)
        if self.dests:
            flat = Array()
            for name in sorted(self.dests, key=lambda n: n.encode("utf-16-be") if not n.isascii() else n.encode()):
                flat.append(String(name))
                flat.append(self.dests[name])
            root.Names = Dictionary(Dests=out.make_indirect(Dictionary(Names=flat)))
        if bookmarks:
            _outline(out, bookmarks)
        if self.front is not None:
            for key, value in self.front.docinfo.items():
                out.docinfo[key] = self._copy(self.front, value) if isinstance(value, Dictionary) else value
            if "/Metadata" in self.front.Root:
                root.Metadata = self._copy(self.front, self.front.Root.Metadata)
        with out.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            if self.tagged != "pdf/ua-1" and "pdfuaid:part" in meta:
                del meta["pdfuaid:part"]  # PDF/UA-1 only if every chunk was
        buffer = io.BytesIO()
        out.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()

    def close(self) -> None:
        self.out.close()
        for source in self.sources:
            source.close()


def _array(value) -> list:
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value)
    return [value]


def _dest(pdf: Pdf, page: int, x: float, y: float) -> Array:
    """A destination at (x, y) on a page, zoom unchanged (WeasyPrint's own form)."""
    return Array([pdf.pages[page].obj, Name.XYZ, round(x, 4), round(y, 4), 0])


def _outline(pdf: Pdf, bookmarks: list[Bookmark]) -> None:
    """Nest bookmarks by level, as WeasyPrint does within one document; closed, as WeasyPrint's."""
    root: list[Bookmark] = []
    stack: list[Bookmark] = []
    for b in bookmarks:
        while stack and stack[-1].level >= b.level:
            stack.pop()
        (stack[-1].children if stack else root).append(b)
        stack.append(b)

    def item(b: Bookmark) -> pikepdf.OutlineItem:
        made = pikepdf.OutlineItem(b.title, _dest(pdf, b.page, b.x, b.y))
        made.children.extend(item(c) for c in b.children)
        made.is_closed = bool(b.children)
        return made

    with pdf.open_outline() as outline:
        outline.root.extend(item(b) for b in root)
