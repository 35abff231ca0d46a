"""The recovery-story builder: one table row (a ``Story``) becomes a theme, its learning, an
action with steps, a measure, evidence and a closure history, all through the services.

Dates in a story are ``Day`` values: an int is days after the story's start (``Story.start``
weeks before today), ``Ago(n)`` is n days before today, ``INSPECTED`` the service's last
inspection. Idempotent: a theme already at its service (by title) is returned as it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from core.models import FrameworkItem, Role
from evidence.services import evidence_create
from recovery.closure import services as closure
from recovery.learning.services import learning_share, learning_share_respond
from recovery.measures.services import measure_create, point_correct, point_record
from recovery.models import FailureTheme, OutcomeMeasure, RecoveryAction, ReviewOutcome
from recovery.plan.services import (
    action_create,
    action_evidence_link,
    learning_add,
    learning_review,
    risk_add,
    step_add,
    step_complete,
    theme_create,
    theme_move,
)
from recovery.reviewing.services import layer_add, review_record

from . import direct


@dataclass(frozen=True)
class Ago:
    days: int


def weeks_ago(weeks: int) -> Ago:
    return Ago(7 * weeks)


INSPECTED = "inspected"
Day = int | Ago | str


@dataclass(frozen=True)
class Step:
    role: str
    what: str
    where: str
    done: Day | None = None
    owner: str | None = None  # a named person (a demo user), beside or instead of the role
    frequency: str = ""  # recovery.plan.models.StepFrequency


@dataclass(frozen=True)
class Risk:
    """What could go wrong with the action, the early warnings, and who acts and how."""

    what: str
    early_warning: str
    who: str
    how: str


@dataclass(frozen=True)
class Measure:
    name: str
    kind: str
    direction: str
    unit: str
    baseline: float
    target: float
    target_on: Day
    cadence: str = "weekly"
    sustain_periods: int | None = None
    limits_from_first: int | None = None


@dataclass(frozen=True)
class Points:
    """Data points ``every`` days from the start, the first at ``first * every``; tuples are (num, den)."""

    values: tuple
    every: int = 7
    first: int = 1


@dataclass(frozen=True)
class Evidence:
    by: str
    title: str
    source_type: str
    on: Day
    recorded_in: str
    description: str
    nature: str | None = None
    nature_reason: str = ""


@dataclass(frozen=True)
class Propose:
    by: str
    note: str
    on: Day
    hour: int
    justification: str = ""


@dataclass(frozen=True)
class Decide:
    """The decision on a proposed closure: approved, or refused with the further checks needed."""

    by: str
    rationale: str
    on: Day
    hour: int
    further_checks: str = ""  # set: a refusal

    @property
    def refused(self) -> bool:
        return bool(self.further_checks)


@dataclass(frozen=True)
class MoveTheme:
    """A theme moved on by its named transition (``ThemeMove``), with the reason recorded."""

    by: str
    move: str
    reason: str
    on: Day
    hour: int


@dataclass(frozen=True)
class Correct:
    """A recorded value corrected, with its reason: the ``index``-th point of the story's measure."""

    by: str
    index: int
    numerator: float
    denominator: float
    reason: str


@dataclass(frozen=True)
class ShareLearning:
    """The theme's learning shared with a sibling service, which answers whether it applies."""

    by: str
    to: str  # service slug
    note: str
    answered_by: str
    applies: bool
    what_changed: str


@dataclass(frozen=True)
class ImportedClosure:
    """Closed outside the closure services: see ``direct.close_as_imported``."""

    by: str
    on: Day
    hour: int
    reason: str
    note: str


@dataclass(frozen=True)
class Reviewed:
    """A past review on a layer (recorded through ``review_record``), outside a meeting."""

    by: str
    on: Day
    outcome: str
    looked_at: str


@dataclass(frozen=True)
class Layer:
    """One layer of a review route: who reviews (a role), how often, and the reviews so far."""

    role: str
    cadence: str
    reviews: tuple[Reviewed, ...] = ()


@dataclass(frozen=True)
class Story:
    key: str
    service: str  # slug
    start: int  # weeks before today
    theme_by: str  # creates the theme and its learning
    action_by: str  # creates, opens and plans the action, records its measure
    theme: dict  # theme_create fields; "owner" is a person, dates are Days, "{service}" is filled in
    action: dict  # action_create fields; "owner" a person, "due_date" a Day, "{target}" the measure's target date
    learning: dict | None = None
    learning_note: str = ""  # set: the NI reviewed the learning
    opened_at: tuple[int, int] = (9, 11)  # hours the action was opened and started, on the start day
    theme_reviewed: Ago | None = None  # the first layer of the theme's route was last reviewed then
    action_reviewed: Ago | None = None
    # The action's review route; empty: the action's "review_role"/"review_cadence" as one layer,
    # or the default route from its risk when it names neither.
    action_route: tuple[Layer, ...] = ()
    steps: tuple[Step, ...] = ()
    risks: tuple[Risk, ...] = ()
    measure: Measure | None = None
    # Points, Evidence, Correct, Propose, Decide, MoveTheme, ShareLearning, ImportedClosure, in order
    events: tuple = field(default=())


