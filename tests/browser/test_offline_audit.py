"""A weekly audit logged with the network cut (Playwright's ``set_offline``), in Chromium under
the site's Content-Security-Policy: the service worker serves the page again without a network,
the answers are kept on the device and reach the server when the network returns. A copy typed
offline while someone else changed the draft is a conflict the auditor settles.

The page honours the policy and runs the worker (``offline_page``), so waits use locators and ``page.evaluate``,
never ``wait_for_function`` (its predicates are eval'd, which the policy refuses).
"""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audits.models import AuditTemplate
from audits.services import audit_save_draft
from audits.services.audit import RecordInput
from audits.tests.factories import AuditFactory, TemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAVED = re.compile(r"^Saved \d+ answers? at \d\d:\d\d\.\s*$")  # everything sent was saved
KEPT = "async (path) => !!(await (await caches.open('rg-audit-pages')).match(path))"


@pytest.fixture
def page(offline_page):
    return offline_page


def _wait(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _sign_in(page, email: str = "rm@example.test") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _weekly_audit(world):
    template = TemplateFactory(provider=world.provider, criteria=2, default_sample_size=2, title="Falls weekly")
    assert template.frequency == AuditTemplate.Frequency.WEEKLY
    return AuditFactory(service=world.service, template=template, auditor=world.rm)


def _open_and_keep(page, audit) -> str:
    """Open the audit online and wait until the worker controls the site and keeps the page."""
    url = reverse("audits:audit_edit", args=[audit.pk])
    page.goto(url)
    _wait(lambda: page.evaluate("navigator.serviceWorker.ready.then(() => true)"))
    _wait(lambda: page.evaluate(KEPT, url))
    return url


def _answer_row(page, row: int, ref: str) -> None:
    """By keyboard: the reference, Yes to criterion 1, No to criterion 2."""
    page.get_by_label(f"Record reference, row {row}").focus()
    page.keyboard.type(ref)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Yes
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # No


def _state(page):
    return page.locator("#sync-state")


def test_a_weekly_audit_logged_with_the_network_off_arrives_when_it_returns(world, page):
    audit = _weekly_audit(world)
    _sign_in(page)
    url = _open_and_keep(page, audit)

    page.context.set_offline(True)
    page.reload()  # no network: the worker answers with the page this device keeps
    assert page.evaluate("!!navigator.serviceWorker.controller")
    assert page.evaluate("navigator.onLine") is False
    expect(page.get_by_role("heading", level=1)).to_have_text("Log audit: Falls weekly")
    assert page.evaluate("getComputedStyle(document.querySelector('.btn-primary')).backgroundColor") == (
        "rgb(11, 79, 138)"  # the stylesheets came from the device too
    )

    _answer_row(page, 1, "R-3001")
    expect(_state(page)).to_have_text("Saved on this device")
    expect(page.locator("#autosave-status")).to_contain_text("no connection")
    # A row added without a network comes from the formset's empty row.
    page.get_by_role("button", name="Add a record").focus()
    page.keyboard.press("Enter")
    expect(page.locator("tr.record-row")).to_have_count(3)
    expect(page.get_by_label("Record reference, row 3")).to_be_focused()
    _answer_row(page, 3, "R-3003")
    expect(_state(page)).to_have_text("Saved on this device")
    assert audit.records.count() == 0

    # Submitting needs the server: the page stays, and says so.
    page.get_by_role("button", name="Submit audit").click()
    expect(page.locator("#autosave-status")).to_contain_text("needs a connection")
    expect(page.get_by_label("Record reference, row 3")).to_have_value("R-3003")

    # Still offline, the page opened again shows what was typed, from the device.
    page.reload()
    expect(page.get_by_label("Record reference, row 3")).to_have_value("R-3003")
    expect(_state(page)).to_have_text("Saved on this device")
    assert audit.records.count() == 0

    page.context.set_offline(False)  # the network returns: the copy is sent by itself
    expect(_state(page)).to_have_text("Sent")
    expect(page.locator("#autosave-status")).to_have_text(SAVED)
    assert list(audit.records.values_list("record_ref", "answers")) == [
        ("R-3001", {"c1": "yes", "c2": "no"}),
        ("R-3003", {"c1": "yes", "c2": "no"}),
    ]
    # The state is announced: it sits in one polite live region with the autosave's answer.
    region = page.locator("[role=status]:has(#sync-state)")
    assert region.get_attribute("aria-live") == "polite" and region.get_attribute("aria-atomic") == "true"

    # Signing out takes the kept page and the copy off the device.
    page.get_by_role("button", name=str(world.rm)).click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate(KEPT, url) is False
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('audit-draft-')).length") == 0


