"""WCAG 2.2 AA colour contrast on the action page in every state it can be in.

The badges, alerts and muted text of an action page change with its status (draft, open, in
progress, closure proposed, refused, closed, reopened), so one visit is not enough: the demo's
richest action (the missed-escalation story) is shown in each status, as the people who read it
(the registered manager, who works on it, and the nominated individual, who decides), and
axe-core's contrast rule (vendored, see test_accessibility.py) checks every element.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser.test_accessibility import AXE, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RUN_CONTRAST = """async () => {
    const result = await axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]}});
    return result.violations.flatMap(v => v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary));
}"""


def _contrast_failures(page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    page.wait_for_load_state("networkidle")
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_CONTRAST)


def test_action_page_meets_contrast_in_every_state(page):
    from recovery.models import RecoveryAction

    call_command("seed_demo", verbosity=0)
    S = RecoveryAction.Status
    actions = RecoveryAction.objects.filter(service__slug="oakfield-house")
    action = actions.filter(steps__isnull=False, measures__isnull=False, evidence__isnull=False).distinct().first()
    assert action is not None, "the demo data changed"
    refused = actions.filter(transitions__to_status=S.REFUSED).first()
    high = actions.filter(risk_level="high").first()
    failures = []
    for email in ("rm@oakfield.example", "ni@oakfield.example"):
        _sign_in(page, email)
        for status in S.values:
            for subject in {a for a in (action, refused, high) if a is not None}:
                RecoveryAction.objects.filter(pk=subject.pk).update(status=status)
                path = f"/actions/{subject.pk}/"
                failures += [f"{email} {status} {path}: {f}" for f in _contrast_failures(page, path)]
    assert not failures, "Colour contrast fails WCAG 2.2 AA:\n" + "\n".join(failures)
