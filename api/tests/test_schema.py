"""The OpenAPI 3 schema is valid and the docs page runs under the site's own CSP."""

from __future__ import annotations

import re

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_validates_as_openapi_3(client):
    schema = _schema(client)
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_the_schema_lists_every_endpoint_under_v1_with_bearer_tokens(client):
    schema = _schema(client)
    paths = set(schema["paths"])
    for resource in ("providers", "services", "themes", "actions", "measures", "audits", "flags", "reviews"):
        assert f"/api/v1/{resource}/" in paths and f"/api/v1/{resource}/{{id}}/" in paths
    assert {"/api/v1/measures/{id}/points/", "/api/v1/points/bulk/"} <= paths
    assert all(p.startswith("/api/v1/") for p in paths)
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    post = schema["paths"]["/api/v1/measures/{id}/points/"]["post"]
    assert {"200", "201", "400", "403", "404", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])


def test_the_docs_page_loads_only_local_files_under_the_sites_csp(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    # The site's policy, unrelaxed: scripts and styles from our own origin only.
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src-elem 'self'" in csp and "unsafe-eval" not in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    # No inline script or style element; every script and stylesheet from our static files.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith((settings.STATIC_URL, "/api/docs/")) for s in sources), sources
    for src in sources:
        if src.startswith(settings.STATIC_URL):
            assert finders.find(src.removeprefix(settings.STATIC_URL)), src
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert reverse("api:schema") in script.content.decode()
