"""Evidence files and packs in S3-compatible object storage, with no shared disk.

Against a real S3 API server on 127.0.0.1 (tests/s3.py): uploads land in the private bucket and
never under MEDIA_ROOT, downloads stream through the permission-checked views, a missing object
or a store that does not answer gives a clear page, seed_demo stores every demo file in the
bucket, and a pack rendered by a worker with its own empty media folder downloads from the web
process (that last one needs real Redis and PostgreSQL, as in CI).
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests import s3
from tests.processes import BOUND, CELERY, Process, compose_command, production_env, runtime_url

pytestmark = pytest.mark.django_db


def _files(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def _evidence(world):
    from evidence import services as evidence_services
    from evidence.models import SourceType
    from evidence.tests import samples

    return evidence_services.evidence_create(
        actor=world.rm,
        provider=world.provider,
        service=world.service,
        title="Falls huddle minutes",
        refers_to=datetime.date.today() - datetime.timedelta(days=1),
        source_type=SourceType.AUDIT,
        upload=samples.upload("minutes.pdf", samples.PDF),
    )


def test_an_upload_goes_to_the_private_bucket_and_downloads_through_the_view(
    world, client, s3_endpoint, bucket, settings
):
    item = _evidence(world)
    assert s3.keys(s3_endpoint, bucket) == [item.file.name]
    assert _files(settings.MEDIA_ROOT) == []
    # Private: the object has no public grant, and anonymous HTTP to it is refused.
    acl = s3.client(s3_endpoint).get_object_acl(Bucket=bucket, Key=item.file.name)
    assert all("AllUsers" not in str(grant.get("Grantee")) for grant in acl["Grants"])
    client.force_login(world.rm)
    response = client.get(reverse("evidence:download", args=[item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == item.file.open("rb").read()
    assert response["Content-Disposition"].startswith("attachment")
    # Another provider's person gets the same 404 as for a missing item.
    client.force_login(world.outsider)
    assert client.get(reverse("evidence:download", args=[item.pk])).status_code == 404


def test_a_missing_object_and_a_silent_store_give_a_clear_page(world, client, s3_endpoint, bucket, settings):
    item = _evidence(world)
    s3.client(s3_endpoint).delete_object(Bucket=bucket, Key=item.file.name)
    client.force_login(world.rm)
    missing = client.get(reverse("evidence:download", args=[item.pk]))
    assert missing.status_code == 404
    assert "This file is missing" in missing.content.decode()
    # The store stops answering (a closed port): a 503 page, not a server error.
    settings.STORAGES = s3.storage_settings("http://127.0.0.1:9", bucket)
    down = client.get(reverse("evidence:download", args=[item.pk]))
    assert down.status_code == 503
    assert "File storage is not answering" in down.content.decode()


def test_seed_demo_stores_every_demo_file_in_the_bucket_and_none_on_disk(s3_endpoint, bucket, settings):
    from django.core.management import call_command

    from evidence.models import EvidenceItem

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with_files = list(EvidenceItem.objects.exclude(file="").values_list("file", flat=True))
    assert with_files, "the demo has evidence files"
    assert set(with_files) <= set(s3.keys(s3_endpoint, bucket))
    assert _files(settings.MEDIA_ROOT) == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pack_rendered_by_a_worker_without_a_shared_disk_downloads_from_the_web(
    world, services, sending, runtime_database, s3_endpoint, bucket, client, tmp_path, settings
):
    from governance.packs.models import EvidencePack
    from governance.packs.services import pack_request

    _evidence(world)
    env = production_env(tmp_path, runtime_url(runtime_database), services)
    env.update(s3.s3_env(s3_endpoint, bucket), MEDIA_ROOT=str(tmp_path / "worker-media"))
    worker = Process([CELERY, *compose_command("worker")[1:]], env, tmp_path / "worker.log")
    try:
        worker.wait_for(r"celery@\S+ ready", timeout=60)
        pack = pack_request(user=world.quality, provider=world.provider, services=[world.service])
        deadline = time.monotonic() + BOUND
        while not EvidencePack.objects.filter(
            pk=pack.pk, status__in=[EvidencePack.Status.DONE, EvidencePack.Status.FAILED]
        ).exists():
            assert time.monotonic() < deadline, worker.text()[-3000:]
            assert worker.proc.poll() is None, worker.text()[-3000:]
            time.sleep(0.5)
    finally:
        worker.stop()
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.DONE, pack.error
    assert pack.file.name in s3.keys(s3_endpoint, bucket)
    assert _files(tmp_path / "worker-media") == [] and _files(settings.MEDIA_ROOT) == []
    client.force_login(world.quality)
    response = client.get(reverse("governance:pack_download", args=[pack.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_pack_whose_object_is_gone_gives_a_clear_page(world, client, s3_endpoint, bucket):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from governance.models import EvidencePack
    from governance.packs.tests.factories import pack

    name = default_storage.save("packs/gone.pdf", ContentFile(b"%PDF-1.7 gone"))
    p = pack(world.provider, [world.service], user=world.quality)
    EvidencePack.objects.filter(pk=p.pk).update(status=EvidencePack.Status.DONE, file=name, page_count=1)
    default_storage.delete(name)
    client.force_login(world.quality)
    response = client.get(reverse("governance:pack_download", args=[p.pk]))
    assert response.status_code == 404
    assert "This file is missing" in response.content.decode()
