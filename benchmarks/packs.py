"""Benchmark: a full re-inspection pack for the large provider (benchmarks/large_provider.py).

    DATABASE_URL=sqlite:////tmp/bench_packs.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench_packs.sqlite3 .venv/bin/python benchmarks/packs.py [--kind full] [--days 182]

Prints pages, seconds, peak memory (max RSS), the query count of the context, and the time of
WeasyPrint alone on the same finished HTML (the floor). Goal: total within 1.3x of the floor,
peak memory under 1 GiB, and a fixed number of queries whatever the size.

A long pack is laid out in chunks and merged (governance/packs/chunked.py); its finished HTML is
then the chunks' documents (the front, as finally laid out, and each body chunk), and the floor
is WeasyPrint laying out and writing each of them (tagged if the chunks were), summed: no
context, templating, footer overlay or merging (pikepdf). ``--path single|chunked`` forces a
path; ``--single-floor`` also times WeasyPrint on the pack as one document (feasible for a
service or two, not the whole provider). Run it in a fresh process once the large provider
exists, so peak RSS is the render's alone. Refuses to run without its own DATABASE_URL (never
db.sqlite3).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=["full", "commissioner"], default="full")
    parser.add_argument("--days", type=int, default=182, help="Length of the period, ending today.")
    parser.add_argument("--services", type=int, default=0, help="Only the first N services (0: all of them).")
    parser.add_argument("--path", choices=["auto", "single", "chunked"], default="auto")
    parser.add_argument("--single-floor", action="store_true", help="Also time WeasyPrint on the pack as one document.")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url or url.rstrip("/").endswith("db.sqlite3"):
        print("Set DATABASE_URL to a scratch database, e.g. sqlite:////tmp/bench_packs.sqlite3", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-packs-media-"))

    import django

    django.setup()
    from django.conf import settings

    if args.path != "auto":
        settings.PACK_SINGLE_PASS_MEASURES = 10**9 if args.path == "single" else 0
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from large_provider import build_large_provider, large_provider

    from core import permissions as policy
    from governance.models import EvidencePack
    from governance.packs import context as pack_context
    from governance.packs import rendering, services

    provider = large_provider()
    if provider is None:
        started = time.perf_counter()
        provider = build_large_provider()
        print(f"built the large provider in {time.perf_counter() - started:.1f} s")
        print("(peak memory below includes building it: run again in a fresh process for the render alone)")
    chosen = list(provider.services.order_by("name"))
    if args.services:
        chosen = chosen[: args.services]
    user = policy.users_with(policy.Verb.GENERATE_PACK, provider).order_by("pk").first()
    today = timezone.localdate()
    date_from = today - datetime.timedelta(days=args.days)

    # Warm fontconfig and WeasyPrint's caches so the pack and the floor are measured alike.
    warm_up = '<html lang="en"><head><title>w</title></head><body><p>Warm-up</p><svg width="9" height="9"></svg>'
    rendering.html_to_pdf(warm_up + "</body></html>")
    # Every document WeasyPrint lays out, kept on disk so holding them costs the render no memory.
    html_dir = Path(tempfile.mkdtemp(prefix="bench-packs-html-"))
    html_files: list[Path] = []

    def sink(html: str) -> None:
        path = html_dir / f"{len(html_files):04d}.html"
        path.write_text(html, encoding="utf-8")
        html_files.append(path)

    rss_before = _rss_mib()
    started = time.perf_counter()
    result = services.pack_render_now(
        user=user,
        provider=provider,
        services=chosen,
        kind=args.kind,
        date_from=date_from,
        date_to=today,
        html_sink=sink,
    )
    total = time.perf_counter() - started
    rss_total = _rss_mib()
    pack = result.pack
    if pack.status != EvidencePack.Status.DONE:
        print(f"pack failed: {pack.error}", file=sys.stderr)
        return 1

    # Queries of the context builder alone (the render above ran it once already).
    fresh = EvidencePack.objects.select_related("provider", "requested_by").get(pk=pack.pk)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        ctx = pack_context.build_pack_context(fresh)
        context_seconds = time.perf_counter() - started

    # The floor: WeasyPrint alone on the same finished HTML, written as the pack was.
    floor, floor_pages, html_bytes = 0.0, 0, 0
    if result.path == "chunked":
        # The sink was given each body chunk and the front the pack kept (a front laid out again
        # because its own page count changed is overhead, not floor).
        for path in html_files:
            html = path.read_text(encoding="utf-8")
            html_bytes += len(html)
            started = time.perf_counter()
            document = rendering.layout(html)
            if result.tagged == "none":  # written as the pack's chunks were
                document.write_pdf()
            else:
                rendering.write_pdf(document)
            floor += time.perf_counter() - started
            floor_pages += len(document.pages)
            del document, html
    else:
        html = html_files[0].read_text(encoding="utf-8")
        html_bytes = len(html)
        started = time.perf_counter()
        floor_pages = rendering.html_to_pdf(html).page_count
        floor = time.perf_counter() - started
    rss_floor = _rss_mib()
    single_floor = None
    if args.single_floor and result.path == "chunked":
        html = rendering.render_html(services.TEMPLATES[pack.kind], ctx)
        started = time.perf_counter()
        rendering.html_to_pdf(html)
        single_floor = time.perf_counter() - started

    print(f"provider: {provider.name}: {len(chosen)} services, period {date_from} to {today}, kind {args.kind}")
    print(
        f"content: {len(ctx.get('measures', []))} measure charts, {len(ctx.get('manifest', []))} evidence items, "
        f"{len(ctx.get('audits', []))} audits, {html_bytes / 1e6:.1f} MB of HTML in {len(html_files)} document(s)"
    )
    print(f"pages: {pack.page_count} (floor run: {floor_pages}); size {pack.size_bytes / 1e6:.1f} MB")
    print(f"context: {len(queries.captured_queries)} queries, {context_seconds:.2f} s")
    print(f"path: {result.path}, {result.chunks} document(s) laid out, structure {result.tagged}")
    stats = result.chunk_stats
    if stats is not None:
        print(
            f"total: {total:.2f} s (context {result.html_seconds:.2f} s; chunks {result.pdf_seconds:.2f} s, of which "
            f"WeasyPrint {stats.weasyprint_seconds:.2f} s, footer overlay {stats.overlay_seconds:.2f} s, "
            f"merging {stats.merge_seconds:.2f} s, extra front layouts {stats.extra_front_layouts})"
        )
    else:
        print(
            f"total: {total:.2f} s (context + HTML {result.html_seconds:.2f} s, WeasyPrint {result.pdf_seconds:.2f} s)"
        )
    label = "sum over the chunks' documents" if result.path == "chunked" else "one document"
    print(f"floor (WeasyPrint alone on the finished HTML, {label}): {floor:.2f} s -> total / floor {total / floor:.2f}")
    if single_floor is not None:
        print(f"single-document floor (the same pack as one document): {single_floor:.2f} s")
    print(
        f"peak memory (max RSS): {rss_total:.0f} MiB after the pack (started at {rss_before:.0f} MiB), "
        f"{rss_floor:.0f} MiB after the floor run"
    )
    ok = total <= 1.3 * floor and rss_total < 1024
    print("goal met" if ok else "goal NOT met (total <= 1.3 x floor, peak < 1 GiB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
