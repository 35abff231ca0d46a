"""Benchmark: a long full pack rendered by 1, then 2, worker processes (the job path, real Redis).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python benchmarks/pack_workers.py [--services N] [--workers 1 2] [--days 182]

For each worker count it starts that many workers the way docker-compose.yml does, but each with
``--concurrency=1`` (one process each, as single-core hosts would be), requests the pack through
``pack_request`` (as the web app does), and times request to "done": the coordinating job
(context, each part's HTML into storage), the parts laid out by whichever worker is free, and
the merge. Prints wall time, parts, how many workers laid parts out, and the speed-up over one
worker. Workers share this machine's media folder (one host); on several hosts they would share
the S3 bucket instead. Needs its own database with the large provider (benchmarks/_setup.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def _worker_command() -> list[str]:
    import re

    text = (ROOT / "docker-compose.yml").read_text()
    block = re.search(r"^  worker:\n(.*?)(?=^  \S|\Z)", text, re.M | re.S).group(1)
    args = shlex.split(re.search(r"^    command: (.+)$", block, re.M).group(1))
    return [str(Path(sys.executable).parent / "celery"), *[a for a in args[1:] if not a.startswith("--concurrency")]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=0, help="Only the first N services (0: all of them).")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--days", type=int, default=182)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL (a Redis database of its own): the workers take the jobs from it.")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-workers-media-"))
    os.environ.setdefault("CELERY_QUEUE", "bench-pack-workers")

    from _setup import describe, provider, setup

    setup()
    from django.utils import timezone

    from core import permissions as policy
    from governance.models import EvidencePack
    from governance.packs.services import pack_request

    p = provider()
    chosen = list(p.services.order_by("name"))[: args.services or None]
    user = policy.users_with(policy.Verb.GENERATE_PACK, p).order_by("pk").first()
    today = timezone.localdate()
    print(f"{describe(p)}; pack of {len(chosen)} services, {args.days} days", flush=True)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "PYTHONUNBUFFERED": "1"}
    logs = Path(tempfile.mkdtemp(prefix="bench-workers-logs-"))
    results = []
    for count in args.workers:
        workers = []
        for n in range(count):
            log = (logs / f"{count}-{n}.log").open("wb")
            command = [*_worker_command(), "--concurrency=1", f"--hostname=bench{n}@%h"]
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - compose's own command
            workers.append((proc, log))
        deadline = time.monotonic() + 60
        while not all(" ready." in (logs / f"{count}-{n}.log").read_text(errors="replace") for n in range(count)):
            if time.monotonic() > deadline:
                sys.exit(f"workers not ready after 60 s; see {logs}")
            time.sleep(0.2)
        try:
            started = time.perf_counter()
            pack = pack_request(
                user=user,
                provider=p,
                services=chosen,
                date_from=today - datetime.timedelta(days=args.days),
                date_to=today,
            )
            while True:
                pack.refresh_from_db()
                if pack.status in (EvidencePack.Status.DONE, EvidencePack.Status.FAILED):
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - started
        finally:
            for proc, log in workers:
                proc.terminate()
                proc.wait(60)
                log.close()
        if pack.status != EvidencePack.Status.DONE:
            print(f"{count} worker(s): pack failed: {pack.error}", flush=True)
            return 1
        params = pack.parameters
        results.append((count, wall))
        print(
            f"{count} worker(s): {wall:.1f} s wall, {pack.page_count} pages, path {params['render_path']}, "
            f"{params['render_chunks']} documents, parts laid out by {params.get('render_workers', 1)} worker(s)",
            flush=True,
        )
    base = results[0][1]
    for count, wall in results[1:]:
        print(f"speed-up with {count} workers over {results[0][0]}: {base / wall:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
