"""Tiny real files of each accepted type, and some that must be refused, built in code."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
CSV = b"week ending,sampled,escalated on time\n2026-01-09,20,17\n2026-01-16,20,19\n"
TEXT = "Spot check of handover notes: all six entries signed and timed. – RM\n".encode()
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 120
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>\n'
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _zip(members: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if stored_first:
            zf.writestr(stored_first, members.pop(stored_first), compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx() -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"})


def xlsx() -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})


def odt() -> bytes:
    return _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"},
        stored_first="mimetype",
    )


def docm() -> bytes:
    return _zip(
        {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"x"}
    )


def plain_zip() -> bytes:
    return _zip({"notes.txt": b"not an office document"})


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    # The browser's claimed content type is deliberately ignored by the app.
    return SimpleUploadedFile(name, data, content_type=content_type)


ACCEPTED = {
    "report.pdf": (PDF, "application/pdf"),
    "photo.png": (png(), "image/png"),
    "photo.jpg": (JPEG, "image/jpeg"),
    "minutes.docx": (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "rota.xlsx": (xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "notes.odt": (odt(), "application/vnd.oasis.opendocument.text"),
    "sampling.csv": (CSV, "text/csv"),
    "spot-check.txt": (TEXT, "text/plain"),
}


def odt_bomb(inflated_mb: int = 20, *, member: str = "mimetype") -> bytes:
    """A small ODT whose ``member`` inflates to ``inflated_mb`` MB of zeros (written in chunks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if member != "mimetype":
            zf.writestr("mimetype", b"application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        with zf.open(member, "w", force_zip64=True) as out:
            if member == "mimetype":
                out.write(b"application/vnd.oasis.opendocument.text")
            block = b"\0" * (1024 * 1024)
            for _ in range(inflated_mb):
                out.write(block)
        if member != "content.xml":
            zf.writestr("content.xml", b"<office:document-content/>")
    return buffer.getvalue()


def markup_after_padding(padding: int = 9 * 1024) -> bytes:
    """Plain text for the first ``padding`` bytes, then HTML: the whole file is checked, not its head."""
    return b"Weekly notes. " * (padding // 14) + b"\n<html><body><script>alert(1)</script></body></html>\n"
