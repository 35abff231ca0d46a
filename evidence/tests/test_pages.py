"""One item: its page, changes, removal, and the guarded download."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.urls import reverse

from core.models import EvidenceCategory, FrameworkItem
from evidence import services
from evidence.models import EvidenceItem, Nature, SourceType
from evidence.tests import samples
from evidence.tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


def _with_file(world, service, name="sampling.csv", data=samples.CSV):
    return services.evidence_create(
        actor=world.quality,
        provider=service.provider,
        service=service,
        title="Escalation sampling, week 3",
        refers_to=datetime.date.today() - datetime.timedelta(days=5),
        source_type=SourceType.AUDIT,
        recorded_in="Senior oversight log",
        upload=samples.upload(name, data),
        check_permission=False,
    )


# --- download --------------------------------------------------------------------------


def test_download_is_an_attachment_with_the_stored_type_and_nosniff(world, client):
    item = _with_file(world, world.service, "minutes.docx", samples.docx())
    client.force_login(world.viewer)
    response = client.get(reverse("evidence:download", args=[item.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="minutes.docx"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == item.file_content_type
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == item.file_sha256


def test_another_providers_file_is_missing(world, client):
    theirs = _with_file(world, world.other_service)
    client.force_login(world.quality)
    assert client.get(reverse("evidence:download", args=[theirs.pk])).status_code == 404
    client.force_login(world.outsider)
    assert client.get(reverse("evidence:download", args=[theirs.pk])).status_code == 200


def test_a_sibling_services_file_is_missing_for_service_level_roles(world, client):
    sibling = _with_file(world, world.sibling)
    for persona in ("rm", "deputy", "viewer"):
        client.force_login(world.users[persona])
        assert client.get(reverse("evidence:download", args=[sibling.pk])).status_code == 404, persona
    client.force_login(world.board)
    assert client.get(reverse("evidence:download", args=[sibling.pk])).status_code == 200


def test_item_without_a_file_has_no_download(world, client):
    item = EvidenceFactory(service=world.service)
    client.force_login(world.rm)
    assert client.get(reverse("evidence:download", args=[item.pk])).status_code == 404


def test_media_url_serves_nothing(world, client, settings):
    item = _with_file(world, world.service)
    client.force_login(world.rm)
    assert client.get(settings.MEDIA_URL + item.file.name).status_code == 404


def test_removed_files_are_downloadable_only_by_provider_level_removers(world, client):
    """Decision: a removed item's file stays on record for the quality lead to check the
    removal; for everyone else (including the RM who removed it) it is gone."""
    item = _with_file(world, world.service)
    services.evidence_remove(actor=world.rm, item=item, reason="Uploaded to the wrong service")
    url = reverse("evidence:download", args=[item.pk])
    for persona in ("rm", "deputy", "viewer", "ni", "board"):
        client.force_login(world.users[persona])
        assert client.get(url).status_code == 404, persona
    client.force_login(world.quality)
    assert client.get(url).status_code == 200


# --- removal ---------------------------------------------------------------------------


def test_remove_needs_a_reason_and_keeps_the_record(world, client):
    item = EvidenceFactory(service=world.service, title="Family feedback, March")
    client.force_login(world.rm)
    url = reverse("evidence:remove", args=[item.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert not EvidenceItem.objects.get(pk=item.pk).is_removed

    response = client.post(url, {"reason": "Contains a resident's full name"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.removed_by == world.rm and item.removal_reason == "Contains a resident's full name"
    assert item.removed_at is not None

    page = client.get(item.get_absolute_url()).content.decode()  # shows (and consumes) the flash message
    library = client.get(reverse("evidence:library", args=[world.service.slug]))
    assert library.context["page"].paginator.count == 0
    assert "Family feedback, March" not in library.content.decode()
    assert "This evidence was removed" in page
    assert "Contains a resident&#x27;s full name" in page
    assert str(world.rm) in page


def test_removal_is_refused_to_roles_without_the_verb_and_twice(world, client):
    item = EvidenceFactory(service=world.service)
    client.force_login(world.deputy)
    assert client.post(reverse("evidence:remove", args=[item.pk]), {"reason": "x"}).status_code == 403
    services.evidence_remove(actor=world.quality, item=item, reason="Duplicate")
    with pytest.raises(Exception, match="already removed"):
        services.evidence_remove(actor=world.quality, item=item, reason="Again")


def test_removed_items_cannot_be_changed(world, client):
    item = EvidenceFactory(service=world.service)
    services.evidence_remove(actor=world.rm, item=item, reason="Duplicate")
    client.force_login(world.rm)
    response = client.post(reverse("evidence:edit", args=[item.pk]), {"title": "New"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title != "New"


# --- detail and edit -------------------------------------------------------------------


def test_detail_shows_the_facts_history_and_where_it_is_linked(world, client):
    item = _with_file(world, world.service)
    item.framework_items.set([FrameworkItem.objects.get(version__code="saf-2023", code="S3")])
    rel = {r.name: r for r in EvidenceItem._meta.related_objects}.get("themes")
    if rel is not None:  # the recovery layer is installed: link a theme through the reverse relation
        theme = rel.related_model.objects.create(
            provider=world.provider,
            service=world.service,
            title="Late escalation of deterioration",
            weakness_found="Changes in mobility noted but escalated late.",
            source="inspection",
            owner=world.rm,
        )
        item.themes.add(theme)
    client.force_login(world.viewer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Escalation sampling, week 3" in page
    assert "S3 Safeguarding" in page
    assert item.file_sha256 in page
    assert "Change history" in page
    if rel is not None:
        assert "Late escalation of deterioration" in page
        assert "Not linked to any theme" not in page
    assert "Change details" not in page and ">Remove<" not in page  # viewer


def test_edit_changes_details_and_nature_override_needs_a_reason(world, client):
    item = EvidenceFactory(service=world.service, source_type=SourceType.TRAINING_RECORD, nature=Nature.ACTIVITY)
    client.force_login(world.lead)
    url = reverse("evidence:edit", args=[item.pk])
    data = {
        "title": "Escalation training: practice check afterwards",
        "refers_to": item.refers_to.isoformat(),
        "source_type": SourceType.TRAINING_RECORD,
        "nature": Nature.IMPACT,
        "nature_override_reason": "",
        "recorded_in": "Training matrix",
        "category": EvidenceCategory.objects.get(version__code="saf-2023", code="processes").pk,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Say why" in response.context["form"].errors["nature_override_reason"][0]
    assert 'value="Escalation training: practice check afterwards"' in response.content.decode()

    data["nature_override_reason"] = "Includes observed practice two weeks after the session"
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.nature == Nature.IMPACT and item.nature_overridden
    assert item.title == "Escalation training: practice check afterwards"


def test_a_file_can_be_added_once_but_not_replaced(world):
    item = EvidenceFactory(service=world.service)
    kwargs = dict(
        actor=world.rm,
        title=item.title,
        refers_to=item.refers_to,
        source_type=item.source_type,
        recorded_in=item.recorded_in,
    )
    services.evidence_update(item=item, upload=samples.upload("a.txt", samples.TEXT), **kwargs)
    item.refresh_from_db()
    assert item.file_sha256 == hashlib.sha256(samples.TEXT).hexdigest()
    with pytest.raises(Exception, match="already has a file"):
        services.evidence_update(item=item, upload=samples.upload("b.pdf", samples.PDF), **kwargs)


def test_provider_wide_items_are_changed_only_by_provider_level_roles(world, client):
    item = EvidenceFactory(service=None, provider=world.provider)
    client.force_login(world.rm)
    assert client.get(item.get_absolute_url()).status_code == 200
    assert client.get(reverse("evidence:edit", args=[item.pk])).status_code == 403
    client.force_login(world.quality)
    assert client.get(reverse("evidence:edit", args=[item.pk])).status_code == 200


def test_create_offers_only_services_where_the_user_may_add(world, client):
    client.force_login(world.quality)
    response = client.get(reverse("evidence:create") + f"?provider={world.provider.slug}")
    choices = dict(response.context["form"].fields["service"].choices)
    assert set(choices) == {"", world.service.slug, world.sibling.slug, "__provider__"}
    client.force_login(world.rm)
    response = client.get(reverse("evidence:create") + f"?provider={world.provider.slug}")
    assert dict(response.context["form"].fields["service"].choices).keys() == {world.service.slug}
    data = {
        "service": world.sibling.slug,
        "title": "x",
        "refers_to": "2026-01-01",
        "source_type": "audit",
        "recorded_in": "y",
    }
    response = client.post(reverse("evidence:create") + f"?provider={world.provider.slug}", data)
    assert "service" in response.context["form"].errors
    assert not EvidenceItem.objects.exists()


def test_service_page_panel_counts_impact_and_activity(world, client):
    EvidenceFactory.create_batch(2, service=world.service, source_type=SourceType.OBSERVATION)
    EvidenceFactory(service=world.service, source_type=SourceType.TRAINING_RECORD)
    removed = EvidenceFactory(service=world.service, source_type=SourceType.OBSERVATION)
    services.evidence_remove(actor=world.rm, item=removed, reason="Duplicate")
    EvidenceFactory(service=world.sibling)
    client.force_login(world.viewer)
    # The evidence panel is below the fold of the service page (core.panels.FOLDS).
    page = client.get(reverse("core:service_panels_below", args=[world.service.slug, 2])).content.decode()
    assert "3 items at this service: <strong>2 impact</strong>, 1 activity." in page
    assert reverse("evidence:library", args=[world.service.slug]) in page
    assert "Add evidence" not in page  # the viewer may not add
