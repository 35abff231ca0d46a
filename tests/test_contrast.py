"""WCAG 2.2 AA colour contrast of the action page in every state, computed from the static CSS.

An action page's badges, buttons, alerts and muted text change with its status (draft, open, in
progress, closure proposed, refused, closed, reopened) and with who reads it. Each state is
rendered for the registered manager and the nominated individual; every element that sets its
own colour or background (from Bootstrap's stylesheet, then the product's ``app.css``, then an
inline style) and holds text in the page's <main> is checked: its text colour against the nearest background, at
4.5:1. tests/browser/test_action_contrast.py runs axe-core over the same states in Chromium.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from evidence.tests.factories import EvidenceFactory
from recovery.models import ActionTransition, RecoveryAction
from recovery.tests.factories import DataPointFactory, MeasureFactory, StepFactory, in_progress_action

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "static"
SHEETS = [STATIC / "vendor" / "bootstrap" / "bootstrap.min.css", STATIC / "css" / "app.css"]
AA = 4.5
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
S = RecoveryAction.Status


# --- The stylesheets ---------------------------------------------------------------------


def _declarations(body: str) -> list[tuple[str, str, bool]]:
    out = []
    for part in body.split(";"):
        if ":" not in part:
            continue
        name, value = part.split(":", 1)
        important = "!important" in value
        out.append((name.strip(), value.replace("!important", "").strip(), important))
    return out


def _rules() -> tuple[dict[str, str], dict[str, list[tuple[str, str, bool]]]]:
    """(root custom properties, class -> declarations) from rules on ``:root`` or a bare ``.class``."""
    root: dict[str, str] = {}
    classes: dict[str, list] = {}
    for sheet in SHEETS:
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)[^{}]*\}", "", css)  # screen-size variants
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
            for selector in (s.strip() for s in selectors.split(",")):
                if selector in (":root", "[data-bs-theme=light]"):
                    root.update({n: v for n, v, _ in _declarations(body) if n.startswith("--")})
                elif re.fullmatch(r"\.[\w-]+", selector):
                    classes.setdefault(selector[1:], []).extend(_declarations(body))
    return root, classes


ROOT, CLASSES = _rules()


def _resolve(value: str, props: dict[str, str], depth: int = 0) -> str:
    def one(m):
        name, _, fallback = m.group(1).partition(",")
        found = props.get(name.strip(), ROOT.get(name.strip()))
        return found if found is not None else fallback.strip()

    for _ in range(10):
        new = re.sub(r"var\(\s*(--[\w-]+\s*(?:,[^()]*)?)\)", one, value)
        if new == value:
            break
        value = new
    return value


def _colour(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    value = value.strip().lower()
    named = {"white": "#ffffff", "black": "#000000"}
    value = named.get(value, value)
    m = re.search(r"#([0-9a-f]{3,8})\b", value)
    if m:
        h = m.group(1)
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h)
        r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
        a = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
        return r, g, b, a
    m = re.search(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)", value)
    if m:
        r, g, b = (float(m.group(i)) for i in (1, 2, 3))
        return r, g, b, float(m.group(4)) if m.group(4) else 1.0
    return None  # transparent, inherit, none


def _over(fg, bg):
    a = fg[3]
    return tuple(fg[i] * a + bg[i] * (1 - a) for i in range(3)) + (1.0,)


def _luminance(c) -> float:
    def chan(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * chan(c[0]) + 0.7152 * chan(c[1]) + 0.0722 * chan(c[2])


def ratio(fg, bg) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _style(classes: list[str], inline: str) -> dict[str, str]:
    """The element's own declarations: stylesheet order, ``!important`` first, inline style last."""
    normal: dict[str, str] = {}
    important: dict[str, str] = {}
    for name in classes:
        for prop, value, imp in CLASSES.get(name, ()):
            (important if imp else normal)[prop] = value
    for prop, value, imp in _declarations(inline):
        (important if imp else normal)[prop] = value
    return {**normal, **important}


