"""The demo evidence: a spread per service, real files, coverage, and safe to run twice."""

import hashlib

import pytest

from demo import evidence as demo
from demo import world as demo_world
from evidence import selectors
from evidence.models import EvidenceItem, Nature

pytestmark = pytest.mark.django_db


def test_demo_evidence_is_realistic_and_idempotent():
    world = demo_world.seed()
    created = demo.seed(world)
    assert created
    assert demo.seed(demo_world.seed()) == []
    assert EvidenceItem.objects.count() == len(created)

    for slug, service in world.services.items():
        items = EvidenceItem.objects.current().filter(service=service)
        assert items.count() >= 6, slug
        assert items.filter(nature=Nature.IMPACT).exists(), slug
        assert items.filter(framework_items__isnull=False).distinct().count() == items.count()
    assert set(EvidenceItem.objects.values_list("nature", flat=True)) == {Nature.IMPACT, Nature.ACTIVITY}
    assert EvidenceItem.objects.filter(service__isnull=True, provider=world.provider).exists()
    assert not EvidenceItem.objects.filter(provider=world.other_provider).exists()

    with_files = EvidenceItem.objects.exclude(file="")
    assert {i.file_content_type for i in with_files} == {"text/csv", "text/plain", "application/pdf"}
    for item in with_files:
        with item.file.open("rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == item.file_sha256
        if item.file_content_type == "application/pdf":
            assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")

    removed = EvidenceItem.objects.exclude(removed_at=None).get()
    assert removed.removal_reason

    rm = world.users["rm@oakfield.example"]
    grid = selectors.coverage(
        selectors.library_items(rm, provider=world.provider, service=world.services["oakfield-house"])
    )
    filled = sum(1 for row in grid.rows for _, n in row.cells if n)
    assert 8 <= filled < 30  # coverage shows, and so do the gaps
