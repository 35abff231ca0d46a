"""Signing in and reaching your service; an outsider gets the 404 page."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_registered_manager_signs_in_and_reaches_their_service(world, page, sign_in):
    sign_in("rm@example.test")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    # The services and their ratings are one click away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your services").click()
    expect(page.get_by_role("heading", name="Your services")).to_be_visible()
    assert page.get_by_role("link", name="River House").count() == 0
    page.get_by_role("link", name="Oak House").first.click()
    page.wait_for_url(f"**/services/{world.service.slug}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Oak House"
    # The skip link is the first thing a keyboard reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"


def test_outsider_gets_the_not_found_page(world, page, sign_in):
    sign_in("outsider@example.test")
    response = page.goto(f"/services/{world.service.slug}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
