"""Opening stored files (evidence, packs) for a download, whatever the storage backend.

Files live on the local disk or in S3-compatible object storage (settings.STORAGES). A file
whose object is gone, or a store that does not answer, gives the person a page that says so
(404 or 503), never a server error; the log names the file for an operator.
"""

from __future__ import annotations

import logging

from django.shortcuts import render

logger = logging.getLogger(__name__)


class FileUnavailable(Exception):
    """The stored file cannot be read now; ``response`` is the page to show instead."""

    def __init__(self, response):
        super().__init__("stored file unavailable")
        self.response = response


def open_stored(request, field_file, *, what: str, back_url: str = ""):
    """The open file handle of ``field_file``, or raise FileUnavailable with the page to show."""
    try:
        return field_file.open("rb")
    except FileNotFoundError:
        logger.error("Stored file missing: %s (%s)", what, field_file.name)
        missing = True
    except Exception:  # the object store's own errors (botocore) do not subclass OSError
        logger.exception("File storage did not answer for %s (%s)", what, field_file.name)
        missing = False
    context = {"what": what, "missing": missing, "back_url": back_url}
    raise FileUnavailable(render(request, "core/file_unavailable.html", context, status=404 if missing else 503))
