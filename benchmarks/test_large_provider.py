"""The benchmark's large-provider builder, at a tiny size: it builds, and it refuses db.sqlite3."""

import pytest
from django.db import connection
from large_provider import SLUG, Size, build_large_provider, large_provider, refuse_default_database

from audits.models import Audit
from evidence.models import EvidenceItem
from recovery.models import DataPoint, RecoveryAction

TINY = Size(
    services=2,
    themes_per_service=2,
    actions_per_service=10,
    evidence_per_service=20,
    audits_per_service=10,
    points_per_measure=5,
    evidence_links_per_action=2,
)


@pytest.mark.django_db
def test_builds_the_provider_once_at_the_size_asked():
    provider = build_large_provider(TINY)
    assert provider.slug == SLUG and large_provider() == provider
    assert provider.services.count() == 2
    assert RecoveryAction.objects.filter(provider=provider).count() == 20
    assert EvidenceItem.objects.filter(provider=provider).count() == 40
    assert Audit.objects.filter(provider=provider).count() == 20
    assert DataPoint.objects.filter(measure__provider=provider).count() == 100
    assert build_large_provider(TINY) == provider


def test_refuses_the_development_database(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "/srv/app/db.sqlite3")
    with pytest.raises(RuntimeError, match="db.sqlite3"):
        refuse_default_database()
