"""The nominated individual runs the monthly leadership review in a real browser: adds an item by
hand, records attendance, asks the registered manager for evidence; the registered manager
answers in her own session, and the nominated individual sees the answer on the item."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evidence.tests.factories import EvidenceFactory
from governance.models import AgendaItem, Challenge, OversightReview, ReviewAttendance
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, ThemeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_ni_runs_the_review_and_the_owner_answers_her_evidence_request(world, page, sign_in, browser, live_server):
    today = timezone.localdate()
    theme = ThemeFactory(
        service=world.service, provider=world.provider, owner=world.rm, title="Night checks", layers=False
    )
    ActionFactory(
        theme=theme,
        owner=world.rm,
        status=RecoveryAction.Status.IN_PROGRESS,
        due_date=today - datetime.timedelta(days=5),
        title="Hourly night checks recorded",
        layers=False,  # no review route: the agenda holds its overdue flag and the hand-added item only
    )
    EvidenceFactory(service=world.service, provider=world.provider, title="Night check audit, week 3")
    review = OversightReviewFactory(
        service=world.service,
        provider=world.provider,
        kind=OversightReview.Kind.MONTHLY_LEADERSHIP,
        title="Monthly leadership review",
        chair=world.ni,
        scheduled_for=timezone.now() + datetime.timedelta(hours=1),
    )
    review.attendees.set([world.rm, world.quality])

    sign_in("ni@example.test")
    page.goto(review.get_absolute_url())
    page.get_by_role("button", name="Start the meeting").click()
    expect(page.get_by_text("The meeting has started.")).to_be_visible()

    # A theme summary added by hand.
    page.get_by_text("Add an item to the agenda").click()
    page.get_by_label("Kind of item").select_option("theme_summary")
    page.get_by_label("Title of the item").fill("Safeguarding themes this month")
    page.get_by_label("What the meeting should know").fill("Three alerts, two about night-time falls.")
    page.get_by_role("button", name="Add the item").click()
    expect(page.get_by_text("“Safeguarding themes this month” is on the agenda.")).to_be_visible()
    summary = page.locator("article", has=page.get_by_role("heading", name="Safeguarding themes this month"))
    expect(summary.get_by_text("Three alerts, two about night-time falls.")).to_be_visible()
    # She added it, so she does not decide it: no decision controls, the reason instead.
    expect(summary.get_by_text("You own what this item is about")).to_be_visible()
    expect(summary.get_by_role("button", name="Record decision")).to_have_count(0)

    # Attendance: the quality lead sent apologies.
    row = page.locator("tr", has_text="Quality Persona")
    row.get_by_role("combobox").select_option("apologies")
    row.get_by_role("button", name="Record attendance of Quality Persona").click()
    expect(page.get_by_text("Attendance recorded for Quality Persona.")).to_be_visible()

    # An evidence request on the overdue action, to its owner by default, without a reload.
    item = page.locator("article", has=page.get_by_role("heading", name="Overdue action: Hourly night checks recorded"))
    page.evaluate("window.__still_here = true")
    item.get_by_label("Type").select_option("evidence_request")
    item.get_by_label("Question or challenge").fill("Show the audit of night checks since the change.")
    item.get_by_role("button", name="Record challenge").click()
    expect(page.get_by_text("Your challenge is recorded.")).to_be_visible()
    assert page.evaluate("window.__still_here") is True
    expect(item.get_by_text("For Rm Persona to answer")).to_be_visible()

    # The live counter follows a decision recorded on the item.
    counter = page.locator("#agenda-counter")
    expect(counter).to_have_text("(0 of 2 decided)")
    item.get_by_label("Partly assured").check()
    item.get_by_label("Rationale").fill("Checks are recorded but the audit is still to come.")
    item.get_by_role("button", name="Record decision").click()
    expect(item.get_by_text("The decision is recorded.")).to_be_visible()
    expect(counter).to_have_text("(1 of 2 decided)")

    request = Challenge.objects.get(agenda_item__review=review)
    assert request.addressed_to == world.rm and request.due_on is not None

    # The registered manager answers in her own session.
    context = browser.new_context(viewport={"width": 1024, "height": 768}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    try:
        rm_page = context.new_page()
        _sign_in(rm_page, "rm@example.test")
        rm_page.goto("/requests/")
        rm_page.get_by_role("link", name="Request for further evidence: Show the audit of night checks").click()
        rm_page.get_by_label("Your answer").fill("The audit of 60 night checks: 57 recorded on time.")
        rm_page.get_by_label("Night check audit, week 3").check()
        rm_page.get_by_role("button", name="Send the answer").click()
        expect(rm_page.get_by_text("Your answer is recorded.")).to_be_visible()
        expect(rm_page.get_by_text("The audit of 60 night checks: 57 recorded on time.")).to_be_visible()
    finally:
        context.close()

    # The nominated individual sees the answer on the item.
    page.goto(review.get_absolute_url())
    item = page.locator("article", has=page.get_by_role("heading", name="Overdue action: Hourly night checks recorded"))
    expect(item.get_by_text("The audit of 60 night checks: 57 recorded on time.")).to_be_visible()
    expect(item.get_by_role("link", name="Night check audit, week 3")).to_be_visible()
    assert ReviewAttendance.objects.get(review=review, person=world.quality).status == "apologies"
    assert review.agenda_items.filter(kind=AgendaItem.Kind.THEME_SUMMARY, added_by=world.ni).exists()
