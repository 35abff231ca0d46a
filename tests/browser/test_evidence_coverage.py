"""The evidence library's coverage grid is loaded after the page (core/lazy.py): it appears by itself."""

import pytest
from playwright.sync_api import expect

from evidence.tests.factories import EvidenceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GRID = "Number of evidence items per key question and evidence category; a zero is a gap"


def test_the_coverage_grid_appears_after_the_library_loads(world, page, sign_in):
    EvidenceFactory(service=world.service, title="Night handover observed")
    sign_in("rm@example.test")
    page.goto(f"/services/{world.service.slug}/evidence/")
    expect(page.get_by_role("link", name="Night handover observed")).to_be_visible()
    grid = page.get_by_role("table", name=GRID)
    expect(grid).to_be_visible()
    expect(grid.get_by_role("rowheader", name="Safe")).to_be_visible()
    expect(page.get_by_text("30 gaps")).to_be_visible()
    expect(page.locator(".lazy-panel")).to_have_count(0)  # swapped for the grid, no skeleton left


def test_the_coverage_grid_follows_the_filters(world, page, sign_in):
    EvidenceFactory(service=world.service, title="Night handover observed")
    sign_in("ni@example.test")
    page.goto(f"/providers/{world.provider.slug}/evidence/?service=none")
    expect(page.get_by_role("table", name=GRID)).to_be_visible()
    expect(page.get_by_text("Evidence items matching your filters", exact=False)).to_be_visible()
