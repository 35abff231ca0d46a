"""A name typed into a record reference loses nothing else (issue 11: audit answers are never lost).

The auditor types a name into one record reference by mistake. Autosave used to answer 422
and save nothing, while submit said the answers were a draft; signing in afresh found nothing.
Now every other answer is saved on the server, the status line says exactly what was not
saved and why, and a second browser (a fresh sign-in, nothing on that device) shows them.
"""

import html

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audits.tests.factories import AuditFactory, TemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# row -> (reference, answers to c1..c3 as the radio's position: 0 Yes, 1 No, 2 N/A)
ROWS = [("R-3001", [0, 0, 1]), ("Jane Doe", [1, 0, 2]), ("R-3003", [0, 0, 0])]


def _sign_in(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill("rm@example.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return page


def test_a_name_in_one_reference_leaves_every_other_answer_saved_and_visible_elsewhere(world, browser, live_server):
    template = TemplateFactory(provider=world.provider, criteria=3, default_sample_size=3)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    url = f"{live_server.url}{reverse('audits:audit_edit', args=[audit.pk])}"
    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, service_workers="block")
    tablet.set_default_timeout(15_000)
    try:
        page = _sign_in(tablet, live_server)
        page.goto(url)
        for row, (ref, answers) in enumerate(ROWS):
            page.get_by_label(f"Record reference, row {row + 1}").fill(ref)
            for c, choice in enumerate(answers, 1):
                page.locator(f"label[for='id_records-{row}-a_c{c}_{choice}']").click()
        page.get_by_label("Comment, row 3").fill("escalated at handover")
        status = page.locator("#autosave-status")
        expect(status).to_contain_text("Saved 9 answers at ")
        expect(status).to_contain_text("not saved: record reference in row 2 — “Jane Doe” reads as a person's name")
        expect(page.locator("#ref-help")).to_contain_text("Never a person's name")
        # The device keeps what was typed (the reference still needs correcting).
        expect(page.locator("#sync-state")).to_have_text("Saved on this device")
        assert "Jane Doe" not in html.unescape(status.inner_text()).split("not saved")[0]
    finally:
        tablet.close()

    saved = list(audit.records.order_by("order").values_list("record_ref", "answers", "comment"))
    assert saved == [
        ("R-3001", {"c1": "yes", "c2": "yes", "c3": "no"}, ""),
        ("", {"c1": "no", "c2": "yes", "c3": "na"}, ""),
        ("R-3003", {"c1": "yes", "c2": "yes", "c3": "yes"}, "escalated at handover"),
    ]

    # Another device: a fresh sign-in, with no copy of its own, shows what the server saved.
    office = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    office.set_default_timeout(15_000)
    try:
        page = _sign_in(office, live_server)
        page.goto(f"{live_server.url}{reverse('audits:audit_list', args=[world.service.slug])}")
        expect(page.get_by_text("Draft").first).to_be_visible()
        page.goto(url)
        expect(page.get_by_label("Record reference, row 1")).to_have_value("R-3001")
        expect(page.get_by_label("Record reference, row 2")).to_have_value("")
        expect(page.get_by_label("Record reference, row 3")).to_have_value("R-3003")
        expect(page.get_by_label("Comment, row 3")).to_have_value("escalated at handover")
        for row, (_ref, answers) in enumerate(ROWS):
            for c, choice in enumerate(answers, 1):
                expect(page.locator(f"#id_records-{row}-a_c{c}_{choice}")).to_be_checked()
        expect(page.locator("#overall-compliance")).to_contain_text("(6 of 8 answers)")
        expect(page.locator("#restore-banner")).to_be_hidden()
    finally:
        office.close()


def test_a_time_criterion_is_typed_counted_as_you_go_and_saved_as_minutes(world, browser, live_server):
    from audits.models import Criterion

    template = TemplateFactory(provider=world.provider, criteria=1, default_sample_size=1)
    Criterion.objects.create(
        version=template.current_version(),
        key="within-4h",
        order=2,
        text="Escalated within 4 hours",
        kind=Criterion.Kind.TIME,
        limit_minutes=240,
    )
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, service_workers="block")
    context.set_default_timeout(15_000)
    try:
        page = _sign_in(context, live_server)
        page.goto(f"{live_server.url}{reverse('audits:audit_edit', args=[audit.pk])}")
        page.get_by_label("Record reference, row 1").fill("R-5001")
        page.locator("label[for='id_records-0-a_c1_0']").click()  # Yes
        time = page.get_by_label("Criterion 2: Escalated within 4 hours (within 4 h) – row 1")
        time.fill("14:05-19:30")  # five hours and a quarter: over the limit
        expect(page.locator("#overall-compliance")).to_contain_text("50% (1 of 2 answers)")
        time.fill("3h 20m")
        expect(page.locator("#overall-compliance")).to_contain_text("100% (2 of 2 answers)")
        expect(page.locator("#autosave-status")).to_contain_text("Saved 2 answers at ")
        expect(page.locator("#sync-state")).to_have_text("Sent")
    finally:
        context.close()
    assert audit.records.get().answers == {"c1": "yes", "within-4h": "200"}
