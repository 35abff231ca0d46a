"""Factories for flags."""

import factory

from core.tests.factories import ServiceFactory, UserFactory
from governance.models import Flag, FlagTrigger
from recovery.tests.factories import MeasureFactory


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider)
    kind = Flag.Kind.OVERDUE_ACTION
    subject_type = "action"
    subject_id = factory.Sequence(lambda n: 100000 + n)
    subject_label = factory.Sequence(lambda n: f"A-{n} Check escalation records")
    cause = "past_due"
    detail = "Due 1 Mar 2026 (10 days ago) and still in progress."


class MeasureTriggerFactory(factory.django.DjangoModelFactory):
    """A measure-threshold trigger at the measure's service: below 90 for two periods in a row."""

    class Meta:
        model = FlagTrigger

    measure = factory.SubFactory(MeasureFactory)
    provider = factory.LazyAttribute(lambda o: o.measure.provider)
    service = factory.LazyAttribute(lambda o: o.measure.service)
    kind = FlagTrigger.Kind.MEASURE_THRESHOLD
    name = factory.Sequence(lambda n: f"Escalation slipping {n}")
    person = factory.SubFactory(UserFactory)
    created_by = factory.LazyAttribute(lambda o: o.person)
    comparison = FlagTrigger.Comparison.BELOW
    threshold = 90.0
    periods = 2
