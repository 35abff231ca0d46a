"""Who may use each evidence URL (see tests/matrix_support.py)."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from evidence.tests.factories import EvidenceFactory
from tests.matrix_support import ALL, Row, but, only

PROVIDER_LEVEL = only("quality", "ni", "board")
ADDERS = but("board", "viewer")


def _item(w, s) -> dict:
    return {"pk": EvidenceFactory(service=s).pk}


def _item_with_file(w, s) -> dict:
    # One small shared file under MEDIA_ROOT (gitignored), written once and reused.
    name = "evidence/matrix/sample.txt"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(b"Matrix sample evidence\n"))
    item = EvidenceFactory(service=s, file=name, file_name="sample.txt", file_content_type="text/plain")
    return {"pk": item.pk}


ROWS = [
    Row("evidence:library", ALL, lambda w, s: {"service": s.slug}),
    Row("evidence:export_csv", ALL, lambda w, s: {"service": s.slug}),
    Row("evidence:export_xlsx", ALL, lambda w, s: {"service": s.slug}),
    Row("evidence:provider_library", PROVIDER_LEVEL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    # The coverage grid, loaded after the library (a page of its own too): whoever sees the library.
    Row("evidence:coverage", ALL, lambda w, s: {"service": s.slug}),
    Row("evidence:provider_coverage", PROVIDER_LEVEL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("evidence:provider_export_csv", PROVIDER_LEVEL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("evidence:provider_export_xlsx", PROVIDER_LEVEL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("evidence:create", ADDERS, data=lambda w, s: {"service": s.slug}),
    Row("evidence:detail", ALL, _item),
    Row("evidence:edit", ADDERS, _item),
    Row("evidence:remove", only("rm", "quality"), _item),
    Row("evidence:download", ALL, _item_with_file),
]
