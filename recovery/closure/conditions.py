"""An action's closure conditions and whether each is met: the one evaluation of the closure gate.

The conditions, defaulted from the action's risk and measures (``effective_conditions``):

- every step done, or marked not needed with a reason (may be switched off for an action);
- each linked measure at target for its required number of consecutive periods that end after
  work started (default: the measure's ``sustain_periods``, the seeds' "four consecutive weeks");
  an action with no measure has one unmet condition saying so;
- each evidence kind in ``evidence_required`` present as impact evidence dated on or after the
  start (with none required: some impact evidence dated since the start);
- for a high-risk action, the nominated individual's sign-off (met by their decision).

``evaluate`` works from rows already loaded (the action page, the proposal, the flag scan, the
evidence pack all call it); ``closure_checklist`` loads them for one action and
``closure_checklists`` for many, each in a fixed number of queries. Proposing closure with a
condition unmet needs a written justification (``recovery.closure.services``); the decider sees
the checklist, the justification, evidence marked as impact by hand and every change of the
conditions made after work started (``ActionTransition`` rows with ``snapshot["conditions"]``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from evidence.models import DEFAULT_NATURE, EvidenceItem, Nature, SourceType
from recovery.measures.measuring import periods_at_target_since
from recovery.models import ActionStep, ActionTransition, DataPoint, OutcomeMeasure, RecoveryAction


def _d(day: datetime.date | None) -> str:
    return f"{day:%-d %b %Y}" if day else "—"


def _fmt(value: float, unit: str) -> str:
    return f"{value:g}{unit}" if unit == "%" else f"{value:g} {unit}".strip()


def effective_conditions(action: RecoveryAction, measures: Iterable[OutcomeMeasure]) -> dict:
    """{"steps": bool, "periods": {measure id: int}, "evidence": [kinds], "ni": bool}."""
    stored = action.closure_conditions or {}
    periods = {int(pk): n for pk, n in stored.get("periods") or ()}  # [[measure id, periods], ...]
    return {
        "steps": bool(stored.get("steps", True)),
        "periods": {m.pk: int(periods.get(m.pk, m.sustain_periods) or 1) for m in measures},
        "evidence": [k for k in action.evidence_required if k in SourceType.values],
        "ni": action.is_high_risk,
    }


@dataclass
class Condition:
    key: str  # "steps", "measure:<id>", "measures", "evidence:<kind>", "impact", "ni"
    label: str
    met: bool
    facts: str
    at_decision: bool = False  # met by the decision itself (the NI's sign-off)

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, "met": self.met, "facts": self.facts}


@dataclass
class Relabelled:
    """Evidence whose source type shows activity, marked as impact by hand (with the reason)."""

    item: EvidenceItem
    default_label: str
    reason: str


@dataclass
class Checklist:
    action: RecoveryAction
    conditions: list[Condition]
    relabelled: list[Relabelled] = field(default_factory=list)
    edits: list[ActionTransition] = field(default_factory=list)  # condition changes after the start
    steps_waived: bool = False

    @property
    def unmet(self) -> list[Condition]:
        """Conditions not met that a proposal must justify (the NI's sign-off comes with the decision)."""
        return [c for c in self.conditions if not c.met and not c.at_decision]

    @property
    def met_count(self) -> int:
        return sum(1 for c in self.conditions if c.met)

    @property
    def all_met(self) -> bool:
        return not self.unmet

    def unmet_text(self) -> str:
        """The unmet conditions with their facts, in one line (messages and flags)."""
        return "; ".join(f"{c.label} ({c.facts.rstrip('.')})" for c in self.unmet)

    def as_json(self) -> dict:
        return {
            "conditions": [c.as_json() for c in self.conditions],
            "relabelled": [{"id": r.item.pk, "title": r.item.title, "reason": r.reason} for r in self.relabelled],
        }


def _steps_condition(steps: Sequence[ActionStep]) -> Condition:
    label = "Every step done (or marked not needed with a reason)"
    if not steps:
        return Condition("steps", label, True, "No steps were planned.")
    done = [s for s in steps if s.done_on is not None]
    skipped = [s for s in steps if s.done_on is None and s.not_needed]
    open_ = [s for s in steps if not s.settled]
    facts = f"{len(done)} of {len(steps)} done"
    if skipped:
        facts += f", {len(skipped)} not needed"
    if open_:
        facts += "; not done: " + ", ".join(f"step {s.order} ({s.who or 'no owner'})" for s in open_)
    return Condition("steps", label, not open_, facts + ".")


def _measure_condition(measure: OutcomeMeasure, points: Sequence[DataPoint], needed: int, started) -> Condition:
    unit = measure.unit
    target = ("at least " if measure.direction == OutcomeMeasure.Direction.HIGHER else "at most ") + _fmt(
        measure.target_value, unit
    )
    label = f"{measure.name}: {target} for {needed} consecutive period{'s' if needed != 1 else ''} after work started"
    if started is None:
        return Condition(f"measure:{measure.pk}", label, False, "Work has not started.")
    run = periods_at_target_since(measure, points, started)
    after = [p for p in points if p.period_date > started]
    if not after:
        facts = f"0 of {needed}: no value for a period ending after the start ({_d(started)})."
    else:
        latest = after[-1]
        facts = (
            f"{min(run, needed)} of {needed}: latest {_fmt(latest.value, unit)} for the period ending "
            f"{_d(latest.period_date)}; {len(after)} period{'s' if len(after) != 1 else ''} since the start."
        )
    return Condition(f"measure:{measure.pk}", label, run >= needed, facts)


def _impact_since(evidence: Sequence[EvidenceItem], started) -> list[EvidenceItem]:
    return [
        e
        for e in evidence
        if not e.is_removed and e.nature == Nature.IMPACT and (started is None or e.refers_to >= started)
    ]


def _evidence_condition(kind: str, evidence: Sequence[EvidenceItem], started) -> Condition:
    label = f"{SourceType(kind).label} as impact evidence dated since work started"
    mine = [e for e in evidence if e.source_type == kind and not e.is_removed]
    good = _impact_since(mine, started) if started else []
    if good:
        facts = ", ".join(f"{e.title} ({_d(e.refers_to)})" for e in good)
        return Condition(f"evidence:{kind}", label, True, facts + ".")
    if started is None:
        facts = "Work has not started."
    elif not mine:
        facts = "None linked."
    elif all(e.nature != Nature.IMPACT for e in mine):
        facts = f"{len(mine)} linked, recorded as activity only."
    else:
        facts = f"Linked, but dated before work started ({_d(started)})."
    return Condition(f"evidence:{kind}", label, False, facts)


def evaluate(
    action: RecoveryAction,
    *,
    steps: Sequence[ActionStep],
    evidence: Sequence[EvidenceItem],
    measures: Sequence[tuple[OutcomeMeasure, Sequence[DataPoint]]],
    transitions: Sequence[ActionTransition] = (),
) -> Checklist:
    """The checklist of ``action`` from loaded rows (points oldest first). A closed action is
    judged as it stood when it closed: points for later periods do not count."""
    started = action.started_on
    if action.status == RecoveryAction.Status.CLOSED and action.closed_at:
        closed_on = timezone.localdate(action.closed_at)
        measures = [(m, [p for p in points if p.period_date <= closed_on]) for m, points in measures]
    wanted = effective_conditions(action, [m for m, _ in measures])
    conditions: list[Condition] = []
    if wanted["steps"]:
        conditions.append(_steps_condition(steps))
    for measure, points in measures:
        conditions.append(_measure_condition(measure, points, wanted["periods"][measure.pk], started))
    if not measures:
        conditions.append(
            Condition("measures", "An outcome measure shows the outcome", False, "This action has no outcome measure.")
        )
    for kind in wanted["evidence"]:
        conditions.append(_evidence_condition(kind, evidence, started))
    if not wanted["evidence"]:
        good = _impact_since(evidence, started) if started else []
        conditions.append(
            Condition(
                "impact",
                "Impact evidence dated since work started",
                bool(good),
                ", ".join(f"{e.title} ({_d(e.refers_to)})" for e in good) + "."
                if good
                else "None linked since the start.",
            )
        )
    if wanted["ni"]:
        closed = action.status == RecoveryAction.Status.CLOSED
        conditions.append(
            Condition(
                "ni",
                "Signed off by the nominated individual (high risk)",
                closed,
                "Closed by the decision." if closed else "Given by their decision: only they can approve this closure.",
                at_decision=True,
            )
        )
    relabelled = [
        Relabelled(e, SourceType(e.source_type).label, e.nature_override_reason)
        for e in evidence
        if not e.is_removed
        and e.nature == Nature.IMPACT
        and DEFAULT_NATURE.get(e.source_type, Nature.ACTIVITY) == Nature.ACTIVITY
    ]
    edits = [t for t in transitions if "conditions" in (t.snapshot or {})]
    return Checklist(action, conditions, relabelled, edits, steps_waived=not wanted["steps"])


def closure_checklist(action: RecoveryAction) -> Checklist:
    """``evaluate`` for one action, loading what it reads (four queries)."""
    return closure_checklists([action])[action.pk]


def closure_checklists(actions: Sequence[RecoveryAction]) -> dict[int, Checklist]:
    """``evaluate`` for many actions in four queries (steps, evidence, measures with points, edits)."""
    ids = [a.pk for a in actions]
    steps: dict[int, list[ActionStep]] = defaultdict(list)
    for step in ActionStep.objects.filter(action_id__in=ids).select_related("owner").order_by("order", "pk"):
        steps[step.action_id].append(step)
    evidence: dict[int, list[EvidenceItem]] = defaultdict(list)
    links = RecoveryAction.evidence.through.objects.filter(recoveryaction_id__in=ids).select_related("evidenceitem")
    for link in links.order_by("evidenceitem__refers_to", "evidenceitem_id"):
        evidence[link.recoveryaction_id].append(link.evidenceitem)
    measures: dict[int, list[tuple[OutcomeMeasure, list[DataPoint]]]] = defaultdict(list)
    points = Prefetch("points", queryset=DataPoint.objects.order_by("period_date", "pk"))
    for measure in OutcomeMeasure.objects.filter(action_id__in=ids).prefetch_related(points).order_by("pk"):
        measures[measure.action_id].append((measure, list(measure.points.all())))
    edits: dict[int, list[ActionTransition]] = defaultdict(list)
    for t in ActionTransition.objects.filter(action_id__in=ids, snapshot__has_key="conditions").select_related("actor"):
        edits[t.action_id].append(t)
    return {
        a.pk: evaluate(a, steps=steps[a.pk], evidence=evidence[a.pk], measures=measures[a.pk], transitions=edits[a.pk])
        for a in actions
    }