class _Page(HTMLParser):
    """Walks the page keeping each element's background (its own, else its parent's)."""

    WHITE = (255.0, 255.0, 255.0, 1.0)
    BODY = (33.0, 37.0, 41.0, 1.0)  # Bootstrap's body text

    def __init__(self):
        super().__init__()
        self.stack: list[dict] = []
        self.failures: list[str] = []
        self.in_main = False  # the page's own content (the navigation bar is checked by axe)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        props = _style(classes, attrs.get("style") or "")
        parent = self.stack[-1] if self.stack else {"bg": self.WHITE, "fg": self.BODY}
        bg_value = props.get("background-color") or props.get("background")
        bg = _colour(_resolve(bg_value, props)) if bg_value else None
        bg = _over(bg, parent["bg"]) if bg else parent["bg"]
        fg_value = props.get("color")
        fg = _colour(_resolve(fg_value, props)) if fg_value else None
        self.in_main = self.in_main or tag == "main"
        own = self.in_main and (fg is not None or bg_value is not None)
        node = {
            "tag": tag,
            "bg": bg,
            "fg": _over(fg, bg) if fg else parent["fg"],
            "own": own and tag not in ("svg", "html", "body"),
            "label": f'<{tag} class="{" ".join(classes)}">',
            "text": "",
        }
        if tag in VOID:
            return
        self.stack.append(node)

    def handle_data(self, data):
        if self.stack and data.strip():
            self.stack[-1]["text"] += data.strip() + " "

    def handle_endtag(self, tag):
        while self.stack:
            node = self.stack.pop()
            if node["own"] and node["text"].strip() and node["tag"] not in ("script", "style"):
                found = ratio(node["fg"], node["bg"])
                if found < AA:
                    self.failures.append(f"{node['label']} “{node['text'].strip()[:40]}”: {found:.2f}:1")
            if node["tag"] == tag:
                break


def contrast_failures(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    page.close()
    return page.failures


# --- The states --------------------------------------------------------------------------


def _action(world):
    """An action with every part its page can show: steps (one done), a measure with points,
    impact and activity evidence (one relabelled), a risk and a refusal in its history."""
    action = in_progress_action(world.service, risk_level="high", evidence_required=["audit", "observation"])
    StepFactory(action=action, done_on=timezone.localdate(), done_by=world.rm)
    StepFactory(action=action)
    measure = MeasureFactory(action=action)
    for days in (14, 7, 0):
        DataPointFactory(measure=measure, period_date=timezone.localdate() - datetime.timedelta(days=days))
    action.evidence.add(EvidenceFactory(service=world.service, refers_to=timezone.localdate()))
    action.evidence.add(
        EvidenceFactory(
            service=world.service,
            source_type="training_record",
            nature="impact",
            nature_override_reason="Each carer signed that they read the plan.",
            refers_to=timezone.localdate() - datetime.timedelta(days=60),
        )
    )
    action.risks.create(
        what_could_go_wrong="Agency staff miss the prompt",
        early_warning="Late escalations on agency shifts",
        who_acts="Deputy manager",
        how_they_act="Briefs each agency carer at handover",
    )
    ActionTransition.objects.create(
        action=action,
        from_status=S.CLOSURE_PROPOSED,
        to_status=S.REFUSED,
        actor=world.ni,
        reason="One week of data only.",
        further_checks="Four more weeks of sampling.",
    )
    return action


@pytest.mark.parametrize("status", S.values)
def test_the_action_page_meets_aa_contrast_in_every_state(world, client, status):
    action = _action(world)
    other = world.users["lead"]
    RecoveryAction.objects.filter(pk=action.pk).update(
        status=status,
        proposed_by=other if status == S.CLOSURE_PROPOSED else None,
        proposed_at=timezone.now() if status == S.CLOSURE_PROPOSED else None,
        closure_justification="Sampling continues weekly." if status == S.CLOSURE_PROPOSED else "",
        closed_at=timezone.now() if status == S.CLOSED else None,
        closed_by=world.ni if status == S.CLOSED else None,
    )
    failures = []
    for persona in ("rm", "ni"):
        client.force_login(world.users[persona])
        paths = [f"/actions/{action.pk}/"]
        if status == S.IN_PROGRESS and persona == "rm":
            paths.append(f"/actions/{action.pk}/propose-closure/")
        if status == S.CLOSURE_PROPOSED and persona == "ni":  # high risk: the NI decides
            paths += [f"/actions/{action.pk}/decide/", f"/closure-review/{action.pk}/"]
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            failures += [f"{persona} {path}: {f}" for f in contrast_failures(response.content.decode())]
    assert not failures, "Text below 4.5:1 against its background:\n" + "\n".join(failures)


def test_the_checker_catches_what_bootstrap_alone_would_fail():
    """Bootstrap's own outline warning colour (the old Reopen button) is 1.6:1 on white."""
    old = '<main><a class="btn btn-outline-warning" style="--bs-btn-color: #ffc107">Reopen</a></main>'
    assert contrast_failures(old)
    assert not contrast_failures('<main><a class="btn btn-outline-warning">Reopen</a></main>')
    assert contrast_failures('<main><span class="badge" style="background: #0dcaf0; color: #fff">Low</span></main>')
    assert not contrast_failures('<main><span class="badge status-in_progress">In progress</span></main>')
