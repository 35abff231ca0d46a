"""The logging grid fits a 1024 px tablet with six criteria: Comment and Remove on screen.

A registered manager walks the floor with a landscape tablet (1024 x 768). With six criteria
the grid used to be 1180 px wide, so Comment and Remove sat off screen behind a horizontal
scroll. Both a mouse and a touch screen are checked (touch targets are larger).
"""

import pytest
from django.urls import reverse

from audits.tests.factories import AuditFactory, TemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH = 1024


@pytest.mark.parametrize("touch", [False, True], ids=["mouse", "touch"])
def test_six_criteria_fit_a_1024px_tablet_with_comment_and_remove_in_view(world, browser, live_server, touch):
    template = TemplateFactory(provider=world.provider, criteria=6, default_sample_size=3)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 768},
        base_url=live_server.url,
        service_workers="block",
        has_touch=touch,
        is_mobile=False,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill("rm@example.test")
        page.get_by_label("Password").fill("correct-horse-battery")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.goto(reverse("audits:audit_edit", args=[audit.pk]))
        comment = page.get_by_label("Comment, row 1")
        remove = page.get_by_role("button", name="Remove row 1")
        for element in (comment, remove, page.get_by_label("Record reference, row 1")):
            box = element.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
        # Nothing scrolls sideways: not the grid's own box, not the page.
        scroll = page.evaluate(
            "() => { const b = document.querySelector('#records-grid .table-responsive');"
            " return [b.scrollWidth, b.clientWidth, document.documentElement.scrollWidth]; }"
        )
        assert scroll[0] <= scroll[1] and scroll[2] <= WIDTH, scroll
        # The answers are still full-size targets on a touch screen.
        yes = page.locator("label[for='id_records-0-a_c6_0']").bounding_box()
        assert yes["width"] >= 24 and yes["height"] >= 24
        if touch:
            assert yes["height"] >= 40
    finally:
        context.close()
