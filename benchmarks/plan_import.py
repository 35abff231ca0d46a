"""Time to import a 2,000-row action plan (.xlsx) into one service, and to re-import it.

    DATABASE_URL=sqlite:////tmp/bench_import.sqlite3 DJANGO_SETTINGS_MODULE=config.settings.local \
        .venv/bin/python benchmarks/plan_import.py [ROWS]

Goal: 2,000 rows in under 10 s (read + header + preview + the one confirm transaction). Prints
wall time and this process's CPU time: on SQLite the database work is in-process, so on a busy
shared machine the CPU figure is the one to compare with the goal. Uses
its own provider ("bench-import"), made anew each run; not the large provider.
"""

from __future__ import annotations

import datetime
import io
import sys
import time

from _setup import setup

setup()

import openpyxl  # noqa: E402
from django.db import connection  # noqa: E402

from core.models import Membership, Provider, Role, Service, User  # noqa: E402
from recovery.importing import services  # noqa: E402


def build(rows: int) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws["A1"] = "Benchmark House: CQC action plan"
    ws.merge_cells("A1:H1")
    ws.append([])
    ws.append(["Ref", "Issue", "Key question", "Action", "Lead", "By when", "How we will know", "RAG"])
    for i in range(rows):
        ws.append(
            [
                f"B{i}",
                f"Finding {i % 40}: records incomplete",
                ["Safe", "Effective", "Caring", "Responsive", "Well-led"][i % 5],
                f"Action {i}: weekly sample of ten records",
                "Bench Manager",
                datetime.datetime(2027, 1 + i % 12, 1 + i % 28) if i % 2 else f"{1 + i % 28}/{1 + i % 12}/2027",
                "95% of sampled records complete" if i % 3 else "",
                ["Red", "Amber", "Green"][i % 3],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh_service() -> tuple[Service, User]:
    # A new provider each run: the trail (transitions, log entries) is append-only, never deleted.
    tag = f"{time.time_ns():x}"
    provider = Provider.objects.create(name=f"Bench import {tag}", slug=f"bench-import-{tag}")
    service = Service.objects.create(provider=provider, name="Benchmark House", slug=f"bench-house-{tag}")
    user, _ = User.objects.get_or_create(
        email="bench-manager@example.test", defaults={"first_name": "Bench", "last_name": "Manager"}
    )
    Membership.objects.create(user=user, provider=provider, service=service, role=Role.REGISTERED_MANAGER)
    return service, user


def run(service, user, data: bytes) -> tuple[float, float, object]:
    started, cpu = time.perf_counter(), time.process_time()
    plan_import = services.plan_import_start(actor=user, service=service, filename="bench.xlsx", data=data)
    plan_import = services.plan_import_map(actor=user, plan_import=plan_import, mapping=plan_import.mapping)
    services.preview(plan_import)  # what the preview page draws
    result = services.plan_import_confirm(actor=user, plan_import=plan_import)
    return time.perf_counter() - started, time.process_time() - cpu, result


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    service, user = fresh_service()
    data = build(rows)
    print(f"Database: {connection.vendor}; {rows:,} rows, {len(data) / 1024:.0f} KB")
    elapsed, cpu, result = run(service, user, data)
    done = f"{len(result.imported):,} imported, {len(result.skipped):,} skipped"
    print(f"First import: {elapsed:.1f} s wall, {cpu:.1f} s CPU ({done})")
    elapsed, cpu, result = run(service, user, data)
    done = f"{len(result.imported):,} imported, {len(result.skipped):,} unchanged"
    print(f"Re-import:    {elapsed:.1f} s wall, {cpu:.1f} s CPU ({done})")


if __name__ == "__main__":
    main()
