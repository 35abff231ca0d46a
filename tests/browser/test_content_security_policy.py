"""Key pages work under the Content-Security-Policy in a real browser: no violation reported.

Each page is loaded (and its htmx used: the audit's autosave, a challenge in the meeting) while
the test collects ``securitypolicyviolation`` events and console messages about the policy.
A first check proves the listener hears a violation, so an empty list means something.
Playwright's ``wait_for_function`` evals its predicate in the page, which the policy refuses
(no 'unsafe-eval'), so these tests wait with locators and ``page.evaluate`` instead.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from audits.tests.factories import AuditFactory, TemplateFactory
from governance.models import OversightReview
from governance.reviews.tests.factories import OversightReviewFactory, proposed_action
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.documentURI);
});
"""


@pytest.fixture
def page(strict_page):
    return strict_page


@pytest.fixture
def violations(page):
    """Policy complaints from the console and from securitypolicyviolation events."""
    console: list[str] = []
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text) if "Content Security Policy" in msg.text or "Refused to" in msg.text else None
        ),
    )
    page.add_init_script(LISTEN)

    def _collect() -> list[str]:
        return console + page.evaluate("window.__csp || []")

    return _collect


def _wait(condition, seconds: float = 5.0) -> None:
    # Not page.wait_for_function: its string predicates are eval'd, which the policy refuses.
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _measure(world):
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Night escalation")
    action = ActionFactory(theme=theme, service=world.service, provider=world.provider, owner=world.rm)
    measure = MeasureFactory(action=action, name="Concerns escalated on time")
    for weeks in (6, 5, 4, 3, 2, 1):
        DataPointFactory(measure=measure, period_date=timezone.localdate() - datetime.timedelta(weeks=weeks))
    return measure


def test_the_listener_hears_a_violation(world, page, sign_in, violations):
    sign_in("rm@example.test")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.__ran = 1";
                             document.body.appendChild(s); }""")
    expect(page.locator("body")).to_be_visible()
    _wait(lambda: page.evaluate("window.__csp.length") > 0)
    assert page.evaluate("window.__ran") is None  # the inline script did not run
    assert any("script-src" in v for v in violations())


def test_service_and_measure_pages_with_charts(world, page, sign_in, violations):
    measure = _measure(world)
    sign_in("rm@example.test")
    page.goto(reverse("core:service_detail", kwargs={"service": world.service.slug}))
    page.goto(f"/measures/{measure.pk}/")
    assert page.locator("svg.spc-chart circle:has(title)").count() == 6  # the inline SVG chart renders
    page.goto(reverse("governance:calendar"))
    expect(page.locator("#ics-url")).to_be_visible()
    assert violations() == []


def test_the_audit_form_autosaves_under_the_policy(world, page, sign_in, violations):
    template = TemplateFactory(provider=world.provider, title="Escalation record sample", criteria=3)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    sign_in("rm@example.test")
    page.goto(reverse("audits:audit_edit", args=[audit.pk]))
    page.get_by_label("Record reference, row 1", exact=True).fill("R-1040")
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^Saved"))
    before = page.locator("tr.record-row").count()
    page.get_by_role("button", name="Add a record").click()
    expect(page.locator("tr.record-row")).to_have_count(before + 1)
    assert violations() == []


def test_the_oversight_meeting_and_closure_review(world, page, sign_in, violations):
    proposed_action(world.service, world.deputy, title="Stable night cover")
    review = OversightReviewFactory(
        service=world.service,
        provider=world.provider,
        kind=OversightReview.Kind.MONTHLY_LEADERSHIP,
        title="Monthly leadership review",
        chair=world.ni,
        scheduled_for=timezone.now() + datetime.timedelta(hours=1),
    )
    sign_in("ni@example.test")
    page.goto(review.get_absolute_url())
    page.get_by_role("button", name="Start the meeting").click()
    page.wait_for_url(f"**{review.get_absolute_url()}*")
    item = page.locator("article", has=page.get_by_role("heading", name="Closure proposed: Stable night cover"))
    item.get_by_label("Question or challenge").fill("What happened at night?")
    item.get_by_role("button", name="Record challenge").click()
    page.get_by_text("Your challenge is recorded.").wait_for()
    page.goto("/closure-review/")
    page.get_by_role("link", name="Start with the oldest").click()
    # The focus script, now a static file, ran.
    expect(page.locator("#proposal-heading")).to_be_focused()
    assert violations() == []
