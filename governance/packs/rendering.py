"""HTML -> PDF with WeasyPrint, fetching nothing but ``data:`` URIs and our own static files.

Pack templates inline their CSS and charts, so in practice nothing is fetched at all; the
restricted fetcher is the guard that keeps it so. A template (or user text that somehow
became markup) that points at ``http://...`` or ``file:///etc/passwd`` stops the render
instead of leaking a request or a local file into the PDF.

Fonts come from the system (DejaVu, installed with fonts-dejavu-core) through fontconfig.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs in pack HTML resolve against this, so "/static/css/x.css" becomes
# "file:///static/css/x.css", which the fetcher maps onto the static directories.
BASE_URL = "file:///"


class UnsafeURL(ValueError):
    """The PDF renderer asked for something outside ``data:`` and our static files."""


def _static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)]
    roots += [Path(d if isinstance(d, str | Path) else d[1]) for d in settings.STATICFILES_DIRS]
    return [r.resolve() for r in roots]


def _static_file(path: str) -> Path:
    """The file a ``/static/...`` path (or an absolute path inside a static root) names."""
    roots = _static_roots()
    static_url = "/" + settings.STATIC_URL.strip("/") + "/"
    candidates: list[Path] = []
    if path.startswith(static_url):
        relative = path[len(static_url) :]
        candidates = [(root / relative) for root in roots]
    else:
        candidates = [Path(path)]
    for candidate in candidates:
        resolved = candidate.resolve()
        # After resolving symlinks and "..", the file must still sit inside a static root.
        if any(resolved.is_relative_to(root) for root in roots) and resolved.is_file():
            return resolved
    raise UnsafeURL(f"Refused to fetch {path!r}: not one of our static files")


def safe_url_fetcher(url: str) -> URLFetcherResponse:
    """Fetch ``data:`` URIs and static files only; refuse everything else with ``UnsafeURL``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return URLFetcher(allowed_protocols={"data"}).fetch(url)
    if scheme == "file" and parts.netloc in ("", "localhost"):
        path = _static_file(unquote(parts.path))
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})
    raise UnsafeURL(f"Refused to fetch {url!r}: packs load only data: URIs and static files")


class SafeURLFetcher(URLFetcher):
    """WeasyPrint 70 wants a ``URLFetcher``; this one delegates to :func:`safe_url_fetcher`.

    ``fail_on_errors=True``: a refused URL stops the render (the pack fails with the reason)
    rather than quietly leaving a hole in the document.
    """

    def __init__(self) -> None:
        super().__init__(fail_on_errors=True)

    def fetch(self, url, headers=None):
        return safe_url_fetcher(url)


@dataclass
class RenderedPdf:
    data: bytes
    page_count: int
    tagged: str  # what accessibility structure the PDF carries: "pdf/ua-1", "tags" or "none"


def render_html(template: str, context: dict) -> str:
    """The pack's HTML (Django templates: user text is escaped)."""
    return render_to_string(template, context)


def layout(html: str) -> Document:
    """WeasyPrint's layout of the HTML, fetching only what :func:`safe_url_fetcher` allows."""
    try:
        return HTML(string=html, base_url=BASE_URL, url_fetcher=SafeURLFetcher()).render()
    except FatalURLFetchingError as exc:
        # WeasyPrint's fatal fetch error is a BaseException: turn it into an ordinary error
        # so the render service records it on the pack like any other failure.
        raise UnsafeURL(str(exc.__cause__ or exc)) from exc


def write_pdf(document: Document) -> tuple[bytes, str]:
    """Write a laid-out document, tagged for assistive technology where WeasyPrint can.

    PDF/UA-1 is tried first; WeasyPrint refuses it for some content (inline SVG among it),
    so on failure the same layout is written as a tagged PDF (``pdf_tags=True``), and only
    if that fails too, untagged. Returns the PDF and which of "pdf/ua-1", "tags", "none" it is.
    """
    attempts = (("pdf/ua-1", {"pdf_variant": "pdf/ua-1"}), ("tags", {"pdf_tags": True}), ("none", {}))
    last_error: Exception | None = None
    for label, options in attempts:
        try:
            return document.write_pdf(**options), label
        except Exception as exc:  # WeasyPrint raises assorted errors for unsupported variants
            logger.info("PDF variant %s not possible here: %s", label, exc)
            last_error = exc
    raise RuntimeError("WeasyPrint could not write the PDF") from last_error


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out and write the PDF as one document (see :func:`write_pdf` for its tagging)."""
    document = layout(html)
    data, tagged = write_pdf(document)
    return RenderedPdf(data=data, page_count=len(document.pages), tagged=tagged)


def render_pdf(template: str, context: dict) -> tuple[str, RenderedPdf]:
    html = render_html(template, context)
    return html, html_to_pdf(html)
