"""Every URL x every persona x {own service, sibling service, other provider}.

A URL that is not in a matrix table fails ``test_every_url_is_in_the_matrix``: a new page
cannot ship without saying who may use it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import PERSONAS, PROVIDER_LEVEL
from tests.matrix_support import ALL, Row

APPS = ["core", "evidence", "recovery", "audits", "governance", "api"]
ROOT = Path(__file__).resolve().parent.parent


def _rows() -> list[Row]:
    """Every ``tests/matrix.py`` of an app or of one of its feature packages."""
    rows: list[Row] = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("tests/matrix.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            rows.extend(importlib.import_module(module).ROWS)
    return rows


ROWS = _rows()
# Django admin: staff only, tested in core/tests/test_admin.py. The REST API (api_v1): tokens, not
# sign-in (401 JSON, never a redirect); api/tests/test_access.py walks it with the same personas.
EXCLUDED_NAMESPACES = {"admin", "api_v1"}


def _url_names(patterns, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in EXCLUDED_NAMESPACES:
                continue
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


def test_every_url_is_in_the_matrix():
    listed = {row.name for row in ROWS}
    missing = _url_names(get_resolver().url_patterns) - listed
    assert not missing, f"URL names missing from the authorisation matrix: {sorted(missing)}"
    assert len(listed) == len(ROWS), "a URL is listed twice"


def _request(client, row: Row, world, service):
    url = reverse(row.name, kwargs=row.kwargs(world, service))
    data = row.data(world, service) if row.data else {}
    return getattr(client, row.method)(url, data, **row.headers)


def _expected(row: Row, persona: str, side: str) -> str:
    if persona == "outsider":
        # The outsider is the registered manager of the other provider's service.
        return _expected(row, "rm", "own") if side == "other" else "404"
    if side == "other":
        return "404"
    if side == "sibling" and persona not in PROVIDER_LEVEL:
        return "404"
    return "ok" if persona in row.allowed else "403"


def _expected_global(row: Row, persona: str) -> str:
    """A page not tied to one object: open to every signed-in person unless the row names roles
    (then the others, the outsider included, get 403)."""
    return "ok" if row.allowed == ALL or persona in row.allowed else "403"


def _classify(status: int) -> str:
    if status in (403, 404):
        return str(status)
    return "ok" if status < 400 else f"error {status}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method}:{r.name}")
def test_matrix(row: Row, world, client):
    if row.scope == "public":
        response = _request(client, row, world, world.service)
        assert response.status_code < 400, response.status_code
        return

    # Signed out: always sent to sign in.
    response = _request(client, row, world, world.service)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    sides = {"own": world.service, "other": world.other_service}
    if row.scope == "service":
        sides["sibling"] = world.sibling
    mismatches = []
    for persona in PERSONAS:
        client.force_login(world.users[persona])
        for side, service in sides.items():
            expected = _expected_global(row, persona) if row.scope == "global" else _expected(row, persona, side)
            got = _classify(_request(client, row, world, service).status_code)
            if got != expected:
                mismatches.append(f"{persona} @ {side}: expected {expected}, got {got}")
    assert not mismatches, "\n".join(mismatches)
