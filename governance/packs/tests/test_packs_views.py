"""Generating, following and downloading packs through the pages; the fetcher's refusals."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import EvidencePack
from governance.packs.rendering import UnsafeURL, html_to_pdf, safe_url_fetcher
from governance.packs.tests.factories import pack, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _form(world, **extra):
    today = timezone.localdate()
    data = {
        "kind": "full",
        "services": [world.service.pk],
        "date_from": (today.replace(day=1)).isoformat(),
        "date_to": today.isoformat(),
        "key_questions": ["safe", "effective", "caring", "responsive", "well_led"],
        "sections": ["position", "themes", "measures", "manifest"],
    }
    data.update(extra)
    return data


def test_quality_lead_generates_a_pack_that_renders_after_commit(
    world, login, media, django_capture_on_commit_callbacks
):
    populate(world.provider, world.service, user=world.rm, approver=world.ni)
    client = login(world.quality)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("governance:pack_create", args=[world.service.slug]), _form(world))
    assert len(callbacks) == 1  # the job is queued only once the request's transaction commits
    p = EvidencePack.objects.get()
    assert response.status_code == 302 and response["Location"] == p.get_absolute_url()
    assert p.status == EvidencePack.Status.DONE, p.error
    assert p.requested_by == world.quality and list(p.services.all()) == [world.service]
    assert p.parameters["sections"] == ["position", "themes", "measures", "manifest"]

    status = client.get(reverse("governance:pack_status", args=[p.pk]))
    assert b"hx-trigger" not in status.content  # finished: polling stops
    assert b"Download PDF" in status.content and b"<progress" in status.content

    download = client.get(reverse("governance:pack_download", args=[p.pk]))
    body = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(body).hexdigest() == p.sha256


def test_a_queued_pack_polls_and_shows_progress(world, login, media):
    p = pack(world.provider, [world.service], user=world.quality)
    response = login(world.viewer).get(reverse("governance:pack_status", args=[p.pk]))
    assert b'hx-trigger="every 1s"' in response.content and b"<progress" in response.content
    assert reverse("governance:pack_download", args=[p.pk]).encode() not in response.content
    assert login(world.viewer).get(reverse("governance:pack_download", args=[p.pk])).status_code == 404


def test_a_failed_pack_shows_its_error(world, login, media):
    from governance.packs import services

    p = pack(world.provider, [world.service], user=world.quality, parameters={"date_to": "soon"})
    services.pack_render(pack_id=p.pk)
    page = login(world.quality).get(reverse("governance:pack_detail", args=[p.pk]))
    assert b"could not be produced" in page.content and b"not a date" in page.content


def test_form_errors_keep_the_input(world, login, media):
    client = login(world.quality)
    data = _form(world, date_from="2026-03-10", date_to="2026-03-01")
    response = client.post(reverse("governance:pack_create", args=[world.service.slug]), data)
    assert response.status_code == 400
    assert b"must end on or after" in response.content and b'value="2026-03-10"' in response.content
    assert not EvidencePack.objects.exists()


def test_cannot_pick_a_service_outside_your_reach(world, login, media):
    client = login(world.quality)
    data = _form(world, services=[world.other_service.pk])
    response = client.post(reverse("governance:pack_create", args=[world.service.slug]), data)
    assert response.status_code == 400 and not EvidencePack.objects.exists()


def test_provider_pack_covers_every_chosen_service_and_is_listed(world, login, media):
    client = login(world.ni)
    data = _form(world, services=[world.service.pk, world.sibling.pk], kind="commissioner")
    response = client.post(reverse("governance:provider_pack_create", args=[world.provider.slug]), data)
    assert response.status_code == 302
    p = EvidencePack.objects.get()
    assert p.service is None and set(p.services.all()) == {world.service, world.sibling}
    listing = client.get(reverse("governance:provider_pack_list", args=[world.provider.slug]))
    assert f"Commissioner update #{p.pk}".encode() in listing.content


def test_a_pack_with_a_service_you_cannot_see_is_not_found(world, login, media):
    """A service-level viewer must not receive a sibling service's data inside a wider pack."""
    p = pack(world.provider, [world.service, world.sibling], user=world.quality)
    for name in ("pack_detail", "pack_status", "pack_download"):
        assert login(world.viewer).get(reverse(f"governance:{name}", args=[p.pk])).status_code == 404
    listing = login(world.viewer).get(reverse("governance:pack_list", args=[world.service.slug]))
    assert f"#{p.pk}".encode() not in listing.content
    assert login(world.board).get(reverse("governance:pack_detail", args=[p.pk])).status_code == 200


def test_service_page_panel_offers_generate_only_to_generators(world, login, media):
    url = reverse("core:service_panels_below", args=[world.service.slug, 2])  # the packs panel is below the fold
    assert b"Generate pack" in login(world.quality).get(url).content
    page = login(world.viewer).get(url).content
    assert b"Evidence packs" in page and b"Generate pack" not in page


def test_action_pack_from_the_action(world, login, media, django_capture_on_commit_callbacks):
    made = populate(world.provider, world.service, user=world.rm, approver=world.ni)
    action = made["open"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.ni).post(reverse("governance:action_pack_create", args=[action.pk]))
    p = EvidencePack.objects.get()
    assert response["Location"] == p.get_absolute_url()
    assert p.kind == EvidencePack.Kind.ACTION and p.action == action and p.status == EvidencePack.Status.DONE


def test_user_text_is_escaped_in_the_pdf_html(world, media):
    from governance.packs import services

    made = populate(world.provider, world.service, user=world.rm, approver=world.ni)
    theme = made["themes"][0]
    theme.title = '<img src="http://example.com/x.png"> Escaped'
    theme.save()
    p = pack(world.provider, [world.service], user=world.quality, parameters={"sections": ["themes"]})
    result = services.pack_render(pack_id=p.pk, keep_html=True)
    assert result.pack.status == EvidencePack.Status.DONE, result.pack.error
    assert "&lt;img src=" in result.html and '<img src="http' not in result.html


# --------------------------------------------------------------------------- the fetcher


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "file:///etc/passwd",
        "file:///static/../../../../etc/passwd",
        "ftp://example.com/x",
        "file://evil.example/static/css/app.css",
    ],
)
def test_fetcher_refuses_anything_but_data_and_static(url):
    with pytest.raises(UnsafeURL):
        safe_url_fetcher(url)


def test_fetcher_serves_data_uris_and_static_files():
    assert safe_url_fetcher("data:text/plain;base64,aGk=").read() == b"hi"
    css = safe_url_fetcher("file:///static/css/app.css")
    assert css.read() and css.content_type == "text/css"


def test_a_remote_resource_in_the_html_stops_the_render():
    with pytest.raises(UnsafeURL, match="http://example.com"):
        html_to_pdf('<p>x</p><img src="http://example.com/tracker.png">')
