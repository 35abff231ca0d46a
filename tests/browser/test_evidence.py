"""An RM adds evidence with a file, is told plainly when a file is refused, and downloads it."""

import hashlib

import pytest
from playwright.sync_api import expect

from evidence.models import EvidenceItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _fill(page, title: str):
    page.get_by_label("Title").fill(title)
    page.get_by_label("Date it refers to").fill("2026-01-05")
    page.get_by_label("CQC evidence category").select_option(label="Observation")
    page.get_by_label("Source type").select_option(label="Observation of practice")
    page.get_by_label("Where it is recorded").fill("Senior oversight log")


def test_rm_adds_evidence_with_a_file_and_downloads_it(world, page, sign_in, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sign_in("rm@example.test")
    page.goto(f"/services/{world.service.slug}/evidence/")
    page.get_by_role("link", name="Add evidence").first.click()

    # A program renamed .pdf is refused where the user is, and what they typed stays.
    _fill(page, "Handover observation, night shift")
    page.get_by_label("File").set_input_files(
        {"name": "observation.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 200}
    )
    page.get_by_role("button", name="Save evidence").click()
    expect(page.get_by_text("choose the file again", exact=False).first).to_be_visible()
    assert page.get_by_label("Title").input_value() == "Handover observation, night shift"
    assert not EvidenceItem.objects.exists()

    # The real file goes through.
    page.get_by_label("File").set_input_files({"name": "observation.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Save evidence").click()
    page.wait_for_url("**/evidence/*/")
    item = EvidenceItem.objects.get()
    assert item.file_sha256 == hashlib.sha256(PDF).hexdigest()
    expect(page.get_by_text(item.file_sha256).first).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read() == PDF

    page.goto(f"/services/{world.service.slug}/evidence/")
    expect(page.get_by_role("link", name="Handover observation, night shift")).to_be_visible()
