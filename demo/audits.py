"""Demo audits for Oakfield: six templates and ten weeks of submitted audits per service.

``seed(world, plans)``: ``world`` is demo.world.DemoWorld; ``plans`` is what demo.stories.seed
returns (an object with ``measures: dict[str, OutcomeMeasure]``), or None. Idempotent: templates
are found by title, and a template's audits at a service are only created when it has none there yet.

Trends are fixed by a seeded random generator so every run builds the same data:
- Oakfield House escalation audits climb from about 60% to about 90% on the escalation
  criteria (they feed plans.measures["escalation"]);
- Oakfield House care-plan alignment drifts down (feeds ["care-plan-alignment"]);
- a few audits found gaps but raised no owned actions or impact check: they show as
  "not effective", the warning the quality lead looks for;
- last week's staffing variance review at Oakfield House was never done: it shows overdue.
Audits are started, filled in and submitted through the audit services (evidence items and
data points included). Historical actions arising are recorded against existing recovery
actions without adding steps to them (direct.record_historical_arising), and each audit is
dated as submitted at the end of its period (direct.backdate).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from audits.models import Audit, AuditTemplate, Criterion, MeasureFeed
from audits.periods import period_bounds, period_label
from audits.services import (
    CriterionInput,
    RecordInput,
    audit_save_draft,
    audit_start,
    audit_submit,
    feed_create,
    template_create,
)
from core.models import FrameworkItem, FrameworkVersion
from recovery.models import FailureTheme, RecoveryAction

from . import direct

A = AuditTemplate.Area
WEEKS = 10


@dataclass(frozen=True)
class TemplateSeed:
    slug: str
    title: str
    area: str
    frequency: str
    items: tuple[str, ...]
    criteria: tuple[tuple[str, str], ...]  # (wording, guidance): yes/no criteria
    # Criteria answered as a time within a limit: (wording, guidance, limit in minutes).
    timed: tuple[tuple[str, str, int], ...] = ()


TEMPLATES = [
    TemplateSeed(
        "escalation",
        "Deterioration and escalation record sample",
        A.DETERIORATION,
        "weekly",
        ("S2", "S4", "E5"),
        (
            ("A change in condition is written in the daily notes", "Mobility, appetite, mood, skin, continence."),
            ("The change was escalated to the senior on shift within the required time", "Within the shift."),
            ("A clinician was contacted where the escalation tool says so", "GP, 111, district nurse."),
            ("The reason for not escalating is written down", "N/A when the concern was escalated."),
            ("Family or representative told, where the person agreed", ""),
            ("Follow-up observations recorded at the interval set", ""),
        ),
        # Worked example 1 (missed escalation): the time from the change being noted to its
        # escalation, read from the daily notes and the escalation log.
        timed=(
            (
                "Escalated within 4 hours of the change being noted",
                "Type the time taken, or the time noted and the time escalated (14:05-17:30).",
                240,
            ),
        ),
    ),
    TemplateSeed(
        "care-plan",
        "Care plan alignment check",
        A.CARE_PLANNING,
        "weekly",
        ("R1", "E1"),
        (
            ("The care plan was reviewed in the last month", ""),
            ("Daily records show the support the plan describes", "Compare three days of notes."),
            ("Observed support matches the plan", "A short observation on shift."),
            ("The person's or family's feedback is reflected in the plan", ""),
            ("Risk assessments match the current plan", ""),
        ),
    ),
    TemplateSeed(
        "medicines",
        "Medicines and MAR chart audit",
        A.MEDICINES,
        "weekly",
        ("S8",),
        (
            ("Every administration signed for on the MAR", "No gaps in the last seven days."),
            ("Stock count matches the MAR", "Count two boxed items."),
            ("PRN use has a recorded reason and outcome", ""),
            ("Allergies recorded on the MAR front sheet", ""),
            ("Handwritten entries double-signed", "N/A when none."),
            ("Controlled drugs register matches stock", "N/A when not prescribed."),
        ),
    ),
    TemplateSeed(
        "complaints",
        "Complaint learning in care records",
        A.COMPLAINTS,
        "monthly",
        ("R4", "W7"),
        (
            ("The learning from the complaint is written in the care plan", ""),
            ("Staff can describe the change when asked", ""),
            ("Contact with relatives is logged as agreed", ""),
            ("The complainant was told what changed", ""),
            ("No repeat of the same concern since", ""),
        ),
    ),
    TemplateSeed(
        "closure",
        "Closure evidence sample",
        A.RECORDS,
        "weekly",
        ("W5",),
        (
            ("The closure cites impact evidence, not only activity", "Training alone is activity."),
            ("The evidence is dated after the action began", ""),
            ("The linked measure met its target", "N/A when no measure."),
            ("High-risk closures were signed off by the NI", "N/A when not high risk."),
            ("A re-audit date is set", ""),
        ),
    ),
    TemplateSeed(
        "staffing",
        "Staffing variance review",
        A.STAFFING,
        "weekly",
        ("S6",),
        (
            ("Planned staffing met on every shift", ""),
            ("Each uncovered shift has a risk assessment", "N/A when none."),
            ("Agency staff had an induction recorded", "N/A when no agency."),
            ("Exceptions were reviewed by the registered manager", ""),
            ("Sickness cover arranged within four hours", ""),
        ),
    ),
]

# service slug -> the templates used there, and who logs audits there.
PLAN = {
    "oakfield-house": ["escalation", "care-plan", "staffing", "complaints"],
    "meadowbank-nursing": ["medicines", "escalation"],
    "oakfield-home-support": ["closure", "care-plan"],
}
AUDITORS = {
    "oakfield-house": "rm@oakfield.example",
    "meadowbank-nursing": "rm.meadowbank@oakfield.example",
    "oakfield-home-support": "rm.homesupport@oakfield.example",
}
# (service, template, weeks ago) audits that found gaps but did nothing with them.
INEFFECTIVE = {
    ("meadowbank-nursing", "medicines", 7),
    ("meadowbank-nursing", "medicines", 3),
    ("oakfield-house", "staffing", 6),
    ("oakfield-home-support", "closure", 5),
}
SKIPPED = {("oakfield-house", "staffing", 1)}  # left undone: overdue on the schedule


def _rate(service: str, template: str, index: int, criterion: int, rng: random.Random) -> float:
    """Chance of "yes" for one criterion in the audit ``index`` (0 = oldest of WEEKS)."""
    progress = index / max(WEEKS - 1, 1)
    noise = rng.uniform(-0.04, 0.04)
    if template == "escalation" and criterion in (1, 2):
        start, end = (0.60, 0.90) if service == "oakfield-house" else (0.75, 0.85)
        return start + (end - start) * progress + noise
    if template == "care-plan" and service == "oakfield-house":
        return 0.88 - 0.20 * progress + noise  # drifting back after the inspection
    return 0.86 + noise


def _answers(seed: TemplateSeed, keys, service, index, rng) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = [{} for _ in range(10)]
    for c, key in enumerate(keys):
        na = rng.choice([0, 0, 1, 2]) if seed.criteria[c][1].startswith("N/A") else 0
        order = list(range(10))
        rng.shuffle(order)
        answered = 10 - na
        yes = max(0, min(answered, round(_rate(service, seed.slug, index, c, rng) * answered)))
        for pos, r in enumerate(order):
            rows[r][key] = "na" if pos < na else ("yes" if pos < na + yes else "no")
    return rows


def _times(seed: TemplateSeed, criteria, service, index, rows) -> None:
    """Minutes taken for each timed criterion, within the limit about as often as the yes/no
    escalation criteria are met. A generator of its own, so the other answers stay as they were."""
    rng = random.Random(f"{service}/{seed.slug}/{index}/times")
    for c in criteria[len(seed.criteria) :]:
        rate = _rate(service, seed.slug, index, 1, rng)
        for row in rows:
            limit = c.limit_minutes
            within = rng.random() < rate
            row[c.key] = str(rng.randint(15, limit) if within else rng.randint(limit + 10, limit * 3))


def _findings(seed: TemplateSeed, criteria, rows, refs, effective: bool) -> str:
    if not effective:
        return "Some gaps noted."
    lines = []
    for c in criteria:
        missing = [refs[r] for r, row in enumerate(rows) if c.rule.outcome(row.get(c.key, "")) == "no"]
        if missing:
            lines.append(f"{c.text}: not met in {', '.join(missing)}.")
    return "\n".join(lines) or "All sampled records met every criterion."


def _framework(codes) -> list[FrameworkItem]:
    return list(
        FrameworkItem.objects.filter(version__status=FrameworkVersion.Status.CURRENT, code__in=codes).order_by("code")
    )


def _templates(world) -> dict[str, AuditTemplate]:
    quality = world.user("quality")
    out = {}
    for seed in TEMPLATES:
        template = AuditTemplate.objects.filter(provider=world.provider, title=seed.title).first()
        if template is None:
            services = [world.services[s] for s, slugs in PLAN.items() if seed.slug in slugs and s in world.services]
            template = template_create(
                actor=quality,
                provider=world.provider,
                title=seed.title,
                area=seed.area,
                frequency=seed.frequency,
                default_sample_size=10,
                criteria=[CriterionInput(text=t, guidance=g) for t, g in seed.criteria]
                + [
                    CriterionInput(text=t, guidance=g, kind=Criterion.Kind.TIME, limit_minutes=limit)
                    for t, g, limit in seed.timed
                ],
                framework_items=_framework(seed.items),
                services=services,
            )
            direct.backdate(template, created_at=timezone.now() - datetime.timedelta(weeks=WEEKS + 2))
        out[seed.slug] = template
    return out


# recovery story key -> the template whose audits feed its measure, and the criteria counted
# (by position; None: all of them).
FEEDS = {"escalation": ("escalation", slice(1, 3)), "care-plan-alignment": ("care-plan", None)}


def _feeds(world, templates, plans) -> None:
    measures = getattr(plans, "measures", None) or {}
    for name, (template_slug, criteria) in FEEDS.items():
        measure, template = measures.get(name), templates[template_slug]
        if measure is None or MeasureFeed.objects.filter(measure=measure).exists():
            continue
        keys = [c.key for c in template.current_version().criteria.all()][criteria] if criteria else []
        feed_create(actor=world.user("quality"), template=template, measure=measure, criterion_keys=keys)


def _weeks(template: AuditTemplate):
    return [13, 9, 4] if template.frequency == "monthly" else range(WEEKS, 0, -1)


def _audits(world, service, template, seed: TemplateSeed, today: datetime.date) -> None:
    """Log and submit the past audits of one template at one service, answers drawn from a seeded rng."""
    auditor = world.user(AUDITORS[service.slug])
    owner = world.user("deputy") if service.slug == "oakfield-house" else auditor
    action = RecoveryAction.objects.filter(service=service).order_by("pk").first()
    theme = FailureTheme.objects.filter(service=service).order_by("pk").first()
    rng = random.Random(f"{service.slug}/{seed.slug}")
    criteria = list(template.current_version().criteria.all())
    keys = [c.key for c in criteria][: len(seed.criteria)]
    seen_periods = set()
    for index, weeks_ago in enumerate(_weeks(template)):
        start, end = period_bounds(template.frequency, today - datetime.timedelta(weeks=weeks_ago))
        if end >= today or (service.slug, seed.slug, weeks_ago) in SKIPPED or start in seen_periods:
            continue
        seen_periods.add(start)
        rows = _answers(seed, keys, service.slug, index, rng)
        refs = [f"R-{n}" for n in rng.sample(range(1001, 1100), 10)]
        _times(seed, criteria, service.slug, index, rows)
        effective = (service.slug, seed.slug, weeks_ago) not in INEFFECTIVE
        followed_up = effective and any(c.rule.outcome(row.get(c.key, "")) == "no" for row in rows for c in criteria)
        audit = audit_start(actor=auditor, template=template, service=service, on=start)
        audit = audit_save_draft(
            actor=auditor,
            audit=audit,
            records=[RecordInput(ref=ref, answers=answers) for ref, answers in zip(refs, rows, strict=True)],
            findings=_findings(seed, criteria, rows, refs, effective),
            impact_check_date=end + datetime.timedelta(weeks=4) if followed_up else None,
        )
        if followed_up:
            direct.record_historical_arising(
                audit,
                description=f"Go through the gaps in {period_label(template.frequency, start, end).lower()} "
                "with the staff involved and re-check those records.",
                owner=owner,
                due_date=end + datetime.timedelta(days=14),
                action=action,
                theme=theme,
            )
        audit_submit(actor=auditor, audit=audit)
        submitted = timezone.make_aware(datetime.datetime.combine(end, datetime.time(16, 30)))
        direct.backdate(audit, submitted_at=submitted)


def seed(world, plans=None) -> dict[str, AuditTemplate]:
    today = timezone.localdate()
    templates = _templates(world)
    _feeds(world, templates, plans)
    by_slug = {s.slug: s for s in TEMPLATES}
    for service_slug, template_slugs in PLAN.items():
        service = world.services[service_slug]
        for template_slug in template_slugs:
            template = templates[template_slug]
            if not Audit.objects.filter(service=service, template_version__template=template).exists():
                _audits(world, service, template, by_slug[template_slug], today)
    return templates
