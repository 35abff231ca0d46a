import datetime

import factory

from core.tests.factories import ServiceFactory
from evidence.models import DEFAULT_NATURE, EvidenceItem, SourceType


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceItem

    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider if o.service else None)
    title = factory.Sequence(lambda n: f"Evidence {n}")
    refers_to = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=3))
    source_type = SourceType.CARE_RECORD
    nature = factory.LazyAttribute(lambda o: DEFAULT_NATURE[o.source_type])
    recorded_in = "Care records system"
