"""The nominated individual runs the monthly leadership review in a real browser: challenges an
item without a reload, refuses a closure from the queue, and finalises the minutes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.choices import RiskLevel
from governance.models import Challenge, OversightReview
from governance.reviews.tests.factories import OversightReviewFactory, proposed_action
from recovery.models import RecoveryAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_ni_challenges_refuses_a_closure_and_finalises_the_minutes(world, page, sign_in):
    staffing = proposed_action(world.service, world.deputy, risk=RiskLevel.HIGH, days_ago=3, title="Stable night cover")
    later = proposed_action(world.service, world.deputy, days_ago=1, title="Relatives told of changes")
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
    assert page.get_by_role("heading", level=1).inner_text() == "Monthly leadership review"
    page.get_by_role("button", name="Start the meeting").click()
    page.wait_for_url(f"**{review.get_absolute_url()}*")

    # Challenge the staffing proposal: htmx swaps the item in place, the page does not reload.
    item = page.locator("article", has=page.get_by_role("heading", name="Closure proposed: Stable night cover"))
    page.evaluate("window.__still_here = true")
    item.get_by_label("Question or challenge").fill("Two weeks at plan is not four. What happened at night?")
    item.get_by_role("button", name="Record challenge").click()
    page.get_by_text("Your challenge is recorded.").wait_for()
    assert page.evaluate("window.__still_here") is True
    expect(page.get_by_text("Two weeks at plan is not four. What happened at night?")).to_be_visible()
    assert Challenge.objects.filter(raised_by=world.ni, agenda_item__review=review).count() == 1

    # The closure queue: oldest first; refuse with rationale and further checks.
    page.goto("/closure-review/")
    page.get_by_role("link", name="Start with the oldest").click()
    expect(page.get_by_text("Proposal 1 of 2")).to_be_visible()
    # The focus script is a static file (CSP): it may run just after the text appears.
    expect(page.locator("#proposal-heading")).to_be_focused()
    page.get_by_label("Refuse closure").check()
    page.get_by_label("Rationale").fill("Only two weeks at plan; night gaps were not risk-assessed.")
    page.get_by_label("Further checks required (when refusing)").fill("Four weeks at plan; a risk assessment per gap.")
    page.get_by_role("button", name="Record decision").click()
    # On to the next proposal, focus on its heading.
    page.get_by_text("Proposal 1 of 1").wait_for()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Relatives told of changes")
    # The focus script is a static file (CSP): it may run just after the text appears.
    expect(page.locator("#proposal-heading")).to_be_focused()
    staffing.refresh_from_db()
    assert staffing.status == RecoveryAction.Status.IN_PROGRESS
    assert staffing.transitions.get(to_status=RecoveryAction.Status.REFUSED).further_checks.startswith("Four weeks")
    later.refresh_from_db()
    assert later.status == RecoveryAction.Status.CLOSURE_PROPOSED

    # Back in the meeting: record the decision and finalise.
    page.goto(review.get_absolute_url())
    item = page.locator("article", has=page.get_by_role("heading", name="Closure proposed: Stable night cover"))
    item.get_by_label("Not assured").check()
    item.get_by_label("Rationale").fill("Closure refused in the meeting: night cover not yet shown to hold.")
    item.get_by_role("button", name="Record decision").click()
    page.get_by_text("The decision is recorded.").wait_for()
    page.get_by_label("Summary of the minutes").fill("Staffing closure refused; further checks named.")
    page.get_by_role("button", name="Finalise the minutes").click()
    page.get_by_text("The minutes are final").first.wait_for()
    assert page.get_by_role("button", name="Record decision").count() == 0
    review.refresh_from_db()
    assert review.is_locked and review.minutes_evidence in staffing.evidence.all()
