"""Median and p95 latency of the heavy pages on the large provider, beside a one-query floor.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 DJANGO_SETTINGS_MODULE=config.settings.local \
        .venv/bin/python benchmarks/pages.py [N]

``BENCH_SIZE=small`` (with a database of its own) builds a small provider: a check that the
script runs, not a measurement.

Requests go through Django's test Client (the full middleware stack, no network), signed in
as the large provider's nominated individual. The floor is ``core:account`` (a signed-in
page with the session, user and membership queries and nothing else); ``core:healthz``
(no session, one query) is printed too. Each page's requests alternate with the floor's, and
its ratio is to that floor's median, measured at the same moments. Goal: each page's median
within 2x of the floor.
Pages whose URL does not exist yet are skipped. A page that defers parts of itself
(templates/includes/lazy_panel.html) is followed by its deferred parts, each requested as htmx
does, and the sum of the page and all of them (the server's work for a reader who scrolls the
whole page). The objects loaded before measuring are frozen (``gc.freeze()``), as in a gunicorn
worker forked from the preloading master (gunicorn.conf.py).
"""

from __future__ import annotations

import gc
import re
import statistics
import sys
import time

from _setup import describe, provider, setup

setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from large_provider import SLUG  # noqa: E402

from core.models import User  # noqa: E402


def url_or_none(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


# A panel the page loads after itself (templates/includes/lazy_panel.html): its fragment's URL.
DEFERRED = re.compile(r'<div class="lazy-panel"[^>]*?hx-get="([^"]+)"')


def _timed(client: Client, url: str, headers: dict) -> float:
    started = time.perf_counter()
    client.get(url, headers=headers)
    return (time.perf_counter() - started) * 1000


def measure(client: Client, url: str, n: int, headers=None, floor=None) -> tuple[float, float, float, int, int, str]:
    """(median, p95, the floor's median, status, queries, HTML) of ``n`` requests of ``url``.

    ``floor`` (a client and URL): one floor request before each of the page's, so the page's
    ratio is to a floor measured at the same moments (this machine's speed drifts by half
    within a run); without it the floor's median is the page's own."""
    headers = headers or {}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    status, queries = response.status_code, len(ctx.captured_queries)
    times, floor_times = [], []
    for _ in range(n):
        if floor is not None:
            floor_times.append(_timed(*floor, {}))
        times.append(_timed(client, url, headers))
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    floor_median = statistics.median(floor_times) if floor_times else statistics.median(times)
    return statistics.median(times), p95, floor_median, status, queries, response.content.decode(errors="replace")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    settings.DEBUG = False  # no template debug or query log overhead beyond what we capture
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    p = provider()
    print(f"Large provider: {describe(p)}; database: {connection.vendor}; {n} requests per page")
    # As a gunicorn worker forked from the preloading master (gunicorn.conf.py): what is loaded
    # now (Django, the app, the first queries' caches) is frozen out of the collector's reach.
    for warm in (reverse("core:account"), reverse("core:home")):
        Client().get(warm)
    gc.freeze()
    service = p.services.order_by("name").first()
    # The NI for provider-wide pages; the service's registered manager for service pages
    # (the NI may not log audits).
    leader, manager = Client(), Client()
    leader.force_login(User.objects.get(email=f"ni@{SLUG}.example"))
    manager.force_login(User.objects.get(memberships__service=service, memberships__role="registered_manager"))
    s, prov = service.slug, p.slug
    pages = [
        ("floor: core:account (signed in)", manager, url_or_none("core:account")),
        ("floor: core:healthz (one query, no session)", Client(), url_or_none("core:healthz")),
        ("my work, registered manager (core:home)", manager, url_or_none("core:home")),
        ("my work, nominated individual (core:home)", leader, url_or_none("core:home")),
        ("services overview (core:overview)", leader, url_or_none("core:overview")),
        ("service dashboard (core:service_detail)", manager, url_or_none("core:service_detail", service=s)),
        ("recovery map (recovery:map_service)", manager, url_or_none("recovery:map_service", service=s)),
        ("closure queue (governance:closure_queue)", leader, url_or_none("governance:closure_queue")),
        ("audit form (audits:audit_start)", manager, url_or_none("audits:audit_start", service=s)),
        ("evidence library (evidence:library)", manager, url_or_none("evidence:library", service=s)),
        (
            "provider evidence library (evidence:provider_library)",
            leader,
            url_or_none("evidence:provider_library", provider=prov),
        ),
        ("provider recovery map (recovery:map_provider)", leader, url_or_none("recovery:map_provider", provider=prov)),
        ("flag list (governance:flag_list)", manager, url_or_none("governance:flag_list", service=s)),
        (
            "provider flag list (governance:provider_flag_list)",
            leader,
            url_or_none("governance:provider_flag_list", provider=prov),
        ),
        (
            "provider dashboard (governance:provider_dashboard)",
            leader,
            url_or_none("governance:provider_dashboard", provider=prov),
        ),
    ]
    floor = (manager, url_or_none("core:account"))
    print(f"{'page':52} {'status':>6} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'floor ms':>8} {'x floor':>8}")
    for label, client, url in pages:
        if url is None:
            print(f"{label:52} skipped: URL not defined yet")
            continue
        median, p95, floor_ms, status, queries, html = measure(client, url, n, floor=floor)
        print(
            f"{label:52} {status:>6} {queries:>7} {median:>10.1f} {p95:>8.1f} {floor_ms:>8.1f} "
            f"{median / floor_ms:>8.1f}"
        )
        deferred = list(dict.fromkeys(u.replace("&amp;", "&") for u in DEFERRED.findall(html)))
        total, total_floor = median, floor_ms
        for i, part in enumerate(deferred):
            d_median, d_p95, d_floor, d_status, d_queries, _ = measure(
                client, part, n, headers={"HX-Request": "true"}, floor=floor
            )
            total, total_floor = total + d_median, total_floor + d_floor
            if i < 3:
                name = f"  deferred part {i + 1} of {len(deferred)}"
                print(
                    f"{name:52} {d_status:>6} {d_queries:>7} {d_median:>10.1f} {d_p95:>8.1f} {d_floor:>8.1f} "
                    f"{d_median / d_floor:>8.1f}"
                )
        if deferred:
            name = f"  page and all {len(deferred)} deferred parts (sum)"
            mean_floor = total_floor / (len(deferred) + 1)
            print(f"{name:52} {'':>6} {'':>7} {total:>10.1f} {'':>8} {mean_floor:>8.1f} {total / mean_floor:>8.1f}")
    print("Goal: median within 2x of the signed-in floor (core:account).")


if __name__ == "__main__":
    main()
