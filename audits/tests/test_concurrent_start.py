"""One audit per template, service and period, even when several people start it at once."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from audits.models import Audit
from audits.services import audit_start
from audits.tests.factories import AuditFactory, TemplateFactory


def _template(world):
    template = TemplateFactory(provider=world.provider)
    template.services.add(world.service)
    return template


@pytest.mark.django_db
def test_the_database_refuses_a_second_audit_for_the_same_period(world):
    first = AuditFactory(service=world.service, template=_template(world), auditor=world.rm)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditFactory(
            service=world.service,
            template=first.template,
            period_start=first.period_start,
            period_end=first.period_end,
            auditor=world.rm,
        )
    assert Audit.objects.count() == 1


@pytest.mark.django_db
def test_starting_twice_opens_the_same_draft(world):
    template = _template(world)
    first = audit_start(actor=world.rm, template=template, service=world.service)
    again = audit_start(actor=world.deputy, template=template, service=world.service)
    assert again.pk == first.pk and again.template == template
    assert Audit.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_four_people_starting_at_once_get_one_draft(world):
    """Four threads on four connections pass the 'is there one already?' check together."""
    template = _template(world)
    barrier = threading.Barrier(4)
    started: list[int] = []
    errors: list[BaseException] = []

    def start(user) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                started.append(audit_start(actor=user, template=template, service=world.service).pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start, args=(u,)) for u in (world.rm, world.deputy, world.lead, world.rm)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(started) == 4 and len(set(started)) == 1
    assert Audit.objects.filter(template=template, service=world.service).count() == 1