def test_answers_typed_offline_after_the_draft_changed_elsewhere_are_a_conflict_the_auditor_settles(world, page):
    audit = _weekly_audit(world)
    _sign_in(page)
    _open_and_keep(page, audit)

    page.context.set_offline(True)
    _answer_row(page, 1, "R-4001")
    expect(_state(page)).to_have_text("Saved on this device")
    # Meanwhile the deputy saves the same draft from another device.
    audit_save_draft(actor=world.deputy, audit=audit, records=[RecordInput(ref="R-9009", answers={"c1": "no"})])

    page.context.set_offline(False)
    expect(_state(page)).to_have_text("Conflict")
    banner = page.locator("#restore-banner")
    expect(banner).to_be_visible()
    expect(page.locator("#autosave-status")).to_contain_text("changed elsewhere")
    assert list(audit.records.values_list("record_ref", flat=True)) == ["R-9009"]  # not overwritten

    page.get_by_role("button", name="Keep this device's answers").focus()
    page.keyboard.press("Enter")
    expect(_state(page)).to_have_text("Sent")
    expect(banner).to_be_hidden()
    assert list(audit.records.values_list("record_ref", "answers")) == [("R-4001", {"c1": "yes", "c2": "no"})]


def test_a_conflict_found_when_the_page_opens_can_keep_the_servers_version(world, page):
    audit = _weekly_audit(world)
    _sign_in(page)
    url = _open_and_keep(page, audit)

    page.context.set_offline(True)
    _answer_row(page, 1, "R-5001")
    expect(_state(page)).to_have_text("Saved on this device")
    page.goto(reverse("audits:offline"))  # the auditor leaves the page before the network returns
    audit_save_draft(actor=world.deputy, audit=audit, records=[RecordInput(ref="R-9009", answers={"c1": "no"})])
    page.context.set_offline(False)

    page.goto(url)
    expect(_state(page)).to_have_text("Conflict")
    expect(page.locator("#restore-text")).to_contain_text("The page shows the server's version")
    expect(page.get_by_label("Record reference, row 1")).to_have_value("R-9009")
    page.get_by_role("button", name="Use the server's version").click()
    expect(page.locator("#restore-banner")).to_be_hidden()
    expect(page.locator("#autosave-status")).to_contain_text("Discarded")
    assert page.evaluate(f"localStorage.getItem('audit-draft-{audit.pk}')") is None
    assert list(audit.records.values_list("record_ref", flat=True)) == ["R-9009"]


def test_the_offline_page_lists_the_audits_kept_on_this_device(world, page):
    audit = _weekly_audit(world)
    _sign_in(page)
    url = _open_and_keep(page, audit)
    page.context.set_offline(True)
    page.goto(reverse("audits:audit_list", args=[world.service.slug]))  # never kept: care data
    expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
    link = page.get_by_role("link", name="Log audit · Falls weekly · Recovery governance")
    expect(link).to_have_attribute("href", url)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log audit: Falls weekly")


def _luminance(rgb: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_state_of_the_badge_meets_wcag_aa_contrast(world, page):
    audit = _weekly_audit(world)
    _sign_in(page)
    page.goto(reverse("audits:audit_edit", args=[audit.pk]))
    for state in ("device", "sending", "sent", "conflict"):
        colours = page.evaluate(
            """(state) => { const el = document.getElementById("sync-state");
                            el.hidden = false; el.dataset.state = state;
                            const s = getComputedStyle(el);
                            return [s.color, s.backgroundColor, s.borderTopColor]; }""",
            state,
        )
        text, background, border = colours
        assert _contrast(text, background) >= 4.5, (state, colours)
        assert _contrast(border, "rgb(255, 255, 255)") >= 3, (state, colours)  # the badge's edge on the page


def test_signing_out_with_answers_not_yet_sent_asks_first_then_deletes_them(world, page):
    audit = _weekly_audit(world)
    _sign_in(page)
    url = _open_and_keep(page, audit)
    page.route("**/autosave/", lambda route: route.abort())  # the server cannot be reached
    _answer_row(page, 1, "R-6001")
    expect(page.locator("#autosave-status")).to_contain_text("no connection")
    key = f"audit-draft-{audit.pk}"

    dialogs = []

    def answer(dialog, accept):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name=str(world.rm)).click()
    page.get_by_role("button", name="Sign out").click()
    _wait(lambda: dialogs)
    assert "Answers for 1 audit have not reached the server yet" in dialogs[0]
    assert page.url.endswith(url)  # stayed signed in, the answers kept
    assert page.evaluate(f"localStorage.getItem('{key}')") is not None

    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name=str(world.rm)).click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    assert page.evaluate(KEPT, url) is False
    assert audit.records.count() == 0
