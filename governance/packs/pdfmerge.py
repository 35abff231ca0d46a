"""Concatenate WeasyPrint's chunk PDFs into one file as they come, holding one chunk at a time.

pypdf's ``PdfWriter`` keeps every object of every page as Python objects until it writes, about
16 times the size of the PDF, and stamping a footer with ``merge_page`` copies each page's
resources (WeasyPrint shares one resource dictionary, with every chart's XObject, across all the
pages of a document). For a 2,000-page pack that was most of a gigabyte. This writer parses each
chunk with pypdf's reader, copies the objects its pages reach straight into the output with new
object numbers, and forgets the chunk; only the byte offsets of the objects stay in memory.

Each page's content is wrapped in ``q … Q`` and followed by a Form XObject holding the footer
overlay's page of the same number (drawn in the page's default space), named in the chunk's shared
resources. The cover and contents may come after the body: pages are ordered in the page tree,
not by where their objects sit in the file. Bookmarks, link annotations, the document information
and ``/Lang`` are written at the end.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

Rect = tuple[float, float, float, float]


@dataclass
class _Page:
    ref: int  # object number in the output
    width: float
    height: float
    form: int  # the footer's Form XObject, written once the overlay exists


@dataclass
class Bookmark:
    level: int
    title: str
    page: int  # index in the merged document
    x: float
    y: float
    children: list[Bookmark] = field(default_factory=list)


class StreamingMerger:
    """Pages in document order: ``add(chunk, position)``; then ``stamp(overlay)`` and ``finish``."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.offsets: dict[int, int] = {}
        self.next_id = 1
        self.pages_id = self._reserve()
        self.q_id = self._reserve()
        self._write_stream(self.q_id, DictionaryObject(), b"q\n")
        self.chunks: list[list[_Page]] = []  # in document order once placed
        self.annotations: dict[int, list[int]] = {}

    # ------------------------------------------------------------------ low level

    def _reserve(self, n: int = 1) -> int:
        first = self.next_id
        self.next_id += n
        return first

    def _begin(self, obj_id: int) -> None:
        self.offsets[obj_id] = self.out.tell()
        self.out.write(f"{obj_id} 0 obj\n".encode())

    def _write_object(self, obj_id: int, obj: PdfObject, remap) -> None:
        self._begin(obj_id)
        if isinstance(obj, StreamObject):
            data = obj._data
            header = DictionaryObject({k: v for k, v in obj.items() if k != "/Length"})
            header[NameObject("/Length")] = _Number(len(data))
            self._serialise(header, remap)
            self.out.write(b"\nstream\n")
            self.out.write(data)
            self.out.write(b"\nendstream")
        else:
            self._serialise(obj, remap)
        self.out.write(b"\nendobj\n")

    def _write_stream(self, obj_id: int, header: DictionaryObject, data: bytes) -> None:
        stream = StreamObject()
        stream.update(header)
        stream._data = data
        self._write_object(obj_id, stream, lambda n: n)

    def _serialise(self, obj: PdfObject, remap) -> None:
        out = self.out
        if isinstance(obj, _Ref):
            out.write(f"{obj.idnum} 0 R".encode())
        elif isinstance(obj, IndirectObject):
            out.write(f"{remap(obj.idnum)} 0 R".encode())
        elif isinstance(obj, DictionaryObject):
            out.write(b"<<")
            for key, value in obj.items():
                NameObject(key).write_to_stream(out)
                out.write(b" ")
                self._serialise(value, remap)
                out.write(b"\n")
            out.write(b">>")
        elif isinstance(obj, ArrayObject):
            out.write(b"[")
            for i, value in enumerate(obj):
                if i:
                    out.write(b" ")
                self._serialise(value, remap)
            out.write(b"]")
        elif isinstance(obj, _Number):
            out.write(str(obj.value).encode())
        else:
            obj.write_to_stream(out)

    # ------------------------------------------------------------------ chunks

    def add(self, data: bytes, *, position: int | None = None, links: dict[int, list] | None = None) -> list[int]:
        """Copy a chunk's pages (and what they use) into the output; returns their object numbers.

        ``position``: where the chunk's pages go among the chunks added so far (default: last).
        ``links``: for page i of the chunk, (rect, target page index, x, y) link annotations,
        resolved in :meth:`finish`.
        """
        reader = PdfReader(io.BytesIO(data))
        size = int(reader.trailer["/Size"])
        offset = self._reserve(size) - 1

        def remap(n: int) -> int:
            return offset + n

        pages: list[_Page] = []
        shared_resources: dict[int, list[tuple[str, int]]] = {}
        page_ids = []
        for page in reader.pages:
            box = page.mediabox
            placed = _Page(
                ref=remap(page.indirect_reference.idnum),
                width=float(box.width),
                height=float(box.height),
                form=self._reserve(),
            )
            pages.append(placed)
            page_ids.append(page.indirect_reference.idnum)
            resources = page.raw_get("/Resources")
            if not isinstance(resources, IndirectObject):
                raise ValueError("Expected WeasyPrint's shared page resources")
            shared_resources.setdefault(resources.idnum, []).append((f"/PackFooter{placed.form}", placed.form))
        index = len(self.chunks) if position is None else position
        self.chunks.insert(index, pages)

        seen: set[int] = set()
        todo: list[int] = []
        for n, (page, placed) in enumerate(zip(reader.pages, pages, strict=True)):
            seen.add(page.indirect_reference.idnum)
            tail = self._reserve()
            self._write_stream(tail, DictionaryObject(), f"Q\n/PackFooter{placed.form} Do\n".encode())
            copy = DictionaryObject({k: v for k, v in page.items() if k not in ("/Parent", "/Contents")})
            contents = page.raw_get("/Contents")
            refs = list(contents) if isinstance(contents, ArrayObject) else [contents]
            copy[NameObject("/Contents")] = ArrayObject(
                [_Ref(self.q_id)] + [_Ref(remap(r.idnum)) for r in refs] + [_Ref(tail)]
            )
            copy[NameObject("/Parent")] = _Ref(self.pages_id)
            if links and links.get(n):
                self.annotations[placed.ref] = links[n]
            self._write_object(placed.ref, (copy), remap)
            todo += _refs(copy) + [r.idnum for r in refs]
        while todo:
            number = todo.pop()
            if number in seen:
                continue
            seen.add(number)
            obj = reader.get_object(number)
            if number in shared_resources:
                obj = DictionaryObject(obj)
                xobjects = DictionaryObject(obj.get("/XObject", DictionaryObject()))
                for name, form in shared_resources[number]:
                    xobjects[NameObject(name)] = _Ref(form)
                obj[NameObject("/XObject")] = xobjects
                todo += _refs(obj)
                self._write_object(remap(number), (obj), remap)
                continue
            todo += _refs(obj)
            self._write_object(remap(number), obj, remap)
        return [p.ref for p in pages]

    def stamp(self, overlay: bytes) -> None:
        """Write each page's footer form from the overlay's page of the same number."""
        reader = PdfReader(io.BytesIO(overlay))
        pages = [p for chunk in self.chunks for p in chunk]
        if len(reader.pages) != len(pages):
            raise ValueError(f"Footer overlay has {len(reader.pages)} pages for {len(pages)}")
        size = int(reader.trailer["/Size"])
        offset = self._reserve(size) - 1

        def remap(n: int) -> int:
            return offset + n

        todo: list[int] = []
        for source, target in zip(reader.pages, pages, strict=True):
            contents = source.raw_get("/Contents")
            streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
            header = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/BBox"): ArrayObject(source.mediabox),
                    NameObject("/Resources"): source.raw_get("/Resources"),
                }
            )
            if len(streams) == 1:
                stream = streams[0].get_object()
                if "/Filter" in stream:
                    header[NameObject("/Filter")] = stream["/Filter"]
                data = stream._data
            else:
                data = zlib.compress(b"\n".join(s.get_object().get_data() for s in streams))
                header[NameObject("/Filter")] = NameObject("/FlateDecode")
            stream = StreamObject()
            stream.update(header)
            stream._data = data
            self._write_object(target.form, stream, remap)
            todo += _refs(header)
        seen: set[int] = set()
        while todo:
            number = todo.pop()
            if number in seen:
                continue
            seen.add(number)
            obj = reader.get_object(number)
            todo += _refs(obj)
            self._write_object(remap(number), obj, remap)

    # ------------------------------------------------------------------ the end

    def page_refs(self) -> list[int]:
        return [p.ref for chunk in self.chunks for p in chunk]

    def finish(self, *, bookmarks: list[Bookmark], info: dict[str, str], lang: str) -> bytes:
        refs = self.page_refs()

        def dest(page: int, x: float, y: float) -> ArrayObject:
            return ArrayObject([_Ref(refs[page]), NameObject("/XYZ"), _Number(x), _Number(y), _Number(0)])

        for page_ref, links in self.annotations.items():
            ids = []
            for rect, target, x, y in links:
                annot_id = self._reserve()
                annot = DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Annot"),
                        NameObject("/Subtype"): NameObject("/Link"),
                        NameObject("/Rect"): ArrayObject([_Number(v) for v in rect]),
                        NameObject("/Border"): ArrayObject([_Number(0), _Number(0), _Number(0)]),
                        NameObject("/Dest"): dest(target, x, y),
                        NameObject("/P"): _Ref(page_ref),
                    }
                )
                self._write_object(annot_id, (annot), lambda n: n)
                ids.append(annot_id)
            self._annots_patch(page_ref, ids)

        kids = ArrayObject([_Ref(r) for r in refs])
        self._write_object(
            self.pages_id,
            (
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Pages"),
                        NameObject("/Kids"): kids,
                        NameObject("/Count"): _Number(len(refs)),
                    }
                )
            ),
            lambda n: n,
        )
        catalog = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Catalog"),
                NameObject("/Pages"): _Ref(self.pages_id),
                NameObject("/Lang"): TextStringObject(lang),
            }
        )
        if bookmarks:
            catalog[NameObject("/Outlines")] = _Ref(self._outlines(bookmarks, dest))
        root_id = self._reserve()
        self._write_object(root_id, (catalog), lambda n: n)
        info_id = self._reserve()
        self._write_object(
            info_id,
            DictionaryObject({NameObject(k): TextStringObject(v) for k, v in info.items()}),
            lambda n: n,
        )
        xref = self.out.tell()
        size = self.next_id
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        for number in range(1, size):
            where = self.offsets.get(number)
            lines.append(f"{where:010d} 00000 n \n" if where is not None else "0000000000 65535 f \n")
        self.out.write("".join(lines).encode())
        self.out.write(f"trailer\n<< /Size {size} /Root {root_id} 0 R /Info {info_id} 0 R >>\n".encode())
        self.out.write(f"startxref\n{xref}\n%%EOF\n".encode())
        return self.out.getvalue()

    def _annots_patch(self, page_ref: int, annot_ids: list[int]) -> None:
        """Pages are written before their links are known: append an updated page object."""
        # The page object already in the file is superseded by a later copy (the xref points
        # at the last one): read it back from the output rather than keep every page around.
        start = self.offsets[page_ref]
        raw = self.out.getvalue()[start : self.out.tell()]
        end = raw.index(b"\nendobj\n")
        body = raw[len(f"{page_ref} 0 obj\n") : end]
        if b"/Annots" in body:
            raise ValueError("A page with links of its own cannot take the contents' links")
        annots = b"/Annots [" + b" ".join(f"{i} 0 R".encode() for i in annot_ids) + b"]\n"
        self._begin(page_ref)
        self.out.write(body[:-2] + annots + b">>")
        self.out.write(b"\nendobj\n")

    def _outlines(self, bookmarks: list[Bookmark], dest) -> int:
        """Nest bookmarks by level, as WeasyPrint does within one document, and write them."""
        root: list[Bookmark] = []
        stack: list[Bookmark] = []
        for b in bookmarks:
            while stack and stack[-1].level >= b.level:
                stack.pop()
            (stack[-1].children if stack else root).append(b)
            stack.append(b)
        outlines_id = self._reserve()

        def count(items: list[Bookmark]) -> int:
            return sum(1 + count(i.children) for i in items)

        def write(items: list[Bookmark], parent: int) -> tuple[int, int]:
            ids = [self._reserve() for _ in items]
            for i, (item, item_id) in enumerate(zip(items, ids, strict=True)):
                entry = DictionaryObject(
                    {
                        NameObject("/Title"): TextStringObject(item.title),
                        NameObject("/Parent"): _Ref(parent),
                        NameObject("/Dest"): dest(item.page, item.x, item.y),
                    }
                )
                if i:
                    entry[NameObject("/Prev")] = _Ref(ids[i - 1])
                if i + 1 < len(ids):
                    entry[NameObject("/Next")] = _Ref(ids[i + 1])
                if item.children:
                    first, last = write(item.children, item_id)
                    entry[NameObject("/First")] = _Ref(first)
                    entry[NameObject("/Last")] = _Ref(last)
                    entry[NameObject("/Count")] = _Number(-count(item.children))  # closed, as WeasyPrint's
                self._write_object(item_id, (entry), lambda n: n)
            return ids[0], ids[-1]

        first, last = write(root, outlines_id)
        self._write_object(
            outlines_id,
            (
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Outlines"),
                        NameObject("/First"): _Ref(first),
                        NameObject("/Last"): _Ref(last),
                        NameObject("/Count"): _Number(count(root)),
                    }
                )
            ),
            lambda n: n,
        )
        return outlines_id


class _Ref(PdfObject):
    """A reference already numbered for the output (not remapped again)."""

    def __init__(self, idnum: int) -> None:
        self.idnum = idnum


class _Number(PdfObject):
    def __init__(self, value: float) -> None:
        self.value = round(value, 4) if isinstance(value, float) else value


def _refs(obj: PdfObject) -> list[int]:
    """Object numbers a (chunk) object refers to, not following them."""
    found: list[int] = []
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            found.append(item.idnum)
        elif isinstance(item, DictionaryObject):
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found
