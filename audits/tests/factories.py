import datetime

import factory
from django.utils import timezone

from audits.forms import ACTIONS_PREFIX, RECORDS_PREFIX, answer_field
from audits.models import Audit, AuditRecord, AuditTemplate, AuditTemplateVersion, Criterion
from audits.periods import period_bounds
from core.tests.factories import ProviderFactory, ServiceFactory, UserFactory


class TemplateFactory(factory.django.DjangoModelFactory):
    """A template with a first version of ``criteria`` criteria (keys c1, c2, ...)."""

    class Meta:
        model = AuditTemplate
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    title = factory.Sequence(lambda n: f"Record audit {n}")
    area = AuditTemplate.Area.DETERIORATION
    frequency = AuditTemplate.Frequency.WEEKLY
    default_sample_size = 10

    @factory.post_generation
    def criteria(self, create, extracted, **kwargs):
        if not create:
            return
        count = 3 if extracted is None else extracted
        version = AuditTemplateVersion.objects.create(template=self, number=1)
        Criterion.objects.bulk_create(
            Criterion(version=version, key=f"c{i}", order=i, text=f"Criterion {i} met") for i in range(1, count + 1)
        )


def this_week() -> tuple[datetime.date, datetime.date]:
    return period_bounds("weekly", timezone.localdate())


class AuditFactory(factory.django.DjangoModelFactory):
    """A draft audit of the template's current version at ``service``."""

    class Meta:
        model = Audit

    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda o: o.service.provider)
    template = factory.SubFactory(TemplateFactory, provider=factory.SelfAttribute("..service.provider"))
    template_version = factory.LazyAttribute(lambda o: o.template.current_version())
    period_start = factory.LazyFunction(lambda: this_week()[0])
    period_end = factory.LazyAttribute(lambda o: o.period_start + datetime.timedelta(days=6))
    auditor = factory.SubFactory(UserFactory)


class SubmittedAuditFactory(AuditFactory):
    """A submitted audit written directly (no records): for tests that need one to exist."""

    status = Audit.Status.SUBMITTED
    compliance = 90.0
    submitted_at = factory.LazyFunction(timezone.now)


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditRecord

    audit = factory.SubFactory(AuditFactory)
    order = factory.Sequence(lambda n: n)
    record_ref = factory.Sequence(lambda n: f"R-{1000 + n}")
    answers = factory.LazyAttribute(lambda o: {c.key: "yes" for c in o.audit.template_version.criteria.all()})


def submitted_audit(*, service, auditor, template=None, answers=None, findings="Sample reviewed.", **kwargs) -> Audit:
    """A submitted audit through the real service (records: one per answers dict)."""
    from audits.services import audit_submit

    template = template or TemplateFactory(provider=service.provider)
    audit = AuditFactory(service=service, template=template, auditor=auditor, findings=findings, **kwargs)
    keys = [c.key for c in audit.template_version.criteria.all()]
    for i, a in enumerate(answers or [dict.fromkeys(keys, "yes")]):
        RecordFactory(audit=audit, order=i, answers=a)
    return audit_submit(actor=auditor, audit=audit, check_permission=False)


def formset_data(prefix: str, rows) -> dict:
    """POST data for one formset of the logging grid: its management form and its rows."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def grid_data(keys, rows, actions=(), **extra) -> dict:
    """POST data for the logging grid: rows of (ref, [answers], comment), actions as dicts of fields."""
    records = [
        {"ref": ref, "comment": comment, **{answer_field(k): a for k, a in zip(keys, answers, strict=False) if a}}
        for ref, answers, comment in rows
    ]
    return {**formset_data(RECORDS_PREFIX, records), **formset_data(ACTIONS_PREFIX, list(actions)), **extra}
