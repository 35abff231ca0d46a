import datetime

import factory
from django.utils import timezone

from audits.models import Audit, AuditTemplate, AuditTemplateVersion
from core.tests.factories import ServiceFactory, UserFactory
from governance.models import Flag, OversightReview


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


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OversightReview

    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider)
    kind = OversightReview.Kind.WEEKLY_SERVICE
    title = factory.Sequence(lambda n: f"Weekly service review {n}")
    scheduled_for = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))
    chair = factory.SubFactory(UserFactory)


class AuditTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditTemplate

    provider = factory.SubFactory("core.tests.factories.ProviderFactory")
    title = factory.Sequence(lambda n: f"Deterioration record sample {n}")
    area = AuditTemplate.Area.DETERIORATION
    frequency = AuditTemplate.Frequency.WEEKLY


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditTemplateVersion

    template = factory.SubFactory(AuditTemplateFactory)
    number = 1


class SubmittedAuditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audit

    template_version = factory.SubFactory(TemplateVersionFactory)
    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider)
    period_start = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=6))
    period_end = factory.LazyFunction(datetime.date.today)
    auditor = factory.SubFactory(UserFactory)
    status = Audit.Status.SUBMITTED
    compliance = 90.0
    submitted_at = factory.LazyFunction(timezone.now)
