"""Due / done / overdue per template and service; the set-based overdue selector."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits import selectors
from audits.models import AuditTemplate
from audits.periods import period_bounds
from core.models import Service
from core.tests.factories import ServiceFactory

from .factories import AuditFactory, TemplateFactory, submitted_audit

TODAY = datetime.date(2026, 3, 11)  # a Wednesday


def _template(world, weeks_ago=3, **kwargs):
    template = TemplateFactory(provider=world.provider, **kwargs)
    start, _ = period_bounds("weekly", TODAY - datetime.timedelta(weeks=weeks_ago))
    created = timezone.make_aware(datetime.datetime.combine(start, datetime.time(9)))
    AuditTemplate.objects.filter(pk=template.pk).update(created_at=created)
    template.refresh_from_db()
    return template


def _week(weeks_ago):
    return period_bounds("weekly", TODAY - datetime.timedelta(weeks=weeks_ago))


def _done(world, template, weeks_ago, service=None):
    start, _ = _week(weeks_ago)
    # Submitted audits of past weeks: point_record refuses future dates, so use real past weeks.
    return submitted_audit(service=service or world.service, auditor=world.rm, template=template, period_start=start)


def test_schedule_marks_done_due_and_overdue_weeks_since_the_template_began(world):
    template = _template(world)
    _done(world, template, 2)
    AuditFactory(service=world.service, template=template, auditor=world.rm, period_start=_week(0)[0])  # a draft
    (row,) = selectors.schedule(world.service, TODAY)
    states = [(p.start, p.state) for p in row.periods]
    assert states == [
        (_week(0)[0], selectors.DUE),
        (_week(1)[0], selectors.OVERDUE),
        (_week(2)[0], selectors.DONE),
        (_week(3)[0], selectors.OVERDUE),
    ]
    assert row.draft is not None and row.overdue_count == 2


def test_templates_limited_to_some_services_are_not_due_elsewhere(world):
    template = _template(world)
    template.services.set([world.sibling])
    assert selectors.schedule(world.service, TODAY) == []
    assert [r.template for r in selectors.schedule(world.sibling, TODAY)] == [template]


def test_overdue_audits_flags_last_weeks_missing_audit(world):
    template = _template(world)
    monthly = _template(world, frequency=AuditTemplate.Frequency.MONTHLY, weeks_ago=10)
    _done(world, template, 1, service=world.sibling)
    overdue = selectors.overdue_audits(Service.objects.filter(provider=world.provider), TODAY)
    found = {(o.service, o.template, o.period_end) for o in overdue}
    assert (world.service, template, _week(1)[1]) in found
    assert (world.sibling, template) not in {(o.service, o.template) for o in overdue}
    assert (world.service, monthly, datetime.date(2026, 2, 28)) in found
    # Another provider's services are not asked about.
    assert all(o.service.provider_id == world.provider.pk for o in overdue)


def test_overdue_audits_uses_a_fixed_number_of_queries(world):
    _template(world)
    _template(world, frequency=AuditTemplate.Frequency.QUARTERLY, weeks_ago=20)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.overdue_audits(Service.objects.filter(provider=world.provider), TODAY)
        return len(ctx.captured_queries)

    small = count()
    for _ in range(5):
        ServiceFactory(provider=world.provider)
    _template(world)
    assert count() == small <= 4
