"""Who may use each evidence pack URL (see tests/matrix_support.py).

Generating (and "Try again") needs GENERATE_PACK (quality lead, nominated individual); anyone who may see
every service in a pack may open and download it.
"""

from governance.models import EvidencePack
from governance.packs.tests.factories import pack
from recovery.tests.factories import ActionFactory, ThemeFactory
from tests.matrix_support import ALL, Row, only

GENERATORS = only("quality", "ni")


def _pack(w, s):
    """A finished pack for service ``s`` (one small shared file, so repeated rows leave no litter)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = "packs/matrix-test.pdf"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(b"%PDF-1.7 matrix"))
    p = pack(s.provider, [s], user=w.quality)
    EvidencePack.objects.filter(pk=p.pk).update(status=EvidencePack.Status.DONE, file=name, page_count=1)
    return {"pk": p.pk}


def _failed_pack(w, s):
    """A failed pack for service ``s``: "Try again" applies."""
    p = pack(s.provider, [s], user=w.quality)
    EvidencePack.objects.filter(pk=p.pk).update(status=EvidencePack.Status.FAILED, error="matrix")
    return {"pk": p.pk}


def _action(w, s):
    theme = ThemeFactory(service=s, provider=s.provider, owner=w.rm)
    return {"pk": ActionFactory(theme=theme, owner=w.rm).pk}


ROWS = [
    Row("governance:pack_list", ALL, lambda w, s: {"service": s.slug}),
    Row("governance:provider_pack_list", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("governance:pack_create", GENERATORS, lambda w, s: {"service": s.slug}),
    Row("governance:provider_pack_create", GENERATORS, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("governance:action_pack_create", GENERATORS, _action, method="post"),
    Row("governance:pack_detail", ALL, _pack),
    Row("governance:pack_status", ALL, _pack),
    Row("governance:pack_download", ALL, _pack),
    Row("governance:pack_retry", GENERATORS, _failed_pack, method="post"),
]
