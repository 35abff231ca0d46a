"""Writes for evidence. Every path (views, audits, reviews, jobs, demo) creates evidence here.

Files are accepted by what their bytes are, never by their name: an executable renamed
``.pdf`` or a web page renamed ``.txt`` is refused. Accepted files are stored under a
random name outside any public URL and served only by ``evidence.views.download``.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
import unicodedata
import zipfile

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core import events, limits
from core import permissions as policy
from core.models import EvidenceCategory, FrameworkItem, Provider, Service

from .models import DEFAULT_NATURE, EvidenceItem, Nature, SourceType

logger = logging.getLogger(__name__)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
CSV = "text/csv"
TEXT = "text/plain"

# Accepted by content, not by extension. Office formats are zip containers: we look inside.
ACCEPTED_TYPES = {
    PDF: "PDF",
    PNG: "PNG image",
    JPEG: "JPEG image",
    DOCX: "Word document (DOCX)",
    XLSX: "Excel workbook (XLSX)",
    ODT: "OpenDocument text (ODT)",
    CSV: "CSV",
    TEXT: "Plain text",
}
ACCEPTED_DESCRIPTION = "PDF, PNG, JPEG, DOCX, XLSX, ODT, CSV or plain text"
# The extensions a stored name may carry for each type; the first is used when the
# uploaded name's extension does not match what the bytes are.
EXTENSIONS = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg"),
    DOCX: ("docx",),
    XLSX: ("xlsx",),
    ODT: ("odt",),
    CSV: ("csv",),
    TEXT: ("txt", "text", "log", "md"),
}

# Office documents are small zip archives. A larger inflated size, very many members or a
# member that inflates far beyond its compressed size is a zip bomb or not an office document.
# The check reads the central directory's declared sizes and never inflates a member beyond
# what it needs (the ODT mimetype: its first bytes), so it costs kilobytes whatever the file.
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_INFLATED_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100  # inflated / compressed, per member and for the whole archive
_ZIP_RATIO_FLOOR = 64 * 1024  # members smaller than this inflated are not judged by ratio
# Markup and scripts are refused even when they are valid text: downloaded and opened
# locally they would run.
_MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta|link|style|form|\?xml|\?php)\b"
    rb"|\bjavascript\s*:|\bon(load|error|click|mouseover)\s*=",
    re.IGNORECASE,
)

RESUBMIT_HINT = "Choose the file again after correcting it: files are not kept when a form is refused."


class FileRefused(ValidationError):
    """A file that may not be stored, with a message for the person who chose it."""


def max_upload_bytes() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024


def sanitise_filename(name: str) -> str:
    """A safe display/download name: no path, no control characters, limited length."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" ._") or "file"
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) <= 8:
        return f"{stem[:120]}.{ext.lower()}"
    return name[:120]


def stored_filename(name: str, content_type: str) -> str:
    """The sanitised name, with an extension that matches what the bytes are."""
    clean = sanitise_filename(name)
    stem, dot, ext = clean.rpartition(".")
    allowed = EXTENSIONS[content_type]
    if dot and stem and ext in allowed:
        return clean
    return f"{clean[:120]}.{allowed[0]}"


def _zip_bomb(infos: list[zipfile.ZipInfo]) -> bool:
    """Too many members, too much inflated, or inflating far beyond the compressed size."""
    inflated = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if len(infos) > MAX_ZIP_MEMBERS or inflated > MAX_ZIP_INFLATED_BYTES:
        return True
    if inflated > _ZIP_RATIO_FLOOR and inflated / compressed > MAX_ZIP_RATIO:
        return True
    return any(i.file_size > _ZIP_RATIO_FLOOR and i.file_size / (i.compress_size or 1) > MAX_ZIP_RATIO for i in infos)


