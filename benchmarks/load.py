"""Load: concurrent signed-in users on gunicorn, the key pages, server-side and client latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery_bench \\
        .venv/bin/python benchmarks/load.py [--users 50] [--seconds 180] [--workers 3]

Starts gunicorn the way docker-compose.yml's web service does (``config.wsgi``, sync workers,
``--workers``), bound to 127.0.0.1 only, with DEBUG off, on the large provider's database
(benchmarks/_setup.py builds it once). Each simulated user is a real session of one of the
provider's people (registered managers on their own service's pages, the nominated individual
and quality lead on the provider's), requesting the key pages in a shuffled round with no
think time, for a bounded time. Server-side time is gunicorn's own per-request figure (%(D)s in
its access log), so it leaves out queueing in the socket backlog; client time includes it.
Prints, per page: requests, errors, client and server median and p95, and server p95 against
the floor's (``core:account``). A page that defers parts of itself (includes/lazy_panel.html)
has each of them fetched after it, as htmx would, reported as "<page>: deferred". Goal: 0 errors;
every key page's (and deferred part's) server p95 within 3x the floor's.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


# A panel the page loads after itself (templates/includes/lazy_panel.html): its fragment's URL.
DEFERRED = re.compile(r'<div class="lazy-panel"[^>]*?hx-get="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    args = parser.parse_args()
    args.users, args.seconds = min(args.users, 200), min(args.seconds, 900)  # bounded

    from _setup import describe, provider, setup

    setup()
    import requests
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from large_provider import SLUG

    from core.models import Role, User

    p = provider()
    services = list(p.services.order_by("name"))
    managers = [
        (User.objects.filter(memberships__service=s, memberships__role=Role.REGISTERED_MANAGER).first(), s)
        for s in services
    ]
    managers = [(u, s) for u, s in managers if u is not None]
    leaders = [User.objects.get(email=f"ni@{SLUG}.example")]
    leaders += list(User.objects.filter(memberships__provider=p, memberships__role=Role.QUALITY_LEAD)[:1])

    def service_pages(s) -> dict[str, str]:
        return {
            "floor (core:account)": reverse("core:account"),
            "home": reverse("core:home"),
            "service dashboard": reverse("core:service_detail", kwargs={"service": s.slug}),
            "recovery map": reverse("recovery:map_service", kwargs={"service": s.slug}),
            "audit form": reverse("audits:audit_start", kwargs={"service": s.slug}),
            "evidence library": reverse("evidence:library", kwargs={"service": s.slug}),
            "flag list": reverse("governance:flag_list", kwargs={"service": s.slug}),
        }

    provider_pages = {
        "floor (core:account)": reverse("core:account"),
        "home": reverse("core:home"),
        "closure queue": reverse("governance:closure_queue"),
        "provider dashboard": reverse("governance:provider_dashboard", kwargs={"provider": p.slug}),
        "provider flag list": reverse("governance:provider_flag_list", kwargs={"provider": p.slug}),
        "provider recovery map": reverse("recovery:map_provider", kwargs={"provider": p.slug}),
        "provider evidence library": reverse("evidence:provider_library", kwargs={"provider": p.slug}),
    }

    def cookie_for(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    people = []
    for n in range(args.users):
        if n % 5 == 4 or not managers:  # one in five a provider-level leader
            user = leaders[n % len(leaders)]
            people.append((cookie_for(user), provider_pages))
        else:
            user, s = managers[n % len(managers)]
            people.append((cookie_for(user), service_pages(s)))
    labels = {path: label for _, pages in people for label, path in pages.items()}

    port = _free_port()
    log = Path(tempfile.mkdtemp(prefix="bench-load-")) / "access.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            "--timeout=60",
            f"--access-logfile={log}",
            "--access-logformat=%(U)s %(s)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("gunicorn did not start", file=sys.stderr)
                    return 2
                time.sleep(0.3)
        # Warm every page once per worker (imports, template caches), then measure.
        warm = requests.Session()
        for cookie, pages in people[:5] + people[-1:]:
            warm.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
            for path in pages.values():
                for _ in range(args.workers):
                    warm.get(base + path, timeout=60)
        log.write_text("")
        print(
            f"{describe(p)}; {args.users} users, {args.seconds} s, gunicorn {args.workers} sync workers on "
            f"{os.cpu_count()} cores",
            flush=True,
        )

        client_ms: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def user_loop(cookie: str, pages: dict[str, str], seed: int) -> None:
            session = requests.Session()
            session.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
            rnd = random.Random(seed)
            order = list(pages.items())
            while time.monotonic() < stop_at:
                rnd.shuffle(order)
                for label, path in order:
                    if time.monotonic() >= stop_at:
                        return
                    started = time.perf_counter()
                    try:
                        response = session.get(base + path, timeout=120, allow_redirects=False)
                        ok = response.status_code == 200
                    except requests.RequestException:
                        ok = False
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        client_ms[label].append(elapsed)
                        if not ok:
                            errors[label] += 1
                    if ok:
                        fetch_deferred(session, label, response.text)

        def fetch_deferred(session, label: str, html: str) -> None:
            """What a browser fetches after the page: every panel it defers (includes/lazy_panel.html).

            All of them, not only the first screen's, so this is the most a reader who scrolls
            the whole page asks of the server."""
            part = f"{label}: deferred"
            for url in DEFERRED.findall(html):
                url = url.replace("&amp;", "&")
                started = time.perf_counter()
                try:
                    ok = session.get(base + url, headers={"HX-Request": "true"}, timeout=120).status_code == 200
                except requests.RequestException:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    labels.setdefault(url.split("?", 1)[0], part)
                    client_ms[part].append(elapsed)
                    if not ok:
                        errors[part] += 1

        threads = [threading.Thread(target=user_loop, args=(c, pg, i)) for i, (c, pg) in enumerate(people)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)

    server_ms: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text().splitlines():
        m = re.match(r"(\S+) (\d{3}) (\d+)$", line.strip())
        if m and m.group(1) in labels:
            server_ms[labels[m.group(1)]].append(int(m.group(3)) / 1000)
    total = sum(len(v) for v in client_ms.values())
    print(f"{total:,} requests in {wall:.0f} s ({total / wall:.1f}/s), {sum(errors.values())} errors")
    floor_p95 = _pct(server_ms["floor (core:account)"], 0.95)
    heads = ("requests", 8), ("errors", 6), ("client p50", 10), ("p95", 7), ("server p50", 10), ("p95", 7)
    print(f"{'page':36} " + " ".join(f"{h:>{w}}" for h, w in heads) + f" {'p95 x floor':>11}")
    worst = 0.0
    for label in sorted(client_ms, key=lambda k: (not k.startswith("floor"), k)):
        c, s = client_ms[label], server_ms[label]
        ratio = _pct(s, 0.95) / floor_p95 if s else float("nan")
        if not label.startswith("floor"):
            worst = max(worst, ratio)
        print(
            f"{label:36} {len(c):>8} {errors[label]:>6} {statistics.median(c):>10.0f} {_pct(c, 0.95):>7.0f} "
            f"{statistics.median(s) if s else float('nan'):>10.0f} {_pct(s, 0.95):>7.0f} {ratio:>11.1f}"
        )
    ok = not sum(errors.values()) and worst <= 3
    print("goal met" if ok else "goal NOT met (0 errors, every page's server p95 within 3x the floor's)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
