"""Every change to a domain object leaves a trail no user can edit."""

import pytest
from auditlog.models import LogEntry
from django.db import connection, transaction
from django.urls import reverse

from core.selectors import history_for


def test_changing_a_service_records_who_and_old_to_new(world, client):
    client.force_login(world.rm)
    service = world.service
    from auditlog.context import set_actor

    with set_actor(world.quality):
        service.name = "Oak House (renamed)"
        service.save()
    entry = history_for(service)[0]
    assert entry.actor == world.quality
    assert entry.changes_dict["name"] == ["Oak House", "Oak House (renamed)"]
    assert ("name", "Oak House", "Oak House (renamed)") in entry.changes
    page = client.get(reverse("core:service_history", kwargs={"service": service.slug}))
    assert "Oak House (renamed)" in page.content.decode()


def test_log_entries_cannot_be_changed_in_the_admin(world, admin_client):
    world.service.save()
    entry = LogEntry.objects.first()
    response = admin_client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {})
    assert response.status_code == 403
    response = admin_client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_database_refuses_to_rewrite_history(world):
    world.service.name = "Changed"
    world.service.save()
    entry = LogEntry.objects.first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(changes_text="forged")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()


def test_linking_evidence_shows_as_linked_not_as_raw_data(world):
    from evidence.tests.factories import EvidenceFactory
    from recovery.tests.factories import ActionFactory

    action = ActionFactory(theme__service=world.service)
    item = EvidenceFactory(service=world.service, title="Observation of handover")
    action.evidence.add(item)
    rows = [row for entry in history_for(action) for row in entry.changes]
    assert ("evidence", "linked", "Observation of handover") in rows
