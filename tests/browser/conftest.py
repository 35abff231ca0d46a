"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against live_server.

Outside CI a machine without Chromium skips these tests; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class _OneRequestAtATime(ThreadedWSGIServer):
    """live_server's requests take turns, and a test's teardown can wait for the one in hand.

    Pages that load parts after themselves (core/lazy.py) send two or three requests at once,
    and a part can still be answered when the test ends. On SQLite the in-memory test database
    is one connection shared by every request thread, so parallel requests broke each other's
    savepoints; on PostgreSQL a part answered during teardown held locks the flush needed
    ("couldn't be flushed"). Taking turns fixes the first, and ``_close`` waits for its turn."""

    _turn = threading.Lock()

    def get_app(self):
        app = super().get_app()

        def in_turn(environ, start_response):
            with self._turn:
                response = app(environ, start_response)
                try:
                    return list(response)
                finally:
                    if hasattr(response, "close"):
                        response.close()  # request_finished (and its connection handling) in turn too

        return in_turn


LiveServerThread.server_class = _OneRequestAtATime


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser():
    if not _chromium_available():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _page(browser, live_server, **options):
    # The audit page's service worker is blocked unless a test asks for it: its own requests
    # (/sw.js, the offline page) would run beside the journey's, and live_server shares one
    # SQLite connection between requests. tests/browser/test_offline_audit.py allows it.
    options.setdefault("service_workers", "block")
    context = browser.new_context(viewport={"width": 1024, "height": 768}, base_url=live_server.url, **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _close(context) -> None:
    """Close the browser, then wait for any request the server is still answering (a part that
    loaded after the page, say), and for one it had accepted just before, so the test's
    teardown flushes a database no request is using."""
    context.close()
    for _ in range(2):
        with _OneRequestAtATime._turn:
            pass
        time.sleep(0.05)


@pytest.fixture
def page(browser, live_server):
    """A page for journeys. It bypasses the Content-Security-Policy because Playwright's own
    helpers need it (wait_for_function evals its predicate, axe is added as an inline script);
    test_content_security_policy.py uses ``strict_page``, which honours the policy."""
    context, page = _page(browser, live_server, bypass_csp=True)
    yield page
    _close(context)


@pytest.fixture
def strict_page(browser, live_server):
    """A page that honours the Content-Security-Policy, as a person's browser does."""
    context, page = _page(browser, live_server)
    yield page
    _close(context)


@pytest.fixture
def offline_page(browser, live_server):
    """A strict page whose context runs service workers (offline audits); set_offline cuts it off."""
    context, page = _page(browser, live_server, service_workers="allow")
    yield page
    _close(context)


@pytest.fixture
def sign_in(page):
    def _sign_in(email: str, password: str = "correct-horse-battery"):
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return page

    return _sign_in
