"""The recovery map draws each theme's header at once and loads its actions when it scrolls into
view (core/lazy.py): the rows arrive, can be reached with the keyboard, and when they cannot be
loaded (or without JavaScript) a link opens them on a page of their own."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from recovery.tests.factories import ActionFactory, ThemeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROWS = "**/recovery-map/themes/**"


def _plan(world, themes: int = 1):
    """Themes of three actions each, high risk first so the first one built is the first shown."""
    built = []
    for i in range(themes):
        theme = ThemeFactory(
            service=world.service, title=f"Theme {i:02d} late escalation", owner=world.rm, risk_level="high"
        )
        actions = [
            ActionFactory(theme=theme, title=f"Weekly sampling {i:02d}-{k}", owner=world.deputy) for k in range(3)
        ]
        built.append((theme, actions))
    return built


def _map(world) -> str:
    return f"/services/{world.service.slug}/recovery-map/"


def test_rows_load_when_scrolled_to_and_are_reachable_by_keyboard(world, page, sign_in):
    plan = _plan(world, themes=8)
    (_first, first_actions), (last, last_actions) = plan[0], plan[-1]
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/recovery-map/themes/" in r.url else None)
    sign_in("rm@example.test")
    page.goto(_map(world))

    link = page.get_by_role("link", name=f"{first_actions[0].reference} {first_actions[0].title}")
    expect(link).to_be_visible()
    # The last theme's header is on the page; its rows wait until it is scrolled to.
    expect(page.get_by_role("heading", name=last.title)).to_have_count(1)
    last_link = page.get_by_role("link", name=f"{last_actions[0].reference} {last_actions[0].title}")
    expect(last_link).to_have_count(0)
    assert 1 <= len(fetched) < len(plan), fetched  # only the themes in view were fetched

    page.get_by_role("heading", name=last.title).scroll_into_view_if_needed()
    expect(last_link).to_be_visible()

    # The loaded rows are in the tab order like any other link.
    page.goto(_map(world))
    expect(link).to_be_visible()
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    expect(link).to_be_focused()


def test_rows_that_fail_to_load_offer_their_page(world, page, sign_in):
    [(theme, actions)] = _plan(world)
    sign_in("rm@example.test")
    page.route(ROWS, lambda route: route.abort())
    page.goto(_map(world))
    fallback = page.get_by_role("link", name=f"Open the actions of {theme.title} on a page of its own")
    expect(fallback).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="could not be loaded")).to_be_visible()

    page.unroute(ROWS)
    fallback.click()
    expect(page.get_by_role("heading", name=f"Actions of {theme.title}")).to_be_visible()
    expect(page.get_by_role("link", name=f"{actions[0].reference} {actions[0].title}")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the recovery map")).to_be_visible()


def test_without_javascript_the_rows_open_on_a_page_of_their_own(world, browser, live_server):
    [(theme, actions)] = _plan(world)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill("rm@example.test")
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        page.goto(_map(world))
        show = page.get_by_role("link", name=f"Show the actions of {theme.title}")
        expect(show).to_be_visible()
        show.click()
        expect(page.get_by_role("heading", name=f"Actions of {theme.title}")).to_be_visible()
        expect(page.get_by_role("link", name=f"{actions[0].reference} {actions[0].title}")).to_be_visible()
    finally:
        context.close()


def test_the_provider_maps_gaps_over_every_action_arrive_after_the_page(world, page, sign_in):
    _plan(world, themes=2)  # three actions each, every one without evidence
    sign_in("ni@example.test")
    page.goto(f"/providers/{world.provider.slug}/recovery-map/")
    gaps = page.locator("section", has=page.get_by_role("heading", name="Gaps"))
    expect(gaps.locator("#map-gaps")).to_contain_text("6 No evidence")
    expect(gaps.locator(".lazy-panel")).to_have_count(0)  # the skeleton was swapped for the counts