@dataclass
class Built:
    themes: dict[str, FailureTheme] = field(default_factory=dict)
    actions: dict[str, RecoveryAction] = field(default_factory=dict)
    measures: dict[str, OutcomeMeasure] = field(default_factory=dict)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class _Dates:
    def __init__(self, story: Story, service, today: datetime.date):
        self.today, self.service = today, service
        self.start = today - datetime.timedelta(weeks=story.start)

    def __call__(self, day: Day | None) -> datetime.date | None:
        if day is None:
            return None
        if isinstance(day, Ago):
            return self.today - datetime.timedelta(days=day.days)
        if day == INSPECTED:
            return self.service.last_inspection_date
        return self.start + datetime.timedelta(days=day)


def _fields(raw: dict, world, on: _Dates, **names) -> dict:
    out = {}
    for key, value in raw.items():
        if key == "owner":
            value = world.user(value)
        elif key in ("source_date", "due_date"):
            value = on(value)
        elif isinstance(value, str):
            value = value.format(**names)  # "{service}", "{target}": no other braces in the stories
        out[key] = value
    return out


def _set_route(by, subject, route: tuple[Layer, ...]) -> None:
    """Replace a new subject's default route (no reviews yet) with the story's layers."""
    subject.review_layers.all().delete()
    for row in route:
        layer_add(actor=by, subject=subject, cadence=row.cadence, reviewer_role=row.role)


def _review_first_layer(by, subject, day: datetime.date) -> None:
    """The story says when the subject was last reviewed: a review of its first layer on that day."""
    layer = subject.review_layers.order_by("order", "pk").first()
    review_record(
        actor=by,
        layer=layer,
        reviewed_on=day,
        outcome=ReviewOutcome.ASSURED,
        looked_at="Progress against the plan and the latest evidence.",
    )


def _theme(story: Story, world, service, on: _Dates) -> FailureTheme:
    fields = _fields(story.theme, world, on, service=service.name)
    codes = fields.pop("framework_items", ())
    items = list(FrameworkItem.objects.filter(version__code="saf-2023", code__in=codes)) if codes else ()
    by = world.user(story.theme_by)
    cadence = fields.pop("review_cadence", None)
    theme = theme_create(actor=by, provider=world.provider, service=service, framework_items=items, **fields)
    if cadence:
        _set_route(by, theme, (Layer(Role.REGISTERED_MANAGER, cadence),))
    if story.theme_reviewed:
        _review_first_layer(by, theme, on(story.theme_reviewed))
    if story.learning:
        learning = learning_add(actor=by, theme=theme, **story.learning)
        if story.learning_note:
            learning_review(actor=world.user("ni"), learning=learning, note=story.learning_note)
    return theme


def _action(story: Story, world, theme, on: _Dates) -> RecoveryAction:
    by = world.user(story.action_by)
    target = on(story.measure.target_on) if story.measure else None
    fields = _fields(story.action, world, on, target=target)
    role, cadence = fields.pop("review_role", None), fields.pop("review_cadence", None)
    action = action_create(actor=by, theme=theme, **fields)
    if story.action_route:
        _set_route(by, action, story.action_route)
    elif cadence:
        _set_route(by, action, (Layer(role or Role.REGISTERED_MANAGER, cadence),))
    opened, started = story.opened_at
    closure.action_open(actor=by, action=action, at=_at(on.start, opened))
    closure.action_start(actor=by, action=action, at=_at(on.start, started))
    for layer, row in zip(action.review_layers.order_by("order", "pk"), story.action_route, strict=False):
        for done in row.reviews:
            review_record(
                actor=world.user(done.by),
                layer=layer,
                reviewed_on=on(done.on),
                outcome=done.outcome,
                looked_at=done.looked_at,
            )
    if story.action_reviewed:
        _review_first_layer(by, action, on(story.action_reviewed))
    for row in story.steps:
        step = step_add(
            actor=by,
            action=action,
            role=row.role,
            owner=world.user(row.owner) if row.owner else None,
            frequency=row.frequency,
            what=row.what,
            recorded_where=row.where,
        )
        if row.done is not None:
            step_complete(actor=by, step=step, done_on=on(row.done))
    for risk in story.risks:
        risk_add(
            actor=by,
            action=action,
            what_could_go_wrong=risk.what,
            early_warning=risk.early_warning,
            who_acts=risk.who,
            how_they_act=risk.how,
        )
    return action


