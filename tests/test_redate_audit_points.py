"""audits 0006 re-dates audit-fed points to their audit's own period and drops counts from notes.

Run as a function on today's schema (the migration reads through ``apps.get_model`` only), so
the test does not depend on which later migrations exist.
"""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from audits.models import AuditDataPoint
from audits.tests.factories import TemplateFactory, submitted_audit
from recovery.models import DataPoint
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db

redate = importlib.import_module("audits.migrations.0006_audit_points_dated_by_audit_period").redate


def test_points_move_to_the_audits_last_day_and_notes_lose_the_counts(world):
    action = ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider))
    measure = MeasureFactory(action=action)
    template = TemplateFactory(provider=world.provider, criteria=1)
    audit = submitted_audit(service=world.service, auditor=world.rm, template=template)
    submitted_on = audit.period_start + datetime.timedelta(days=1)  # how the old feed dated it
    point = DataPointFactory(
        measure=measure,
        period_date=submitted_on,
        numerator=18,
        denominator=20,
        source=DataPoint.Source.AUDIT,
        note="Record audit, Week of 30 Nov – 6 Dec 2026: 18 of 20 answers met the standard",
    )
    AuditDataPoint.objects.create(audit=audit, measure=measure, data_point=point)
    typed = DataPointFactory(measure=measure, period_date=audit.period_end, numerator=20, denominator=20)

    redate(apps, SimpleNamespace(connection=connection))  # the migration reads only the connection's alias

    point.refresh_from_db()
    assert point.period_date == audit.period_end
    assert point.note.startswith("Record audit, Week of 30 Nov – 6 Dec 2026 (replaced a hand-entered 100)")
    assert "answers met the standard" not in point.note
    assert not DataPoint.objects.filter(pk=typed.pk).exists()  # the audit owns its period
    measure.refresh_from_db()
    assert measure.summary_latest_date == audit.period_end and measure.summary_point_count == 1
