"""A closure proposal refused by the nominated individual, seen through a real browser."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evidence.tests.factories import EvidenceFactory
from recovery.models import RecoveryAction
from recovery.tests.factories import in_progress_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rm_proposes_ni_refuses_and_the_action_is_back_in_progress(world, page, sign_in):
    action = in_progress_action(
        world.service, owner=world.deputy, risk_level="high", title="Escalate changes within the shift"
    )
    action.evidence.add(
        EvidenceFactory(
            service=world.service,
            title="Record sample, week 6",
            refers_to=timezone.localdate() - datetime.timedelta(days=2),
        )
    )

    sign_in("rm@example.test")
    page.goto(action.get_absolute_url())
    page.get_by_role("link", name="Propose closure").click()
    page.get_by_label("Closure note").fill("Nine of ten sampled changes escalated the same shift.")
    # No measure yet: the checklist says so, and a justification is asked for.
    expect(page.get_by_text("This action has no outcome measure.").first).to_be_visible()
    page.get_by_label("Justification (needed while a closure condition is unmet)").fill(
        "No measure yet; record sampling shows it."
    )
    page.get_by_role("button", name="Propose closure").click()
    page.wait_for_url(f"**{action.get_absolute_url()}")
    expect(page.get_by_text("Closure proposed", exact=True).first).to_be_visible()
    # The proposer is not offered the decision.
    assert page.get_by_role("link", name="Decide closure").count() == 0

    page.context.clear_cookies()
    sign_in("ni@example.test")
    page.goto(action.get_absolute_url())
    page.get_by_role("link", name="Decide closure").click()
    # The decider sees the unmet condition and the justification, highlighted.
    expect(page.get_by_text("Proposed with 1 condition unmet, because:").first).to_be_visible()
    expect(page.get_by_text("No measure yet; record sampling shows it.").first).to_be_visible()
    page.get_by_label("Refuse closure").check()
    page.get_by_label("Rationale").fill("One week of sampling is not enough for a high-risk action.")
    page.get_by_label("Further checks required (when refusing)").fill("Four more weeks of sampling; observe handovers.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(f"**{action.get_absolute_url()}")

    assert page.get_by_role("heading", level=1).inner_text().endswith("Escalate changes within the shift")
    expect(page.locator(".badge", has_text="In progress").first).to_be_visible()
    timeline = page.locator("section", has=page.get_by_role("heading", name="From concern to outcome"))
    expect(timeline.get_by_text("Closure refused")).to_be_visible()
    expect(timeline.get_by_text("One week of sampling is not enough for a high-risk action.")).to_be_visible()
    expect(timeline.get_by_text("Four more weeks of sampling; observe handovers.")).to_be_visible()
    action.refresh_from_db()
    assert action.status == RecoveryAction.Status.IN_PROGRESS
