"""The API's interactive docs (Swagger UI, served from local files) work under the site's own
Content-Security-Policy in a real browser: the operations render and nothing is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import LISTEN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_api_docs_render_under_the_policy(strict_page, live_server):
    page = strict_page
    console: list[str] = []
    external: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) or r.url.startswith("data:") else external.append(r.url),
    )
    page.add_init_script(LISTEN)
    page.goto("/api/docs/")
    expect(page.get_by_text("Recovery governance API").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/measures/{id}/points/").first).to_be_visible()
    assert console + page.evaluate("window.__csp || []") == []
    assert external == []
