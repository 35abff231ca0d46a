"""Factories for flags."""

import factory

from core.tests.factories import ServiceFactory
from governance.models import Flag


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
