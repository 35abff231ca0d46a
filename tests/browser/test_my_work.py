"""The home page leads with each person's own work: the registered manager's audits due, opened in
one click; the nominated individual's closures waiting for a decision."""

import pytest
from playwright.sync_api import expect

from audits.tests.factories import TemplateFactory
from recovery.tests.factories import ActionFactory, ThemeFactory, proposed_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_registered_manager_sees_her_audits_due_first_and_opens_one(world, page, sign_in):
    template = TemplateFactory(provider=world.provider, title="Escalation record sample")
    ActionFactory(theme=ThemeFactory(service=world.service, owner=world.rm), owner=world.rm, title="Rota gaps")
    sign_in("rm@example.test")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="My work", level=1)).to_be_visible()
    # Her audits come first, then her actions.
    expect(main.get_by_role("heading", level=2).first).to_contain_text("Audits due this week")
    audits = main.get_by_role("region", name="Audits due this week")
    audits.get_by_role("link", name="Escalation record sample").click()
    expect(page.get_by_role("heading", name=f"Log an audit at {world.service.name}")).to_be_visible()
    expect(page.get_by_label("Audit")).to_have_value(str(template.pk))


def test_the_nominated_individual_sees_closures_waiting(world, page, sign_in):
    proposals = [
        proposed_action(world.service, proposer=world.rm, risk_level="high", title="Night checks"),
        proposed_action(world.sibling, proposer=world.quality, title="Medicines rounds"),
    ]
    sign_in("ni@example.test")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=2).first).to_contain_text("Closures waiting for your decision")
    closures = main.get_by_role("region", name="Closures waiting for your decision")
    expect(closures.get_by_role("link")).to_have_count(2)
    closures.get_by_role("link", name=f"{proposals[0].reference} Night checks").click()
    expect(page.get_by_role("heading", name=f"{proposals[0].reference} Night checks")).to_be_visible()
