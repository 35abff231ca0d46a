"""A nominated individual, whose role requires a second factor, sets an authenticator app up
at their first sign-in and gives its code at the next. The page honours the
Content-Security-Policy (``strict_page``); the test reads the secret from the page, as a person
typing it into their app would, and computes the code with django-otp's own TOTP function."""

from base64 import b32decode
from urllib.parse import urlsplit

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _password(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_then_sign_in_with_the_code(world, strict_page, settings):
    settings.MFA_REQUIRED_ROLES = ["nominated_individual"]
    page = strict_page
    _password(page, "ni@example.test")
    page.wait_for_url("**/account/second-factor/set-up/**")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator(".mfa-qr svg")).to_be_visible()
    # Nothing else is open until it is set up.
    page.goto(f"/services/{world.service.slug}/")
    page.wait_for_url("**/account/second-factor/set-up/**")

    key = b32decode(page.locator("[data-secret]").inner_text().replace(" ", ""))
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("[data-recovery-code]")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url(f"**/services/{world.service.slug}/")

    page.context.clear_cookies()
    _password(page, "ni@example.test")
    page.wait_for_url("**/account/second-factor/**")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    # The next 30-second window's code: the one used to enrol cannot be used twice.
    page.get_by_label("Code").fill(f"{totp(key, drift=1):06d}")
    page.get_by_role("button", name="Verify").click()
    # The code page's own address ends with "/" too: wait for the home page itself.
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
