"""A quality lead generates an evidence pack, follows its progress and downloads the PDF."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import expect

from governance.models import EvidencePack
from governance.packs import services
from governance.packs.tests.factories import pack, populate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_quality_lead_generates_and_downloads_a_pack(world, media, page, sign_in, tmp_path):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    sign_in("quality@example.test")
    page.goto(f"/services/{world.service.slug}/")
    # The packs are below the service page's fold: they load when scrolled into view.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    panel = page.get_by_role("region", name="Evidence packs")
    expect(panel).to_be_visible()
    panel.get_by_role("link", name="Generate pack").click()
    page.wait_for_url(f"**/services/{world.service.slug}/packs/new/")
    expect(page.get_by_role("heading", name="Generate an evidence pack")).to_be_visible()
    page.get_by_label("Commissioner update (two pages)").check()
    page.get_by_role("button", name="Generate pack").click()

    page.wait_for_url("**/packs/*/")
    status = page.locator("#pack-status")
    status.get_by_text("Ready").wait_for()
    assert page.locator("progress").get_attribute("value") == "100"
    p = EvidencePack.objects.get()
    assert p.kind == EvidencePack.Kind.COMMISSIONER and p.status == EvidencePack.Status.DONE

    with page.expect_download() as info:
        status.get_by_role("link", name="Download PDF").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == p.sha256


def test_progress_updates_by_itself_until_the_pack_is_ready(world, media, page, sign_in):
    """A queued pack's page polls its status; once a worker renders it, the page shows the download."""
    p = pack(world.provider, [world.service], user=world.quality, parameters={"sections": ["position"]})
    sign_in("viewer@example.test")
    page.goto(f"/packs/{p.pk}/")
    status = page.locator("#pack-status")
    status.get_by_text("Queued").wait_for()
    assert page.locator("progress").get_attribute("value") == "0"
    assert status.get_by_role("link", name="Download PDF").count() == 0

    services.pack_render(pack_id=p.pk)  # what the worker does

    status.get_by_role("link", name="Download PDF").wait_for()
    assert page.locator("#pack-status").get_attribute("data-status") == "done"
