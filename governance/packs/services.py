"""Writes for evidence packs: request one (queued after commit), render one (claimed once).

A render never leaves half a file: the PDF is built in memory and the FileField is written
only when the whole document exists; a failure records its reason on the pack instead.
Only a ``done`` pack names a file, and only a ``done`` pack is downloaded.

Sending the job never fails a request: with the broker down the pack stays queued with a
note saying so, and the reaper (``stuck``) sends it again. Each claim of a pack counts an
attempt; the attempt number fences the later writes, so a render that lost its claim cannot
store or fail the pack another render now holds.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from core import limits
from core import permissions as policy
from core.models import Provider, Service
from governance.models import EvidencePack, PackPart
from governance.packs import chunked, parameters, rendering
from governance.packs import context as pack_context
from governance.packs.models import RENDERER_UNAVAILABLE, WAITING, lost_q
from recovery.models import RecoveryAction

logger = logging.getLogger(__name__)

TEMPLATES = {
    EvidencePack.Kind.FULL: "governance/packs/pdf/full.html",
    EvidencePack.Kind.COMMISSIONER: "governance/packs/pdf/commissioner.html",
    EvidencePack.Kind.ACTION: "governance/packs/pdf/action.html",
}
Status = EvidencePack.Status


@transaction.atomic
def pack_request(
    *,
    user,
    provider: Provider,
    services: list[Service],
    kind: str = EvidencePack.Kind.FULL,
    service: Service | None = None,
    action: RecoveryAction | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    key_questions: list[str] | None = None,
    sections: list[str] | None = None,
    queue: bool = True,
) -> EvidencePack:
    """Record a pack request and queue its render once this transaction commits."""
    if action is not None:
        policy.require(user, policy.Verb.GENERATE_PACK, action)
        services = [action.service] if action.service_id else []
        provider = action.provider
        service = action.service
        kind = EvidencePack.Kind.ACTION
    else:
        if not services:
            raise ValidationError("Choose at least one service.")
        for s in services:
            if s.provider_id != provider.pk or not policy.can(user, policy.Verb.GENERATE_PACK, s):
                raise PermissionDenied("Your role does not allow a pack for this service.")
    raw = {
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "key_questions": key_questions or [],
        "sections": sections or [],
    }
    params = parameters.parse_parameters(raw)  # ValidationError-like: fail before queueing
    pack = EvidencePack.objects.create(
        provider=provider,
        service=service,
        action=action,
        kind=kind,
        parameters=params.as_json(),
        requested_by=user,
        progress_note=WAITING,
        queued_at=timezone.now(),
    )
    pack.services.set(services)
    if queue:
        pack_queue(pack_id=pack.pk)
    return pack


def pack_queue(*, pack_id: int) -> None:
    """Send the render job once the surrounding transaction has committed (in-process without a broker)."""
    transaction.on_commit(lambda: pack_publish(pack_id=pack_id))


# What a broker that is down or unreachable raises on publish (kombu wraps redis' errors).
BROKER_ERRORS = (KombuError, OSError)


def pack_publish(*, pack_id: int) -> bool:
    """Hand the render job to the broker now; False, with the pack's note saying so, if it is down.

    No retry and no result store: a web request answers at once (CELERY_BROKER_CONNECTION_TIMEOUT
    bounds the connect), and the pack row, not a Celery result, says how the render went.
    """
    from governance.packs.tasks import render_pack

    try:
        render_pack.apply_async((pack_id,), retry=False, ignore_result=True)
    except BROKER_ERRORS as exc:
        logger.warning("Pack %s saved but not sent to the renderer (broker unavailable): %s", pack_id, exc)
        EvidencePack.objects.filter(pk=pack_id, status=Status.QUEUED).update(progress_note=RENDERER_UNAVAILABLE)
        return False
    EvidencePack.objects.filter(pk=pack_id, status=Status.QUEUED, progress_note=RENDERER_UNAVAILABLE).update(
        progress_note=WAITING
    )
    return True


def exhausted_message(attempts: int) -> str:
    return (
        f"The renderer stopped {attempts} times while producing this pack (its process was lost, for "
        "example out of memory). No file was kept. Try again, or choose a shorter period or fewer sections."
    )


def pack_claim(*, pack_id: int, job_id: str | None = None) -> bool:
    """Move the pack from queued to rendering; True only for the one caller that did it.

    A pack still "rendering" may be claimed again by the same job (``job_id``: a message
    redelivered because its worker process died, or a retry of the task) or by anyone once it
    is stale. A pack claimed ``PACK_RENDER_ATTEMPTS`` times is failed instead, so a pack that
    kills its worker cannot be redelivered forever.
    """
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) | lost_q(now)
    if job_id:
        claimable |= Q(status=Status.RENDERING, claimed_by=job_id)
    limit = settings.PACK_RENDER_ATTEMPTS
    changed = EvidencePack.objects.filter(claimable, pk=pack_id, attempts__lt=limit).update(
        status=Status.RENDERING,
        started_at=now,
        progress=5,
        progress_note="Starting",
        error="",
        attempts=F("attempts") + 1,
        claimed_by=job_id or "",
        parts_total=0,
        parts_done=0,
        merge_started_at=None,
        front={},
        touched_at=None,
    )
    if changed == 1:
        return True
    EvidencePack.objects.filter(claimable, pk=pack_id, attempts__gte=limit).update(
        status=Status.FAILED,
        error=exhausted_message(limit),
        progress_note="Failed",
        finished_at=now,
        claimed_by="",
    )
    return False


def _progress(pack_id: int, attempt: int, progress: int, note: str) -> None:
    EvidencePack.objects.filter(pk=pack_id, status=Status.RENDERING, attempts=attempt).update(
        progress=progress, progress_note=note
    )


def _test_pause(pack_id: int, attempt: int) -> None:
    """Test settings only (PACK_RENDER_TEST_DELAY): hold the render so a test can kill its worker."""
    delay = getattr(settings, "PACK_RENDER_TEST_DELAY", 0)
    if delay:
        _progress(pack_id, attempt, 30, "Paused for a test")
        time.sleep(delay)


@dataclass
class RenderResult:
    pack: EvidencePack
    html_seconds: float = 0.0
    pdf_seconds: float = 0.0
    tagged: str = ""
    html: str = ""
    path: str = ""  # "single" (one document), "chunked" (laid out in parts here, merged) or
    # "distributed" (parts sent to every worker; ``pack_render_part`` and ``pack_merge`` finish it)
    chunks: int = 1
    chunk_stats: chunked.ChunkedStats | None = None


def _chunk(pack: EvidencePack, ctx: dict) -> bool:
    """Long full packs go in chunks: WeasyPrint holds a whole document's layout in memory.

    Both paths write a tagged PDF. The single document stays for short packs (and every
    commissioner and action pack) because its layout flows across pages with no seams and it
    costs no extra front and overlay layouts or merge; see ``chunked``'s docstring.
    """
    return pack.kind == EvidencePack.Kind.FULL and chunked.pack_cost(ctx) > settings.PACK_SINGLE_PASS_MEASURES


def pack_render(
    *,
    pack_id: int,
    job_id: str | None = None,
    keep_html: bool = False,
    html_sink: Callable[[str], None] | None = None,
    distribute: bool = False,
) -> RenderResult | None:
    """Render a claimed pack; None when another run has it (or it is finished).

    ``job_id``: the Celery task id, so a redelivered message may take back its own claim.
    ``distribute`` (the job, when ``PACK_DISTRIBUTE``): a long pack's chunks go to every
    worker as a group of ``render_pack_part`` jobs and this returns with the pack still
    rendering; the job that lays out the last part sends ``merge_pack``. Without it (the CLI,
    the benchmark) the chunks are laid out here, one after another.
    ``keep_html`` keeps a single document's HTML on the result; ``html_sink`` is given the
    finished HTML of every document laid out (one, or each chunk and the front), for the benchmark.
    """
    if not pack_claim(pack_id=pack_id, job_id=job_id):
        logger.info("Pack %s is not waiting to render; nothing to do", pack_id)
        return None
    pack = EvidencePack.objects.select_related("provider", "service", "requested_by", "action").get(pk=pack_id)
    attempt = pack.attempts
    result = RenderResult(pack=pack)
    try:
        started = time.perf_counter()
        _progress(pack_id, attempt, 15, "Gathering the plan, measures and evidence")
        _test_pause(pack_id, attempt)
        ctx = pack_context.build_pack_context(pack)
        _drop_parts(pack_id)  # an earlier attempt's parts, if any: this attempt plans its own
        if distribute and _chunk(pack, ctx):
            result.chunks = _distribute(pack, attempt, ctx)
            result.html_seconds = time.perf_counter() - started
            result.path = "distributed"
        elif _chunk(pack, ctx):
            result.html_seconds = time.perf_counter() - started
            started = time.perf_counter()

            def progress(done: int, of: int) -> None:
                _progress(pack_id, attempt, 40 + 45 * done // of, f"Laying out the PDF: part {done} of {of}")

            pdf, stats = chunked.render_chunked(ctx, html_sink=html_sink, progress=progress)
            result.pdf_seconds = time.perf_counter() - started
            result.path, result.chunks, result.chunk_stats = "chunked", stats.chunks, stats
        else:
            _progress(pack_id, attempt, 40, "Writing the pages")
            html = rendering.render_html(TEMPLATES[pack.kind], ctx)
            result.html_seconds = time.perf_counter() - started
            _progress(pack_id, attempt, 60, "Laying out the PDF")
            if html_sink is not None:
                html_sink(html)
            started = time.perf_counter()
            pdf = rendering.html_to_pdf(html)
            result.pdf_seconds = time.perf_counter() - started
            result.path = "single"
            if keep_html:
                result.html = html
        if result.path != "distributed":
            result.tagged = pdf.tagged
            _progress(pack_id, attempt, 90, "Storing the file")
            _store(pack, pdf, render_path=result.path, chunks=result.chunks)
    except Exception as exc:  # record every failure on the pack; nothing half-written is kept
        logger.exception("Pack %s failed to render", pack_id)
        pack_fail(pack_id=pack_id, error=_error_text(exc), attempt=attempt)
        pack.refresh_from_db()
        return result
    pack.refresh_from_db()
    return result


def _error_text(exc: Exception) -> str:
    if isinstance(exc, parameters.PackParameterError):
        return str(exc)
    return limits.clip(f"{type(exc).__name__}: {exc}", limits.NOTE)


def _filename(pack: EvidencePack) -> str:
    where = pack.service.slug if pack.service_id else pack.provider.slug
    return f"{pack.kind}-{where}-{timezone.localdate():%Y%m%d}-{pack.pk}.pdf"


def _store(pack: EvidencePack, pdf: rendering.RenderedPdf, *, render_path: str, chunks: int, workers: int = 1) -> None:
    """Write the file and the facts about it together; remove the file if the row cannot be saved.

    The row names the file only once it is whole (``save`` has returned), in the same UPDATE
    that makes the pack ``done``; a render killed while writing leaves a nameless file no row
    points to, and the pack is never served.
    """
    digest = hashlib.sha256(pdf.data).hexdigest()
    pack.file.save(_filename(pack), ContentFile(pdf.data), save=False)
    try:
        with transaction.atomic():
            params = dict(pack.parameters)
            params["pdf_structure"] = pdf.tagged
            params["render_path"] = render_path
            params["render_chunks"] = chunks
            params["render_workers"] = workers
            updated = EvidencePack.objects.filter(pk=pack.pk, status=Status.RENDERING, attempts=pack.attempts).update(
                file=pack.file.name,
                page_count=pdf.page_count,
                size_bytes=len(pdf.data),
                sha256=digest,
                parameters=params,
                status=Status.DONE,
                progress=100,
                progress_note="Ready",
                finished_at=timezone.now(),
                error="",
                claimed_by="",
            )
            if updated != 1:
                raise RuntimeError("The pack changed while it was rendering.")
    except Exception:
        pack.file.delete(save=False)
        raise


# A long pack across workers -------------------------------------------------------------


def _storage():
    return EvidencePack._meta.get_field("file").storage


def _parts_folder(pack_id: int, attempt: int) -> str:
    return f"packs/parts/{pack_id}-{attempt}"


def _distribute(pack: EvidencePack, attempt: int, ctx: dict) -> int:
    """Write each body chunk's HTML to storage, a row per part, and send the parts as one group.

    The HTML is finished here (templating needs the whole context; laying out does not), so a
    part's job only reads its file and lays it out: any worker, on any host sharing the storage.
    """
    from celery import group

    from governance.packs.tasks import render_pack_part

    chunks = chunked.plan(ctx, settings.PACK_CHUNK_MEASURES)
    storage, folder = _storage(), _parts_folder(pack.pk, attempt)
    parts = []
    for n, pieces in enumerate(chunks):
        _progress(pack.pk, attempt, 20 + 20 * (n + 1) // len(chunks), f"Preparing part {n + 1} of {len(chunks)}")
        html = chunked.chunk_html(ctx, pieces)
        name = storage.save(f"{folder}/{n:04d}.html", ContentFile(html.encode()))
        parts.append(PackPart(pack_id=pack.pk, attempt=attempt, index=n, html_name=name))
    front = {
        "data": chunked.front_data(ctx),
        "tagged": chunked.pack_cost(ctx) <= chunked.TAGGED_MERGE_MAX_COST,
        "generated_at": ctx["generated_at"].isoformat(),
    }
    with transaction.atomic():
        planned = EvidencePack.objects.filter(pk=pack.pk, status=Status.RENDERING, attempts=attempt).update(
            parts_total=len(parts),
            parts_done=0,
            front=front,
            touched_at=timezone.now(),
            progress=40,
            progress_note=f"Laying out the PDF: 0 of {len(parts)} parts",
        )
        if planned != 1:
            raise RuntimeError("The pack changed while its parts were prepared.")
        PackPart.objects.bulk_create(parts)
    group(render_pack_part.si(pack.pk, attempt, n) for n in range(len(parts))).apply_async()
    return len(parts) + 1


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def pack_render_part(*, pack_id: int, attempt: int, index: int) -> str:
    """Lay out one part of a pack's attempt; safe to run twice (a done part is not laid out again).

    The part that finds every part done sends the merge (as may a redelivered one: the merge
    claims the pack once, so a second send does nothing).
    """
    live = EvidencePack.objects.filter(pk=pack_id, status=Status.RENDERING, attempts=attempt)
    part = PackPart.objects.filter(pack_id=pack_id, attempt=attempt, index=index).first()
    if part is None or not live.exists():
        return "stale"
    if part.done_at is None:
        storage = _storage()
        try:
            with storage.open(part.html_name, "rb") as fh:
                html = fh.read().decode()
            tag = bool(live.values_list("front__tagged", flat=True).first())
            laid = chunked.lay_out_part(html, tag=tag)
            del html
            name = storage.save(f"{_parts_folder(pack_id, attempt)}/{index:04d}.pdf", ContentFile(laid.data))
        except Exception as exc:  # the pack fails with its reason; nothing half-made is kept
            logger.exception("Part %s of pack %s failed to render", index + 1, pack_id)
            pack_fail(pack_id=pack_id, error=_error_text(exc), attempt=attempt)
            _drop_parts(pack_id)
            return "failed"
        now = timezone.now()
        with transaction.atomic():
            layout = {**laid.as_json(), "worker": _worker_name()}
            if PackPart.objects.filter(pk=part.pk, done_at__isnull=True).update(
                pdf_name=name, layout=layout, done_at=now
            ):
                live.update(parts_done=F("parts_done") + 1, touched_at=now)
    row = live.values("parts_done", "parts_total", "merge_started_at").first()
    if row is None:
        return "stale"
    done, total = row["parts_done"], row["parts_total"]
    progress = 40 + 45 * done // max(total, 1)
    live.filter(progress__lt=progress).update(
        progress=progress, progress_note=f"Laying out the PDF: {done} of {total} parts"
    )
    if done >= total and row["merge_started_at"] is None:
        from governance.packs.tasks import merge_pack

        merge_pack.apply_async((pack_id, attempt), ignore_result=True)
    return "done"


def pack_merge(*, pack_id: int, attempt: int, job_id: str | None = None) -> EvidencePack | None:
    """Join an attempt's parts under the cover and contents and store the pack; once per attempt.

    The claim is a conditional UPDATE (every part in, no merge yet, or this same job taking
    back its own claim after its worker died); any other send of the merge does nothing.
    """
    now = timezone.now()
    mine = Q(merge_started_at__isnull=True)
    if job_id:
        mine |= Q(claimed_by=f"merge:{job_id}")
    claimed = EvidencePack.objects.filter(
        mine, pk=pack_id, status=Status.RENDERING, attempts=attempt, parts_done__gte=F("parts_total")
    ).update(
        merge_started_at=now,
        touched_at=now,
        claimed_by=f"merge:{job_id or ''}",
        progress=88,
        progress_note="Joining the parts",
    )
    if claimed != 1:
        return None
    pack = EvidencePack.objects.select_related("provider", "service", "requested_by").get(pk=pack_id)
    storage = _storage()
    try:
        parts = list(PackPart.objects.filter(pack_id=pack_id, attempt=attempt).order_by("index"))
        if len(parts) != pack.parts_total or any(p.done_at is None for p in parts):
            raise RuntimeError("A part of the pack is missing.")
        front = pack.front
        front_ctx = pack_context.front_context(
            pack, front["data"], datetime.datetime.fromisoformat(front["generated_at"])
        )

        def laid_parts():
            for part in parts:
                with storage.open(part.pdf_name, "rb") as fh:
                    data = fh.read()
                yield chunked.part_from_json(part.layout, data)

        pdf, stats = chunked.render_parts(front_ctx, laid_parts(), tagged=front["tagged"], parts_count=len(parts))
        _progress(pack_id, attempt, 90, "Storing the file")
        workers = len({p.layout.get("worker") for p in parts})
        _store(pack, pdf, render_path="distributed", chunks=stats.chunks, workers=workers)
    except Exception as exc:
        logger.exception("Pack %s failed to merge", pack_id)
        pack_fail(pack_id=pack_id, error=_error_text(exc), attempt=attempt)
    finally:
        _drop_parts(pack_id)
    pack.refresh_from_db()
    return pack


def _drop_parts(pack_id: int) -> None:
    """Remove a pack's parts (their files, then their rows): after the merge, a failure or a new attempt."""
    storage = _storage()
    for html_name, pdf_name in PackPart.objects.filter(pack_id=pack_id).values_list("html_name", "pdf_name"):
        for name in (html_name, pdf_name):
            if name:
                try:
                    storage.delete(name)
                except Exception:  # a part's file already gone, or the store briefly down: not the pack's failure
                    logger.warning("Could not remove %s", name, exc_info=True)
    PackPart.objects.filter(pack_id=pack_id).delete()


def pack_fail(*, pack_id: int, error: str, attempt: int | None = None) -> None:
    """Fail the pack (not a finished one); with ``attempt``, only if that render still holds it."""
    qs = EvidencePack.objects.filter(pk=pack_id).exclude(status=Status.DONE)
    if attempt is not None:
        qs = qs.filter(status=Status.RENDERING, attempts=attempt)
    qs.update(
        status=Status.FAILED,
        error=limits.clip(error or "Unknown error", limits.NOTE),
        progress_note="Failed",
        finished_at=timezone.now(),
        progress=F("progress"),
        claimed_by="",
    )


def pack_render_now(
    *,
    user,
    provider: Provider,
    services: list[Service],
    kind: str = EvidencePack.Kind.FULL,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    keep_html: bool = False,
    html_sink: Callable[[str], None] | None = None,
) -> RenderResult:
    """Request and render in this process (the CLI and the benchmark): same code as the job."""
    pack = pack_request(
        user=user,
        provider=provider,
        services=services,
        kind=kind,
        service=services[0] if len(services) == 1 else None,
        date_from=date_from,
        date_to=date_to,
        queue=False,
    )
    result = pack_render(pack_id=pack.pk, keep_html=keep_html, html_sink=html_sink)
    assert result is not None
    return result