def _zip_office_type(upload: UploadedFile) -> str | None:
    """DOCX, XLSX or ODT if this zip is one (and not a macro document or a zip bomb)."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as zf:
            infos = zf.infolist()
            if _zip_bomb(infos):
                return None
            names = {i.filename for i in infos}
            if any(n.lower().endswith(("vbaproject.bin", ".exe", ".dll", ".js", ".vbs")) for n in names):
                return None  # macros or programs inside: not a plain document
            if "mimetype" in names:
                with zf.open("mimetype") as member:  # the first bytes only, never the whole member
                    mimetype = member.read(100).decode("ascii", "ignore").strip()
                return ODT if mimetype == ODT and "content.xml" in names else None
            if "[Content_Types].xml" not in names:
                return None
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        return None
    finally:
        upload.seek(0)
    return None


def _text(upload: UploadedFile) -> bytes | None:
    """The whole file when it decodes as UTF-8 (or Windows-1252) with no control bytes, else None.

    Bounded by the upload limit (``EVIDENCE_MAX_UPLOAD_MB``), checked before this is called.
    """
    upload.seek(0)
    data = b"".join(upload.chunks())
    upload.seek(0)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if re.search(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]", data):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return None
    return data


def _refuse(message: str, code: str) -> FileRefused:
    return FileRefused(f"{message} {RESUBMIT_HINT}", code=code)


def detect_content_type(upload: UploadedFile) -> str:
    """The accepted MIME type this file's bytes show; raise ``FileRefused`` otherwise."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    bad_type = _refuse(
        f"This file's content is not an accepted type. Upload a {ACCEPTED_DESCRIPTION} file.", "bad_type"
    )
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe")):
        raise _refuse(
            "This file is a program (an executable), whatever its name says, so it cannot be stored as evidence.",
            "executable",
        )
    if head.startswith(b"#!"):
        raise _refuse("This file is a script, so it cannot be stored as evidence.", "script")
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_office_type(upload)
        if kind is None:
            raise _refuse(
                "This file is a zip archive but not a Word (DOCX), Excel (XLSX) or OpenDocument (ODT) document. "
                "Upload the document itself rather than an archive.",
                "bad_zip",
            )
        return kind
    if head.startswith(b"%PDF-"):
        return PDF
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in (PNG, JPEG):
            return kind.mime
        raise bad_type
    text = _text(upload)
    if text is None:
        raise bad_type
    if _MARKUP.search(text):  # the whole file: markup after padding is still markup
        raise _refuse(
            "This file contains web page or script code (HTML, SVG or JavaScript), which is not accepted. "
            f"Upload a {ACCEPTED_DESCRIPTION} file.",
            "markup",
        )
    name = (upload.name or "").lower()
    return CSV if name.endswith(".csv") else TEXT


def validate_upload(upload: UploadedFile) -> str:
    """Check size and content; return the detected content type or raise ``FileRefused``."""
    if upload.size > max_upload_bytes():
        raise _refuse(
            f"This file is {upload.size / 1024 / 1024:.1f} MB; the limit is {settings.EVIDENCE_MAX_UPLOAD_MB} MB.",
            "too_large",
        )
    if not upload.size:
        raise _refuse("This file is empty.", "empty")
    return detect_content_type(upload)


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _resolve_nature(source_type: str, nature: str | None, reason: str) -> tuple[str, str]:
    """(nature, override reason): the default for the source type unless overridden with a reason."""
    if source_type not in SourceType.values:
        raise ValidationError({"source_type": "Choose a source type from the list."})
    default = DEFAULT_NATURE.get(source_type, Nature.ACTIVITY)
    nature = nature or default
    if nature not in Nature.values:
        raise ValidationError({"nature": "Choose impact or activity."})
    if nature == default:
        return nature, ""
    if not reason.strip():
        raise ValidationError(
            {
                "nature_override_reason": f"Say why this item counts as {Nature(nature).label.lower()} when "
                f"{SourceType(source_type).label.lower()} is usually {Nature(default).label.lower()}."
            }
        )
    return nature, reason.strip()


def _check_refers_to(refers_to: datetime.date) -> None:
    if refers_to > timezone.localdate():
        raise ValidationError({"refers_to": "Evidence cannot refer to a date in the future."})


def _check_category(category: EvidenceCategory | None) -> None:
    if category is not None and category.version.status != category.version.Status.CURRENT:
        raise ValidationError({"category": "Choose a category of the current framework."})


def _attach_file(item: EvidenceItem, upload: UploadedFile) -> None:
    """Validate and store ``upload`` on ``item`` (not saved). Raises ``FileRefused``."""
    try:
        content_type = validate_upload(upload)
    except FileRefused as exc:
        raise FileRefused({"file": exc.messages}) from None
    item.file_content_type = content_type
    item.file_name = stored_filename(upload.name, content_type)
    item.file_size = upload.size
    item.file_sha256 = _sha256(upload)
    item.file.save(item.file_name, upload, save=False)


def _save_or_discard_file(item: EvidenceItem, stored_new_file: bool) -> None:
    """Save the row; if that fails, remove the file just written so it is not orphaned."""
    try:
        item.save()
    except Exception:
        if stored_new_file and item.file:
            item.file.storage.delete(item.file.name)
        raise


