"""Recording who looked at what: one way for a view to say it shows a provider's records.

A page, download or export of care records is declared with the decorator::

    from core.access import AccessKind, records_access

    @login_required
    @records_access(AccessKind.EXPORT, label="Measures export")
    def measures_export(request, service: str): ...

The subject (what was looked at, and so the provider and service the record belongs to) is
the first object the view fetched through ``policy.get_or_404`` or ``get_through_or_404``:
every page of records starts with that lookup, so naming the subject costs no query. A view
that fetches its object another way, or shows something else, names it itself::

    record_access(request, kind=AccessKind.PACK, subject=pack, label="Evidence pack")

``AccessRecordMiddleware`` writes the record after the view has answered: one INSERT, only
for a signed-in person, only for a safe method (GET or HEAD) with a 2xx response, outside
the request's transaction. Not recorded: static files (answered before any view), htmx
requests from the page itself (a partial refresh of a page already recorded), failed or
refused requests. If the INSERT fails the page is still served and the failure is logged
(``core.access`` logger, ERROR, with who and what), so the log holds what the table missed.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from .models.access import AccessKind, AccessRecord

__all__ = ["AccessKind", "AccessRecordMiddleware", "record_access", "records_access"]

logger = logging.getLogger(__name__)

USER_AGENT_LENGTH = AccessRecord._meta.get_field("user_agent").max_length
PATH_LENGTH = AccessRecord._meta.get_field("path").max_length
LABEL_LENGTH = AccessRecord._meta.get_field("label").max_length


@dataclass
class Pending:
    """What this request showed, written by the middleware once the response is known."""

    kind: str
    label: str
    subject: Any = None
    service: Any = None


# Set while a recorded view runs: the first object the policy lets it see becomes the subject.
_watching: ContextVar[Pending | None] = ContextVar("core_access_watching", default=None)


def records_access(kind: AccessKind | str, *, label: str):
    """Record each successful GET of the decorated view as ``kind`` ("page", "download",
    "export", "pack") with ``label`` (a short name for what it shows: "Action", "Evidence
    library"). Put it below ``login_required``."""
    kind = AccessKind(kind)

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            pending = Pending(kind=kind, label=label)
            token = _watching.set(pending)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _watching.reset(token)
            if getattr(request, "_access_pending", None) is None:
                request._access_pending = pending
            return response

        wrapped.records_access = kind
        return wrapped

    return decorate


def record_access(request, *, kind: AccessKind | str, subject, service=None, label: str = "") -> None:
    """Say what this request shows: ``subject`` (a tenant object, a Service or a Provider) as
    ``kind``; ``service`` only where the subject's own is not the one to record. Replaces what
    the decorator found. Written with the response, as for a decorated view."""
    request._access_pending = Pending(
        kind=AccessKind(kind),
        label=label or subject._meta.verbose_name.capitalize(),
        subject=subject,
        service=service,
    )


def saw(obj) -> None:
    """Called by the permission policy for each object it lets a user see (cheap when nothing
    is being recorded: one context-variable read)."""
    pending = _watching.get()
    if pending is not None and pending.subject is None:
        pending.subject = obj


def client_ip(request) -> str | None:
    """The address the request came from: ``REMOTE_ADDR``, or, only when
    ``ACCESS_RECORD_IP_HEADER`` names the header a trusted proxy in front of the app sets,
    the last address in that header (the one that proxy added; earlier ones are the client's
    own word)."""
    address = request.META.get("REMOTE_ADDR", "")
    header = settings.ACCESS_RECORD_IP_HEADER
    if header:
        key = "HTTP_" + header.upper().replace("-", "_")
        forwarded = request.META.get(key, "")
        if forwarded:
            address = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _scope(obj) -> tuple[int, int | None]:
    from .permissions import scope_of

    return scope_of(obj)


def _is_refresh(request) -> bool:
    """An htmx request made by the page it asks for: that page was recorded when it loaded."""
    htmx = getattr(request, "htmx", None)
    return (
        bool(htmx)
        and htmx.current_url_abs_path is not None
        and (htmx.current_url_abs_path.split("?", 1)[0] == request.path)
    )


def _row(request, pending: Pending) -> AccessRecord | None:
    subject = pending.subject
    if subject is None:
        logger.warning("Recorded view %s found no subject: nothing recorded", request.path)
        return None
    provider_id, service_id = _scope(subject)
    if pending.service is not None:
        service_id = pending.service.pk
    match = getattr(request, "resolver_match", None)

    return AccessRecord(
        user_id=request.user.pk,
        provider_id=provider_id,
        service_id=service_id,
        kind=pending.kind,
        label=pending.label[:LABEL_LENGTH],
        object_type=subject._meta.label_lower,
        object_id=subject.pk,
        url_name=match.view_name if match else "",
        path=request.get_full_path()[:PATH_LENGTH],
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        at=timezone.now(),
    )


def write(request, pending: Pending) -> None:
    """The one INSERT; a failure is logged, never raised (the page is already made)."""
    try:
        row = _row(request, pending)
        if row is not None:
            with transaction.atomic():  # a savepoint when inside a transaction, so a failure spoils nothing
                row.save(force_insert=True)
    except DatabaseError:
        logger.exception(
            "Could not record access: user %s, %s %s (%s)", request.user.pk, pending.kind, request.path, pending.label
        )


class AccessRecordMiddleware:
    """Writes the record a view declared (``records_access`` / ``record_access``) once its
    response is a success. Runs outside the view's transaction (``ATOMIC_REQUESTS`` wraps the
    view only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pending = getattr(request, "_access_pending", None)
        if (
            pending is not None
            and request.method in ("GET", "HEAD")
            and 200 <= response.status_code < 300
            and request.user.is_authenticated
            and not _is_refresh(request)
        ):
            write(request, pending)
        return response
