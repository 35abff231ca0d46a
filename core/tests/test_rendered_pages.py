"""Every page a demo user can reach renders: no server error, no template syntax shown as text.

The demo is seeded once; then, for each person ``seed_demo`` prints, the test signs in with the
demo password and crawls the site from the home page: same-origin GET links (``<a href>``) and
redirects only, never downloads, calendar feeds, exports (any view named ``*export*``), sign-out
or the Django admin. The crawl is bounded: at most ``PER_VIEW`` pages per URL pattern (so long
lists of similar pages cost a few requests, not hundreds) and ``PER_USER`` pages in all.

A page fails if it answers 500 or more, or if its text or attribute values contain ``{#``,
``#}``, ``{{``, ``}}``, ``{%`` or ``%}`` (what Django prints for a multi-line ``{# #}`` comment
or a broken tag). Text inside ``<script>`` and ``<style>`` is not checked. It also fails if
it carries no Content-Security-Policy (or one that allows inline script), if a signed-in page
lacks ``Cache-Control: no-store``, or if it holds an inline ``<script>`` (one without ``src``)
or ``<style>`` element, which the policy would refuse. Every failure is reported together.
"""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "recovery-demo-2026"
PER_VIEW = 3
PER_USER = 300
LEAKS = ("{#", "#}", "{{", "}}", "{%", "%}")
SKIP_VIEWS = {
    "logout",
    "core:healthz",
    "core:readiness",
    "evidence:download",
    "governance:pack_download",
    "governance:ics_feed",
}
SKIP_PREFIXES = ("/admin/", "/static/", "/media/")
EMAIL = re.compile(r"^\s+(\S+@\S+\.\S+)\s", re.M)


class PageParser(HTMLParser):
    """Collects links and the places template syntax must never appear in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.leaks: list[str] = []
        self.inline: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if (tag == "script" and not dict(attrs).get("src")) or tag == "style":
            self.inline.append(f"inline <{tag}> at line {self.getpos()[0]}")
        for name, value in attrs:
            if tag == "a" and name == "href" and value:
                self.links.append(value)
            self._check(f"<{tag} {name}>", value or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._check("text", data)

    def _check(self, where: str, text: str) -> None:
        for marker in LEAKS:
            at = text.find(marker)
            if at >= 0:
                self.leaks.append(f"{marker!r} in {where}: {text[max(at - 40, 0) : at + 60].strip()!r}")


def _view_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _header_problems(response, signed_in: bool) -> list[str]:
    found = []
    csp = response.get("Content-Security-Policy", "")
    script_src = next((d.split()[1:] for d in csp.split(";") if d.split()[:1] == ["script-src"]), None)
    if not csp or script_src != ["'self'"]:
        found.append(f"Content-Security-Policy missing or not strict for scripts: {csp!r}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        found.append("no Permissions-Policy")
    if signed_in and "no-store" not in response.get("Cache-Control", ""):
        found.append(f"signed-in page without no-store: {response.get('Cache-Control')!r}")
    return found


def _crawl(client: Client, email: str, problems: list[str]) -> int:
    queue: deque[str] = deque(["/"])
    seen = {"/"}
    per_view: Counter[str] = Counter()
    fetched = 0
    while queue and fetched < PER_USER:
        url = queue.popleft()
        response = client.get(url)
        fetched += 1
        if response.status_code >= 500:
            problems.append(f"{email} GET {url}: {response.status_code}")
            continue
        found: list[str] = []
        if response.status_code in (301, 302, 303, 307, 308):
            found.append(response["Location"])
        elif response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            parser = PageParser()
            parser.feed(response.content.decode())
            parser.close()
            problems.extend(f"{email} GET {url}: {leak}" for leak in parser.leaks + parser.inline)
            signed_in = email != "(signed out)"
            problems.extend(f"{email} GET {url}: {p}" for p in _header_problems(response, signed_in))
            found.extend(parser.links)
        for link in found:
            target, _ = urldefrag(urljoin(url, link))
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or parts.path.startswith(SKIP_PREFIXES):
                continue
            view = _view_name(parts.path)
            if view is None or view in SKIP_VIEWS or "export" in view or per_view[view] >= PER_VIEW:
                continue
            seen.add(target)
            per_view[view] += 1
            queue.append(target)
    return fetched


def test_every_page_each_demo_user_reaches_renders_cleanly():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    emails = EMAIL.findall(out.getvalue())
    assert len(emails) >= 5, out.getvalue()
    problems: list[str] = []
    fetched = {}
    for email in emails:
        client = Client()
        signed_in = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302, f"{email} could not sign in"
        fetched[email] = _crawl(client, email, problems)
    anonymous = Client()
    fetched["(signed out)"] = _crawl(anonymous, "(signed out)", problems)
    assert not problems, "\n".join(problems)
    # The crawl really went somewhere: a provider-wide role reaches many kinds of page.
    assert max(fetched.values()) > 30, fetched
