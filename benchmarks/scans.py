"""Time and peak memory of a full flag scan of the large provider.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 DJANGO_SETTINGS_MODULE=config.settings.local \
        .venv/bin/python benchmarks/scans.py

Goal: under 10 s and 300 MB. Prints the first scan (raises every flag), a re-scan (the daily
steady state) and a scan with tracemalloc on (slower; used only for the memory figure).
"""

from __future__ import annotations

import resource
import time
import tracemalloc

from _setup import describe, provider, setup

setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from governance.flags.services import flags_scan_provider  # noqa: E402
from governance.models import Flag  # noqa: E402


def timed(p) -> tuple[float, int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = flags_scan_provider(provider=p)
        elapsed = time.perf_counter() - started
    return elapsed, len(ctx.captured_queries), result


def main() -> None:
    p = provider()
    print(f"Large provider: {describe(p)}")
    print(f"Database: {connection.vendor}")
    Flag.objects.filter(provider=p).delete()

    elapsed, queries, result = timed(p)
    print(f"First scan:  {elapsed:6.2f} s, {queries} queries, {sum(result.raised.values()):,} flags raised")
    elapsed, queries, result = timed(p)
    print(f"Re-scan:     {elapsed:6.2f} s, {queries} queries, {sum(result.still_open.values()):,} still open")

    # An event's re-evaluation: one service of the twenty (governance/flags/events.py).
    service = p.services.order_by("pk").first()
    try:
        from governance.flags.services import Scope, flags_reevaluate
    except ImportError:  # before flags followed events
        flags_reevaluate = None
    if flags_reevaluate is not None:
        for label in ("Event (one service)", "Event again"):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                flags_reevaluate(provider=p, scope=Scope(service.pk))
                elapsed = time.perf_counter() - started
            print(f"{label}: {elapsed:6.2f} s, {len(ctx.captured_queries)} queries")

    tracemalloc.start()
    flags_scan_provider(provider=p)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Peak memory of a scan (tracemalloc, Python allocations): {peak / 2**20:6.1f} MB")
    print(f"Process peak RSS so far (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.1f} MB")
    print("Goal: under 10 s and 300 MB.")


if __name__ == "__main__":
    main()
