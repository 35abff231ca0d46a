"""Writes for evidence. Every path (views, audits, reviews, jobs, demo) creates evidence here."""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core import permissions as policy
from core.models import EvidenceCategory, FrameworkItem, Provider, Service

from .models import DEFAULT_NATURE, EvidenceItem, Nature

# Accepted by content, not by extension. Office formats are zip containers: we look inside.
ACCEPTED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document (DOCX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook (XLSX)",
    "application/vnd.oasis.opendocument.text": "OpenDocument text (ODT)",
    "text/csv": "CSV",
    "text/plain": "Plain text",
}
ACCEPTED_DESCRIPTION = "PDF, PNG, JPEG, DOCX, XLSX, ODT, CSV or plain text"


def max_upload_bytes() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024


def sanitise_filename(name: str) -> str:
    """A safe display/download name: no path, no control characters, limited length."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" ._") or "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 8:
        return f"{stem[:120]}.{ext.lower()}"
    return name[:120]


def _zip_office_type(head: bytes, upload: UploadedFile) -> str | None:
    import zipfile

    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mimetype = zf.read("mimetype").decode("ascii", "ignore").strip()
                if mimetype == "application/vnd.oasis.opendocument.text":
                    return mimetype
            if "word/document.xml" in names:
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if "xl/workbook.xml" in names:
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    return None


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def detect_content_type(upload: UploadedFile) -> str | None:
    """The accepted MIME type this file's bytes show, or None."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _zip_office_type(head, upload)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ACCEPTED_TYPES else None
    if _looks_like_text(head):
        name = (upload.name or "").lower()
        return "text/csv" if name.endswith(".csv") else "text/plain"
    return None


def validate_upload(upload: UploadedFile) -> str:
    """Check size and content; return the detected content type or raise ValidationError."""
    if upload.size > max_upload_bytes():
        raise ValidationError(
            f"This file is {upload.size / 1024 / 1024:.1f} MB; the limit is {settings.EVIDENCE_MAX_UPLOAD_MB} MB.",
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError("This file is empty.", code="empty")
    content_type = detect_content_type(upload)
    if content_type is None:
        raise ValidationError(
            f"This file's content is not an accepted type. Upload a {ACCEPTED_DESCRIPTION} file.",
            code="bad_type",
        )
    return content_type


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


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
    """Create an evidence item. ``nature`` defaults from the source type; overriding needs a reason."""
    if service is not None and service.provider_id != provider.pk:
        raise ValidationError("The service does not belong to this provider.")
    item = EvidenceItem(provider=provider, service=service)
    if check_permission:
        policy.require(actor, policy.Verb.ADD_EVIDENCE, service or provider)
    if refers_to > timezone.localdate():
        raise ValidationError({"refers_to": "Evidence cannot refer to a date in the future."})
    default = DEFAULT_NATURE.get(source_type, Nature.ACTIVITY)
    nature = nature or default
    if nature != default and not nature_override_reason.strip():
        raise ValidationError(
            {
                "nature_override_reason": "Say why this item counts as "
                f"{Nature(nature).label.lower()} when {source_type.replace('_', ' ')} is usually "
                f"{Nature(default).label.lower()}."
            }
        )
    item.title = title
    item.refers_to = refers_to
    item.source_type = source_type
    item.category = category
    item.nature = nature
    item.nature_override_reason = nature_override_reason.strip() if nature != default else ""
    item.recorded_in = recorded_in
    item.description = description
    item.created_by = actor
    if upload is not None:
        item.file_content_type = validate_upload(upload)
        item.file_name = sanitise_filename(upload.name)
        item.file_size = upload.size
        item.file_sha256 = _sha256(upload)
        item.file.save(item.file_name, upload, save=False)
    item.full_clean(exclude=["file"])
    item.save()
    if framework_items:
        item.framework_items.set(framework_items)
    return item
