"""Shared start-up for the benchmark scripts: a separate database, migrated, with the large provider.

Run on its own it only builds the large provider (benchmarks/large_provider.py), once per database:

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python benchmarks/_setup.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.rstrip("/").endswith("db.sqlite3"):
        sys.exit(
            "Benchmarks need their own database. Run e.g.\n"
            "  DATABASE_URL=sqlite:////tmp/bench.sqlite3 python benchmarks/scans.py\n"
            "or DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery_bench (the database must exist)."
        )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def provider():
    """The large provider, built on first use; ``BENCH_SIZE=small`` builds a small one instead
    (to check a script runs; use a database of its own for it)."""
    import time

    from large_provider import LARGE, SMALL, build_large_provider, large_provider

    existing = large_provider()
    if existing is not None:
        return existing
    print("Building the large provider (once per database)...", flush=True)
    started = time.perf_counter()
    built = build_large_provider(SMALL if os.environ.get("BENCH_SIZE") == "small" else LARGE)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return built


def describe(p) -> str:
    from audits.models import Audit
    from evidence.models import EvidenceItem
    from recovery.models import DataPoint, RecoveryAction

    return (
        f"{p.services.count()} services, {RecoveryAction.objects.filter(provider=p).count():,} actions, "
        f"{EvidenceItem.objects.filter(provider=p).count():,} evidence items, "
        f"{Audit.objects.filter(provider=p).count():,} audits, "
        f"{DataPoint.objects.filter(measure__provider=p).count():,} data points"
    )


if __name__ == "__main__":
    setup()
    from large_provider import PASSWORD, SLUG

    print(f"{describe(provider())}. Sign in as ni@{SLUG}.example / {PASSWORD}")