@transaction.atomic
def evidence_create(
    *,
    actor,
    provider: Provider,
    service: Service | None,
    title: str,
    refers_to: datetime.date,
    source_type: str,
    category: EvidenceCategory | None = None,
    nature: str | None = None,
    nature_override_reason: str = "",
    recorded_in: str = "",
    description: str = "",
    upload: UploadedFile | None = None,
    framework_items: list[FrameworkItem] | tuple = (),
    check_permission: bool = True,
) -> EvidenceItem:
    """Create an evidence item. ``nature`` defaults from the source type; overriding needs a reason.

    ``check_permission=False`` is for system paths (an audit or review writing its own
    evidence after checking its own verb); people's requests always check ADD_EVIDENCE.
    """
    if service is not None and service.provider_id != provider.pk:
        raise ValidationError({"service": "The service does not belong to this provider."})
    if check_permission:
        policy.require(actor, policy.Verb.ADD_EVIDENCE, service or provider)
    _check_refers_to(refers_to)
    _check_category(category)
    nature, reason = _resolve_nature(source_type, nature, nature_override_reason)
    if any(fi is not None and getattr(fi, "pk", None) is None for fi in framework_items):
        raise ValidationError({"framework_items": "Choose framework items from the list."})
    item = EvidenceItem(
        provider=provider,
        service=service,
        title=(title or "").strip(),
        refers_to=refers_to,
        source_type=source_type,
        category=category,
        nature=nature,
        nature_override_reason=reason,
        recorded_in=(recorded_in or "").strip(),
        description=(description or "").strip(),
        created_by=actor,
    )
    # Every check on the row runs before any byte is written to storage.
    item.full_clean(exclude=["file", "created_by"])
    if upload is not None:
        _attach_file(item, upload)
    _save_or_discard_file(item, stored_new_file=upload is not None)
    if framework_items:
        item.framework_items.set(framework_items)
    return item


@transaction.atomic
def evidence_update(
    *,
    actor,
    item: EvidenceItem,
    title: str,
    refers_to: datetime.date,
    source_type: str,
    category: EvidenceCategory | None = None,
    nature: str | None = None,
    nature_override_reason: str = "",
    recorded_in: str = "",
    description: str = "",
    upload: UploadedFile | None = None,
    framework_items: list[FrameworkItem] | tuple = (),
) -> EvidenceItem:
    """Change an item's details. A file may be added to an item that has none; a stored file
    is never replaced (remove the item and add a new one, so the first file's hash stays on record)."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    policy.require(actor, policy.Verb.ADD_EVIDENCE, item)
    if item.is_removed:
        raise ValidationError("This evidence has been removed and can no longer be changed.")
    _check_refers_to(refers_to)
    _check_category(category)
    nature, reason = _resolve_nature(source_type, nature, nature_override_reason)
    if upload is not None and item.file:
        raise ValidationError(
            {"file": "This item already has a file. To replace it, remove this item and add a new one."}
        )
    item.title = (title or "").strip()
    item.refers_to = refers_to
    item.source_type = source_type
    item.category = category
    item.nature = nature
    item.nature_override_reason = reason
    item.recorded_in = (recorded_in or "").strip()
    item.description = (description or "").strip()
    item.full_clean(exclude=["file", "created_by", "removed_by"])
    if upload is not None:
        _attach_file(item, upload)
    _save_or_discard_file(item, stored_new_file=upload is not None)
    item.framework_items.set(framework_items)
    events.changed(item, reason="evidence")  # its nature or date may decide a closure's support
    return item


@transaction.atomic
def evidence_remove(*, actor, item: EvidenceItem, reason: str) -> EvidenceItem:
    """Soft delete: the item leaves every list; its record, file and history remain."""
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    policy.require(actor, policy.Verb.REMOVE_EVIDENCE, item)
    reason = (reason or "").strip()
    if item.is_removed:
        raise ValidationError("This evidence was already removed.")
    if not reason:
        raise ValidationError({"reason": "Say why this evidence is being removed."})
    limits.check(EvidenceItem, removal_reason=reason, report_as={"removal_reason": "reason"})
    item.removed_at = timezone.now()
    item.removed_by = actor
    item.removal_reason = reason
    item.save(update_fields=["removed_at", "removed_by", "removal_reason", "updated_at"])
    events.changed(item, reason="evidence_removed")
    return item