def _measure(m: Measure, by, action, on: _Dates) -> OutcomeMeasure:
    optional = {"sustain_periods": m.sustain_periods, "limits_from_first": m.limits_from_first}
    return measure_create(
        actor=by,
        action=action,
        name=m.name,
        kind=m.kind,
        direction=m.direction,
        unit=m.unit,
        baseline_value=m.baseline,
        baseline_date=on.start,
        target_value=m.target,
        target_date=on(m.target_on),
        cadence=m.cadence,
        **{k: v for k, v in optional.items() if v is not None},
    )


def _points(p: Points, by, measure, on: _Dates) -> None:
    for i, value in enumerate(p.values, start=p.first):
        day = on.start + datetime.timedelta(days=p.every * i)
        pair = dict(numerator=value[0], denominator=value[1]) if isinstance(value, tuple) else dict(value=value)
        point_record(actor=by, measure=measure, period_date=day, **pair)


def _evidence(e: Evidence, world, service, action, on: _Dates) -> None:
    by = world.user(e.by)
    extra = {"nature": e.nature, "nature_override_reason": e.nature_reason} if e.nature else {}
    item = evidence_create(
        actor=by,
        provider=world.provider,
        service=service,
        title=e.title,
        refers_to=on(e.on),
        source_type=e.source_type,
        recorded_in=e.recorded_in,
        description=e.description,
        **extra,
    )
    action_evidence_link(actor=by, action=action, item=item)


def _event(event, story: Story, world, service, theme, action, measure, on: _Dates) -> None:
    # Data points are recorded by whoever runs the action; everything else names its person.
    by = world.user(story.action_by if isinstance(event, Points) else event.by)
    if isinstance(event, Points):
        _points(event, by, measure, on)
    elif isinstance(event, Evidence):
        _evidence(event, world, service, action, on)
    elif isinstance(event, Propose):
        at = _at(on(event.on), event.hour)
        closure.action_propose_closure(
            actor=by, action=action, note=event.note, justification=event.justification, at=at
        )
    elif isinstance(event, Decide) and event.refused:
        at = _at(on(event.on), event.hour)
        closure.action_decide_closure(
            actor=by,
            action=action,
            decision="refuse",
            rationale=event.rationale,
            further_checks=event.further_checks,
            at=at,
        )
    elif isinstance(event, Decide):
        closure.action_decide_closure(
            actor=by, action=action, decision="approve", rationale=event.rationale, at=_at(on(event.on), event.hour)
        )
    elif isinstance(event, MoveTheme):
        theme_move(actor=by, theme=theme, move=event.move, reason=event.reason, at=_at(on(event.on), event.hour))
    elif isinstance(event, Correct):
        point = measure.points.order_by("period_date", "pk")[event.index]
        point_correct(
            actor=by,
            point=point,
            reason=event.reason,
            numerator=event.numerator,
            denominator=event.denominator,
            note=point.note,
        )
    elif isinstance(event, ShareLearning):
        learning = theme.learning.order_by("pk").first()
        (share,) = learning_share(
            actor=by, learning=learning, services=[world.services[event.to]], note=event.note
        ) or learning.shares.filter(service=world.services[event.to])
        learning_share_respond(
            actor=world.user(event.answered_by), share=share, applies=event.applies, what_changed=event.what_changed
        )
    elif isinstance(event, ImportedClosure):
        direct.close_as_imported(action, by=by, at=_at(on(event.on), event.hour), reason=event.reason, note=event.note)
    else:
        raise TypeError(f"Unknown story event: {event!r}")


def build_story(story: Story, world, today: datetime.date):
    """Build one story (or find it). Returns (theme, its first action, that action's first measure)."""
    service = world.services[story.service]
    existing = FailureTheme.objects.filter(service=service, title=story.theme["title"]).first()
    if existing is not None:
        action = existing.actions.order_by("pk").first()
        return existing, action, action.measures.order_by("pk").first() if action else None
    on = _Dates(story, service, today)
    theme = _theme(story, world, service, on)
    action = _action(story, world, theme, on)
    measure = _measure(story.measure, world.user(story.action_by), action, on) if story.measure else None
    for event in story.events:
        _event(event, story, world, service, theme, action, measure, on)
    return theme, action, measure


def build(world, stories, *, today: datetime.date | None = None) -> Built:
    today = today or timezone.localdate()
    built = Built()
    for story in stories:
        theme, action, measure = build_story(story, world, today)
        built.themes[story.key], built.actions[story.key] = theme, action
        if measure is not None:
            built.measures[story.key] = measure
    return built
