"""The main planning journey through a real browser, as the registered manager.

Service page -> new theme -> new action (first without an intended outcome, so work cannot
start) -> outcome measure (a wrong target is refused next to its field) -> data points (a
numerator above the denominator is refused) -> the chart, the table and the action's timeline.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from recovery.models import DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THEME = "Deterioration not escalated"
ACTION = "Escalate changes within the shift"
OUTCOME = "Every change in a resident's condition is escalated within the same shift."
MEASURE = "Changes escalated within the shift, in sampled records"


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _display(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def test_rm_plans_a_theme_action_measure_and_data_through_the_ui(world, page, sign_in):
    today = timezone.localdate()
    sign_in("rm@example.test")
    page.goto(f"/services/{world.service.slug}/")

    # 1. A new theme from the service page (its themes are below the fold: loaded when scrolled to).
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    themes = page.locator("section", has=page.get_by_role("heading", name="Themes", exact=True))
    themes.get_by_role("link", name="New theme").click()
    page.get_by_label("Title").fill(THEME)
    page.get_by_label("What was found").fill("Staff noticed residents becoming unwell but did not escalate.")
    page.get_by_role("combobox", name=re.compile(r"^Source\*?$")).select_option(label="CQC inspection report")
    page.get_by_label("Risk level").select_option(label="High")
    page.get_by_label("Owner").select_option(label=str(world.rm))
    page.get_by_role("button", name="Create theme").click()
    theme = FailureTheme.objects.get(title=THEME)
    page.wait_for_url(f"**{theme.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(THEME)

    # 2. An action on the theme, first without an intended outcome.
    page.get_by_role("link", name="New action").click()
    page.get_by_label("Title").fill(ACTION)
    page.get_by_label("Baseline issue").fill("Three of ten sampled changes were escalated the same shift.")
    page.get_by_label("Owner").select_option(label=str(world.rm))
    page.get_by_label("Due date").fill(_iso(today + datetime.timedelta(days=90)))
    page.get_by_label("Risk level").select_option(label="High")
    page.get_by_role("button", name="Create action").click()
    action = RecoveryAction.objects.get(title=ACTION)
    page.wait_for_url(f"**{action.get_absolute_url()}")
    assert action.status == RecoveryAction.Status.DRAFT

    page.get_by_role("link", name="Open action").click()
    page.get_by_role("button", name="Open action").click()
    page.wait_for_url(f"**{action.get_absolute_url()}")
    expect(page.get_by_text("The intended outcome is missing: work cannot start until it is written.")).to_be_visible()

    page.get_by_role("link", name="Start work").click()
    page.get_by_role("button", name="Start work").click()
    alert = page.get_by_role("alert").filter(has_text="This could not be saved")
    expect(alert).to_contain_text("Write the intended outcome (what will be different for people) before work starts.")
    action.refresh_from_db()
    assert action.status == RecoveryAction.Status.OPEN  # nothing changed
    assert action.title == ACTION

    page.get_by_role("link", name="Back without saving").click()
    page.wait_for_url(f"**{action.get_absolute_url()}")
    page.get_by_role("link", name="Edit", exact=True).click()
    # What was typed before is all still there.
    expect(page.get_by_label("Title")).to_have_value(ACTION)
    page.get_by_label("Intended outcome").fill(OUTCOME)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**{action.get_absolute_url()}")

    page.get_by_role("link", name="Start work").click()
    expect(page.get_by_text(f"Intended outcome: {OUTCOME}")).to_be_visible()
    page.get_by_role("button", name="Start work").click()
    page.wait_for_url(f"**{action.get_absolute_url()}")
    expect(page.locator(".badge", has_text="In progress").first).to_be_visible()
    action.refresh_from_db()
    assert action.status == RecoveryAction.Status.IN_PROGRESS

    # 3. A measure: a target below the baseline is refused next to the target field.
    baseline_on = today - datetime.timedelta(days=60)
    target_on = today + datetime.timedelta(days=60)
    page.get_by_role("link", name="Add a measure").click()
    page.get_by_label("What is measured").fill(MEASURE)
    page.get_by_label("Percentage of sampled items meeting a standard").check()
    page.get_by_label("Higher is better").check()
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Baseline value").fill("60")
    page.get_by_label("Baseline date").fill(_iso(baseline_on))
    page.get_by_label("Target value").fill("50")
    page.get_by_label("Target date").fill(_iso(target_on))
    page.get_by_role("button", name="Add measure").click()

    expect(page.get_by_role("alert").filter(has_text="Please correct the 1 problem below.")).to_be_visible()
    target_error = "Higher is better, so the target must be above the baseline."
    target_group = page.locator("#div_id_target_value")
    expect(target_group).to_contain_text(target_error)
    target_input = target_group.get_by_label("Target value")
    expect(target_input).to_have_value("50")
    # The message is tied to the field for screen readers too.
    expect(target_input).to_have_attribute("aria-invalid", "true")
    expect(target_input).to_have_accessible_description(target_error)
    expect(page.get_by_label("What is measured")).to_have_value(MEASURE)
    expect(page.get_by_label("Percentage of sampled items meeting a standard")).to_be_checked()
    assert OutcomeMeasure.objects.count() == 0

    page.get_by_label("Target value").fill("95")
    page.get_by_role("button", name="Add measure").click()
    measure = OutcomeMeasure.objects.get(name=MEASURE)
    page.wait_for_url(f"**{measure.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(MEASURE)

    # 4. Two data points; a numerator above the denominator is refused first.
    first_on, second_on = today - datetime.timedelta(days=21), today - datetime.timedelta(days=7)
    page.get_by_role("link", name="Add a data point").click()
    page.get_by_label("Period ending").fill(_iso(first_on))
    page.get_by_label("Items that met the standard").fill("12")
    page.get_by_label("Items sampled").fill("10")
    page.get_by_role("button", name="Save data point", exact=True).click()
    numerator_error = "12 met the standard but only 10 were sampled."
    expect(page.get_by_role("alert").filter(has_text="Please correct the 1 problem below.")).to_be_visible()
    expect(page.locator("#div_id_numerator")).to_contain_text(numerator_error)
    expect(page.get_by_label("Items that met the standard")).to_have_accessible_description(numerator_error)
    expect(page.get_by_label("Items sampled")).to_have_value("10")
    expect(page.get_by_label("Period ending")).to_have_value(_iso(first_on))
    assert DataPoint.objects.count() == 0

    page.get_by_label("Items that met the standard").fill("7")
    page.get_by_role("button", name="Save data point", exact=True).click()
    page.wait_for_url(f"**{measure.get_absolute_url()}")

    page.get_by_role("link", name="Add a data point").click()
    page.get_by_label("Period ending").fill(_iso(second_on))
    page.get_by_label("Items that met the standard").fill("9")
    page.get_by_label("Items sampled").fill("10")
    page.get_by_role("button", name="Save data point", exact=True).click()
    page.wait_for_url(f"**{measure.get_absolute_url()}")

    chart = page.locator("figure.chart svg[role=img]")
    expect(chart).to_have_count(1)
    # One circle per value (each carries a tooltip <title>); the legend's swatches do not.
    expect(chart.locator("circle:has(> title)")).to_have_count(2)
    table = page.get_by_role("table", name=f"Values for {MEASURE}, newest first")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("rowheader")).to_have_text(_display(second_on))
    expect(rows.nth(0)).to_contain_text("90%")
    expect(rows.nth(1).get_by_role("rowheader")).to_have_text(_display(first_on))
    expect(rows.nth(1)).to_contain_text("70%")

    # 5. The action's timeline tells the story.
    page.goto(action.get_absolute_url())
    timeline = page.locator("section", has=page.get_by_role("heading", name="From concern to outcome"))
    expect(timeline.get_by_text("Work started", exact=True)).to_be_visible()
    expect(timeline.get_by_text(f"{MEASURE}: 70%", exact=True)).to_be_visible()
    expect(timeline.get_by_text(f"{MEASURE}: 90%", exact=True)).to_be_visible()
    assert DataPoint.objects.filter(measure=measure).count() == 2
