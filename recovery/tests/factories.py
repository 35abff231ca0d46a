import datetime

import factory
from django.utils import timezone

from core.tests.factories import ServiceFactory, UserFactory
from recovery.measures.services import measure_refresh_summary
from recovery.models import ActionStep, DataPoint, FailureTheme, OutcomeMeasure, RecoveryAction, ReviewLayer
from recovery.reviewing.services import anchor_of, layers_create_default


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FailureTheme
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider)
    title = factory.Sequence(lambda n: f"Theme {n}")
    weakness_found = "Staff noticed changes but escalated late."
    source = FailureTheme.Source.INSPECTION
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def layers(obj, create, extracted, **kwargs):
        _route(obj, create, extracted)


def _route(obj, create, extracted) -> None:
    """The subject's review route: the default from its risk (as the create services make it),
    none with ``layers=False``, or ``layers=[(role, cadence), ...]``."""
    if not create or extracted is False:
        return
    if extracted is None:
        layers_create_default(subject=obj)
        return
    kind = {"action": obj} if isinstance(obj, RecoveryAction) else {"theme": obj}
    anchor = anchor_of(obj)
    for order, (role, cadence) in enumerate(extracted, start=1):
        layer = ReviewLayer(
            provider_id=obj.provider_id,
            service_id=obj.service_id,
            reviewer_role=role,
            cadence=cadence,
            order=order,
            **kind,
        )
        layer.next_due = layer.due_after(anchor) if anchor else None
        layer.save()


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecoveryAction
        skip_postgeneration_save = True

    theme = factory.SubFactory(ThemeFactory)
    provider = factory.LazyAttribute(lambda o: o.theme.provider)
    service = factory.LazyAttribute(lambda o: o.theme.service)
    title = factory.Sequence(lambda n: f"Action {n}")
    baseline_issue = "Escalation of deterioration is late in sampled records."
    intended_outcome = "People whose health changes are seen by a clinician promptly."
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=60))

    @factory.post_generation
    def layers(obj, create, extracted, **kwargs):
        _route(obj, create, extracted)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionStep

    action = factory.SubFactory(ActionFactory)
    order = factory.Sequence(lambda n: n + 1)
    role = "Senior carer"
    what = "Check daily notes for changes and escalate."
    recorded_where = "Senior oversight log"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeMeasure

    action = factory.SubFactory(ActionFactory)
    provider = factory.LazyAttribute(lambda o: o.action.provider)
    service = factory.LazyAttribute(lambda o: o.action.service)
    name = factory.Sequence(lambda n: f"Measure {n}")
    kind = OutcomeMeasure.Kind.PERCENTAGE
    direction = OutcomeMeasure.Direction.HIGHER
    unit = "%"
    baseline_value = 60.0
    baseline_date = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=70))
    target_value = 95.0
    target_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        measure = super()._create(model_class, *args, **kwargs)
        measure_refresh_summary(measure)  # as measure_create does
        return measure


class DataPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataPoint

    measure = factory.SubFactory(MeasureFactory)
    period_date = factory.LazyFunction(datetime.date.today)
    numerator = 8
    denominator = 10
    value = factory.LazyAttribute(lambda o: 100.0 * o.numerator / o.denominator if o.denominator else 0)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        point = super()._create(model_class, *args, **kwargs)
        measure_refresh_summary(point.measure)  # as point_record does
        return point


def in_progress_action(service, *, days_ago: int = 30, **fields) -> RecoveryAction:
    """An action at ``service`` whose work started ``days_ago`` days ago (no transitions recorded)."""
    started = timezone.localdate() - datetime.timedelta(days=days_ago)
    fields.setdefault("theme", ThemeFactory(service=service))
    return ActionFactory(status=RecoveryAction.Status.IN_PROGRESS, started_on=started, **fields)


def proposed_action(service, *, proposer, risk_level: str = "medium", **fields) -> RecoveryAction:
    """An action at ``service`` with closure proposed by ``proposer``, with dated impact evidence."""
    from evidence.tests.factories import EvidenceFactory

    action = in_progress_action(service, risk_level=risk_level, **fields)
    action.evidence.add(EvidenceFactory(service=service, refers_to=timezone.localdate() - datetime.timedelta(days=2)))
    RecoveryAction.objects.filter(pk=action.pk).update(
        status=RecoveryAction.Status.CLOSURE_PROPOSED,
        proposed_by=proposer,
        proposed_at=timezone.now(),
        closure_note="Sampled records show prompt escalation for six weeks.",
        closure_justification="",
    )
    action.refresh_from_db()
    return action
