"""Offline capture, server side: the service worker and manifest as served, and the draft's
version and save id that let a copy kept on a device be sent late without overwriting a newer
draft or being saved twice. The browser side is tests/browser/test_offline_audit.py."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from audits.services import audit_save_draft
from audits.services.audit import DraftConflict, RecordInput

from .factories import AuditFactory, TemplateFactory, grid_data


def _draft(world):
    template = TemplateFactory(provider=world.provider, criteria=2, default_sample_size=2)
    return AuditFactory(service=world.service, template=template, auditor=world.rm)


def _csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


# --- what the browser is given -----------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_service_worker_is_served_from_the_root_never_cached_and_under_the_policy(world, client, signed_in):
    if signed_in:
        client.force_login(world.rm)
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    # Checked again on every visit, so a new version reaches devices; not no-store (a signed-in
    # page's default), which would make no difference to the browser's update check anyway.
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    policy = _csp(response)
    assert policy["script-src"] == "script-src 'self'" and policy["worker-src"] == "worker-src 'self'"
    body = response.content.decode()
    config = json.loads(re.match(r"self\.OFFLINE = (.*);\n", body).group(1))
    assert 'importScripts("/static/js/service_worker.js");' in body
    # The page's own assets are kept at install, every one a real file served locally.
    assert "/static/js/audit_form.js" in config["assets"] and "/static/django_htmx/htmx-2.min.js" in config["assets"]
    for url in config["assets"]:
        assert finders.find(url.removeprefix("/static/")), url
    assert config["offlinePage"] == reverse("audits:offline")
    # Only an audit's logging screen is ever kept.
    pattern = re.compile(config["auditPage"])
    assert pattern.match("/audits/12/log/")
    for care_page in ("/audits/12/", "/actions/3/", "/services/oakfield/", "/audits/12/log/?x=1", "/evidence/4/file/"):
        assert not pattern.match(care_page), care_page


def test_the_manifest_makes_the_app_installable(db, client):
    response = client.get(reverse("audits:manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/"))


def test_the_offline_page_holds_nobodys_data(world, client):
    client.force_login(world.rm)
    response = client.get(reverse("audits:offline"))
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache"
    page = response.content.decode()
    assert "No connection" in page and world.rm.email not in page and str(world.rm) not in page
    assert "<script>" not in page and "/static/js/offline_page.js" in page


def test_the_logging_page_links_the_manifest_and_the_worker_and_its_policy_allows_them(world, client):
    audit = _draft(world)
    client.force_login(world.rm)
    response = client.get(reverse("audits:audit_edit", args=[audit.pk]))
    page = response.content.decode()
    assert f'<link rel="manifest" href="{reverse("audits:manifest")}">' in page
    assert 'data-service-worker="/sw.js"' in page
    assert f'name="base_version" value="{audit.draft_version}"' in page
    policy = _csp(response)
    assert policy["manifest-src"] == "manifest-src 'self'" and policy["worker-src"] == "worker-src 'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    # The page itself still says no-store to the browser's and proxies' caches: only the
    # service worker keeps it, and only for the auditor who opened it (cleared at sign-out).
    assert "no-store" in response["Cache-Control"]


# --- the draft's version and the device's save id ------------------------------------------


def test_a_copy_based_on_an_older_version_is_a_conflict_and_saves_nothing(world):
    audit = _draft(world)
    base = audit.draft_version
    audit = audit_save_draft(actor=world.deputy, audit=audit, records=[RecordInput(ref="R-1", answers={"c1": "yes"})])
    assert audit.draft_version != base
    with pytest.raises(DraftConflict):
        audit_save_draft(
            actor=world.rm, audit=audit, records=[RecordInput(ref="R-2", answers={"c1": "no"})], base_version=base
        )
    assert list(audit.records.values_list("record_ref", flat=True)) == ["R-1"]


def test_a_save_sent_again_is_not_applied_twice_nor_called_a_conflict(world):
    audit = _draft(world)
    base = audit.draft_version
    records = [RecordInput(ref="R-1", answers={"c1": "yes"})]
    first = audit_save_draft(actor=world.rm, audit=audit, records=records, base_version=base, save_id="device-1")
    version = first.draft_version
    # The answer was lost; the device sends the same copy, still based on the old version.
    again = audit_save_draft(actor=world.rm, audit=audit, records=records, base_version=base, save_id="device-1")
    assert again.draft_version == version
    assert audit.records.count() == 1
    # A different save on the old base is a conflict.
    with pytest.raises(DraftConflict):
        audit_save_draft(actor=world.rm, audit=audit, records=records, base_version=base, save_id="device-2")


def test_autosave_answers_with_the_new_version_and_a_stale_copy_with_a_conflict(world, client):
    audit = _draft(world)
    client.force_login(world.rm)
    url = reverse("audits:audit_autosave", args=[audit.pk])
    base = audit.draft_version
    response = client.post(url, grid_data(["c1", "c2"], [("R-1", ["yes", "no"], "")], base_version=base))
    assert response.status_code == 200
    audit.refresh_from_db()
    assert response["Audit-Version"] == audit.draft_version != base

    stale = client.post(url, grid_data(["c1", "c2"], [("R-9", ["no", "no"], "")], base_version=base, save_id="x"))
    assert stale.status_code == 409
    assert stale["Audit-Conflict"] == "changed" and stale["Audit-Version"] == audit.draft_version
    assert "changed elsewhere" in stale.content.decode()
    assert list(audit.records.values_list("record_ref", flat=True)) == ["R-1"]


def test_save_draft_on_a_stale_page_keeps_what_was_typed_and_saving_again_replaces_knowingly(world, client):
    audit = _draft(world)
    base = audit.draft_version
    audit_save_draft(actor=world.deputy, audit=audit, records=[RecordInput(ref="R-1", answers={"c1": "yes"})])
    audit.refresh_from_db()
    client.force_login(world.rm)
    url = reverse("audits:audit_edit", args=[audit.pk])
    data = grid_data(["c1", "c2"], [("R-7", ["no", "yes"], "typed here")], base_version=base)
    response = client.post(url, data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed elsewhere" in page and 'value="typed here"' in page
    assert f'name="base_version" value="{audit.draft_version}"' in page
    assert list(audit.records.values_list("record_ref", flat=True)) == ["R-1"]

    response = client.post(url, {**data, "base_version": audit.draft_version})
    assert response.status_code == 302
    assert list(audit.records.values_list("record_ref", flat=True)) == ["R-7"]


def test_submitting_a_stale_copy_submits_nothing(world, client):
    audit = _draft(world)
    base = audit.draft_version
    audit_save_draft(actor=world.deputy, audit=audit, records=[RecordInput(ref="R-1", answers={"c1": "yes"})])
    client.force_login(world.rm)
    response = client.post(
        reverse("audits:audit_submit", args=[audit.pk]),
        grid_data(["c1", "c2"], [("R-7", ["yes", "yes"], "")], base_version=base),
    )
    assert response.status_code == 409
    audit.refresh_from_db()
    assert audit.status == audit.Status.DRAFT
