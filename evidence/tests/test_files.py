"""Files are accepted by content, capped in size, hashed, renamed and kept off public URLs."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import EvidenceCategory
from evidence import services
from evidence.models import EvidenceItem, SourceType
from evidence.tests import samples

pytestmark = pytest.mark.django_db


def _stored_files(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def _create(world, upload, **extra):
    fields = dict(
        actor=world.rm,
        provider=world.provider,
        service=world.service,
        title="Weekly record sampling",
        refers_to=datetime.date.today() - datetime.timedelta(days=2),
        source_type=SourceType.AUDIT,
        recorded_in="Senior oversight log",
        upload=upload,
    )
    fields.update(extra)
    return services.evidence_create(**fields)


@pytest.mark.parametrize("name", list(samples.ACCEPTED))
def test_each_accepted_type_is_stored_with_its_detected_type_and_hash(world, name, media_root):
    data, expected_type = samples.ACCEPTED[name]
    item = _create(world, samples.upload(name, data))
    assert item.file_content_type == expected_type
    assert item.file_name == name
    assert item.file_size == len(data)
    assert item.file_sha256 == hashlib.sha256(data).hexdigest()
    stored = Path(item.file.path)
    assert stored.read_bytes() == data
    assert stored.is_relative_to(Path(media_root))
    assert name not in stored.name, "stored under a random name, not the uploaded one"


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("care-plan.pdf", samples.ELF, "executable"),
        ("care-plan.pdf", samples.MZ, "executable"),
        ("minutes.docx", samples.plain_zip(), "bad_zip"),
        ("minutes.docx", samples.docm(), "bad_zip"),
        ("notes.txt", samples.HTML, "markup"),
        ("chart.txt", samples.SVG, "markup"),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n", "script"),
        ("photo.png", samples.GIF, "bad_type"),
        ("data.txt", b"\x00\x01\x02binary\x00", "bad_type"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_refused_content_whatever_the_name(world, name, data, code, media_root):
    with pytest.raises(ValidationError) as exc:
        _create(world, samples.upload(name, data, "application/pdf"))
    assert "file" in exc.value.message_dict
    assert not EvidenceItem.objects.exists()
    assert _stored_files(media_root) == []
    with pytest.raises(services.FileRefused) as detail:
        services.validate_upload(samples.upload(name, data))
    assert detail.value.code == code


def test_executable_message_is_plain(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, samples.upload("care-plan.pdf", samples.ELF))
    message = exc.value.message_dict["file"][0]
    assert "program" in message and "choose the file again" in message.lower()


def test_oversize_refused_with_the_limit_in_the_message(world, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    big = samples.PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError) as exc:
        _create(world, samples.upload("big.pdf", big))
    assert "the limit is 1 MB" in exc.value.message_dict["file"][0]
    assert not EvidenceItem.objects.exists()


def test_name_is_sanitised_and_extension_follows_the_content(world):
    item = _create(world, samples.upload("../../etc/Passwd <x>.PDF", samples.PDF))
    assert item.file_name == "Passwd _x_.pdf"
    png_as_pdf = _create(world, samples.upload("scan.pdf", samples.png()))
    assert png_as_pdf.file_content_type == "image/png"
    assert png_as_pdf.file_name == "scan.pdf.png"
    assert services.sanitise_filename("C:\\Users\\me\\rota.xlsx") == "rota.xlsx"


def test_no_file_is_written_when_the_row_is_refused(world, media_root):
    future = datetime.date.today() + datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        _create(world, samples.upload("report.pdf", samples.PDF), refers_to=future)
    assert "refers_to" in exc.value.message_dict
    assert _stored_files(media_root) == []


# --- through the form ------------------------------------------------------------------


def _form_data(world, **extra):
    data = {
        "service": world.service.slug,
        "title": "Handover observation, night shift",
        "refers_to": (datetime.date.today() - datetime.timedelta(days=4)).isoformat(),
        "category": EvidenceCategory.objects.get(version__code="saf-2023", code="observation").pk,
        "source_type": SourceType.OBSERVATION,
        "recorded_in": "Observation of practice folder",
        "description": "Observed handover for rooms 1-12; escalation prompts used.",
    }
    data.update(extra)
    return data


def test_spoofed_pdf_is_refused_on_the_file_field_and_the_form_is_kept(world, client):
    client.force_login(world.rm)
    url = reverse("evidence:create") + f"?service={world.service.slug}"
    data = _form_data(world, file=samples.upload("care-plan.pdf", samples.ELF, "application/pdf"))
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "program (an executable)" in form.errors["file"][0]
    assert "choose the file again" in form.errors["file"][0].lower()
    html = response.content.decode()
    assert 'value="Handover observation, night shift"' in html
    assert "Observed handover for rooms 1-12" in html
    assert 'value="Observation of practice folder"' in html
    assert not EvidenceItem.objects.exists()


def test_a_good_file_with_another_field_wrong_asks_to_choose_the_file_again(world, client):
    client.force_login(world.rm)
    url = reverse("evidence:create") + f"?service={world.service.slug}"
    future = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    data = _form_data(world, refers_to=future, file=samples.upload("report.pdf", samples.PDF))
    response = client.post(url, data)
    form = response.context["form"]
    assert "future" in form.errors["refers_to"][0]
    assert "choose it again" in form.errors["file"][0]
    assert not EvidenceItem.objects.exists()


def test_upload_through_the_form_stores_the_file(world, client):
    client.force_login(world.deputy)
    url = reverse("evidence:create") + f"?service={world.service.slug}"
    response = client.post(url, _form_data(world, file=samples.upload("obs.csv", samples.CSV)))
    item = EvidenceItem.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert item.created_by == world.deputy
    assert item.file_content_type == "text/csv"
    assert item.file_sha256 == hashlib.sha256(samples.CSV).hexdigest()


@pytest.mark.parametrize("member", ["mimetype", "content.xml"])
def test_a_zip_bomb_is_refused_without_inflating_it(member):
    """A 20 MB-of-zeros member in a ~20 KB ODT: refused by its ratio, at a cost of kilobytes."""
    import tracemalloc

    data = samples.odt_bomb(20, member=member)
    assert len(data) < 200 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(services.FileRefused) as refused:
            services.validate_upload(samples.upload("notes.odt", data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == "bad_zip"
    assert peak < 2 * 1024 * 1024 + len(data), peak


def test_markup_anywhere_in_a_text_file_is_refused():
    with pytest.raises(services.FileRefused) as refused:
        services.validate_upload(samples.upload("notes.txt", samples.markup_after_padding()))
    assert refused.value.code == "markup"
    # The same padding without the markup is ordinary text.
    assert services.validate_upload(samples.upload("notes.txt", b"Weekly notes. " * 700)) == services.TEXT


def _multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    """A browser's multipart body, built by hand: the test client's own upload cuts names to 255."""
    boundary = "----recoveryboundary7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("filename", ["a" * 1000 + ".csv", "é" * 1000 + ".csv"])
def test_a_very_long_file_name_is_a_message_on_the_form_with_everything_kept(world, client, filename):
    """Before: a 1,000-character name overflowed Django's 1 KB part-header limit (a bare 400 page)."""
    client.force_login(world.rm)
    url = reverse("evidence:create") + f"?service={world.service.slug}"
    fields = _form_data(world, description="Typed: handover for rooms 1-12.")
    body, content_type = _multipart(fields, filename, samples.CSV)
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 200
    form = response.context["form"]
    assert "name is too long" in form.errors["file"][0]
    html = response.content.decode()
    assert "Typed: handover for rooms 1-12." in html
    assert 'value="Handover observation, night shift"' in html
    assert not EvidenceItem.objects.exists()


def test_a_long_but_ordinary_file_name_is_kept_shortened(world, client):
    client.force_login(world.rm)
    url = reverse("evidence:create") + f"?service={world.service.slug}"
    body, content_type = _multipart(_form_data(world), "b" * 180 + ".csv", samples.CSV)
    assert client.generic("POST", url, body, content_type=content_type).status_code == 302
    assert EvidenceItem.objects.get().file_name == "b" * 120 + ".csv"
