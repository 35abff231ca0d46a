"""WCAG 2.2 AA: axe-core finds no serious or critical violation on the main pages of the demo.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0) so this runs offline; it is
injected into each page by Playwright and never served by the app. Each page is checked
against the WCAG 2.0/2.1/2.2 A and AA rules, with its <details> opened; every serious or
critical violation on every page is reported together (rule, help, target selectors), then
the test fails. One test, so the demo is seeded once (~5 s).

axe cannot judge focus visibility, so on three keyboard-heavy pages the test also tabs
through and checks that each focused element shows the focus ring and is not covered
(2.4.7, 2.4.11), and that the skip link moves focus to <main>.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DEMO_PASSWORD = "recovery-demo-2026"
SERVICE = "oakfield-house"
PROVIDER = "oakfield"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}

RUN_AXE = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
    return result.violations.map(v => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map(n => n.target.join(" ")),
    }));
}"""


FOCUS_STATE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
    const top = document.elementFromPoint(x, y);
    const label = (el.textContent || el.name || "").trim().slice(0, 40);
    const onTop = !!top && (el.contains(top) || top.contains(el) || top.htmlFor === el.id);
    return {
        name: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + label,
        ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
        seen: box.width > 0 && box.height > 0 && onTop,
    };
}"""


def _focus_problems(page, presses: int = 40) -> list[str]:
    """Tab through the page: every focused element shows the focus ring and is not covered (2.4.7, 2.4.11)."""
    page.emulate_media(reduced_motion="reduce")  # Bootstrap scrolls smoothly otherwise: check where focus lands
    page.locator("body").focus()
    problems = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            break
        if not state["ring"]:
            problems.append(f"{page.url}: no visible focus ring on {state['name']}")
        if not state["seen"]:
            problems.append(f"{page.url}: focused element is hidden or covered: {state['name']}")
    return problems


class Audit:
    """Runs axe on each visited page and keeps what it found."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[dict]] = {}

    def check(self, label: str, path: str | None = None) -> None:
        if path is not None:
            response = self.page.goto(path)
            assert response is not None and response.ok, f"{label}: {path} answered {response and response.status}"
        self.page.wait_for_load_state("networkidle")
        # Check what a user can reveal too: the forms folded into <details>.
        self.page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
        violations = self.page.evaluate(RUN_AXE, TAGS)
        self.found[f"{label} ({self.page.url})"] = [v for v in violations if v["impact"] in FAILING_IMPACTS]

    def report(self) -> str:
        lines = []
        for page, violations in self.found.items():
            for v in violations:
                lines.append(f"{page}: [{v['impact']}] {v['id']}: {v['help']}")
                lines.extend(f"    {target}" for target in v["targets"][:10])
                if len(v["targets"]) > 10:
                    lines.append(f"    … and {len(v['targets']) - 10} more")
        return "\n".join(lines)


def _sign_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _free_audit_period(service) -> tuple[int, datetime.date]:
    """An audit template used at ``service`` and a day whose period has no audit yet."""
    from audits import selectors
    from audits.models import Audit as AuditModel
    from audits.periods import period_bounds

    day = timezone.localdate()
    for _ in range(400):
        for template in selectors.applicable_templates(service):
            _, end = period_bounds(template.frequency, day)
            taken = AuditModel.objects.filter(service=service, template_version__template=template, period_end=end)
            if not taken.exists():
                return template.pk, day
        day -= datetime.timedelta(days=1)
    raise AssertionError("No free audit period in the demo")


def test_main_pages_pass_axe_and_keep_keyboard_focus_visible(page):
    from audits.models import Audit as AuditModel
    from core.models import Service
    from evidence.models import EvidenceItem
    from governance.models import OversightReview
    from recovery.models import OutcomeMeasure, RecoveryAction

    call_command("seed_demo", verbosity=0)
    service = Service.objects.get(slug=SERVICE)
    action = RecoveryAction.objects.filter(service=service).order_by("pk").first()
    measure = OutcomeMeasure.objects.filter(action__service=service).order_by("pk").first()
    audit_done = AuditModel.objects.filter(service=service, status=AuditModel.Status.SUBMITTED).order_by("-pk").first()
    evidence = EvidenceItem.objects.filter(service=service).order_by("pk").first()
    proposed = RecoveryAction.objects.filter(status=RecoveryAction.Status.CLOSURE_PROPOSED).order_by("pk").first()
    reviews = OversightReview.objects.filter(service=service).order_by("pk")
    finalised = reviews.filter(status=OversightReview.Status.FINALISED).first()
    scheduled = reviews.filter(status=OversightReview.Status.SCHEDULED).first()
    assert all([action, measure, audit_done, evidence, proposed, finalised, scheduled]), "the demo data changed"
    template_pk, day = _free_audit_period(service)

    axe = Audit(page)
    axe.check("Sign in", "/accounts/login/")

    _sign_in(page, "rm@oakfield.example")
    axe.check("Home", "/")
    axe.check("Your services", "/services/")
    axe.check("Service", f"/services/{SERVICE}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", "the skip link does not move focus to <main>"
    focus_problems = _focus_problems(page)
    axe.check("Recovery map", f"/services/{SERVICE}/recovery-map/")
    axe.check("Action", f"/actions/{action.pk}/")
    axe.check("Measure", f"/measures/{measure.pk}/")
    axe.check("Audit list", f"/services/{SERVICE}/audits/")
    axe.check("Audit detail", f"/audits/{audit_done.pk}/")
    axe.check("Start an audit", f"/services/{SERVICE}/audits/start/?template={template_pk}&on={day.isoformat()}")
    page.get_by_role("button", name="Start audit").click()
    page.wait_for_url("**/audits/*/log/")
    axe.check("Audit logging form")
    focus_problems += _focus_problems(page)
    axe.check("Evidence library", f"/services/{SERVICE}/evidence/")
    axe.check("Evidence item", f"/evidence/{evidence.pk}/")
    axe.check("Add evidence", f"/evidence/new/?service={SERVICE}")
    axe.check("Flags", f"/services/{SERVICE}/flags/")
    axe.check("Calendar", "/reviews/calendar/")
    axe.check("Evidence packs", f"/services/{SERVICE}/packs/")

    _sign_in(page, "quality@oakfield.example")
    axe.check("Provider dashboard", f"/providers/{PROVIDER}/dashboard/")
    axe.check("Provider recovery map", f"/providers/{PROVIDER}/recovery-map/")

    _sign_in(page, "ni@oakfield.example")
    axe.check("Closure queue", "/closure-review/")
    axe.check("Closure review", f"/closure-review/{proposed.pk}/")
    axe.check("Review, final minutes", f"/reviews/{finalised.pk}/")
    axe.check("Review, scheduled", f"/reviews/{scheduled.pk}/")
    page.get_by_role("button", name="Start the meeting").click()
    page.wait_for_url(f"**/reviews/{scheduled.pk}/**")
    axe.check("Review, meeting in progress")
    focus_problems += _focus_problems(page, presses=60)

    report = axe.report()
    print(report or "axe: no serious or critical violations")
    assert not report, "axe-core found serious or critical WCAG violations:\n" + report
    assert not focus_problems, "Keyboard focus is not visible:\n" + "\n".join(focus_problems)
