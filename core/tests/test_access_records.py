"""Who looked at what: every recorded read writes exactly one row, cheaply, and quality leads see them.

The recorded pages are found in the authorisation matrix (their URL kwargs build the object to
look at), so each is opened as a persona allowed to use it, as a real person would.
"""

from __future__ import annotations

import datetime
import logging
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core import access
from core.models import AccessKind, AccessRecord
from core.tests.factories import UserFactory
from tests.test_access_matrix import ROWS

PREFERRED = ["quality", "ni", "rm", "deputy", "lead", "owner", "board", "viewer"]

# Every recorded URL and what it records. A view gains or loses recording only with this table.
RECORDED = {
    "evidence:library": AccessKind.PAGE,
    "evidence:provider_library": AccessKind.PAGE,
    "evidence:coverage": AccessKind.PAGE,
    "evidence:provider_coverage": AccessKind.PAGE,
    "evidence:detail": AccessKind.PAGE,
    "evidence:export_csv": AccessKind.EXPORT,
    "evidence:export_xlsx": AccessKind.EXPORT,
    "evidence:provider_export_csv": AccessKind.EXPORT,
    "evidence:provider_export_xlsx": AccessKind.EXPORT,
    "audits:export_xlsx": AccessKind.EXPORT,
    "audits:export_csv": AccessKind.EXPORT,
    **{f"recovery:plan_export_{fmt}": AccessKind.EXPORT for fmt in ("xlsx", "csv", "docx")},
    **{f"recovery:provider_plan_export_{fmt}": AccessKind.EXPORT for fmt in ("xlsx", "csv", "docx")},
    "evidence:download": AccessKind.DOWNLOAD,
    "governance:pack_download": AccessKind.PACK,
    "recovery:theme_detail": AccessKind.PAGE,
    "recovery:action_detail": AccessKind.PAGE,
    "recovery:measure_detail": AccessKind.PAGE,
    "recovery:map_service": AccessKind.PAGE,
    "recovery:map_provider": AccessKind.PAGE,
    "recovery:map_theme_rows": AccessKind.PAGE,
    "recovery:provider_map_theme_rows": AccessKind.PAGE,
    "recovery:provider_map_gaps": AccessKind.PAGE,
    "audits:audit_list": AccessKind.PAGE,
    "audits:detail": AccessKind.PAGE,
    "audits:audit_edit": AccessKind.PAGE,
    "governance:review_list": AccessKind.PAGE,
    "governance:provider_review_list": AccessKind.PAGE,
    "governance:review_detail": AccessKind.PAGE,
    "governance:request_detail": AccessKind.PAGE,
    "governance:closure_review": AccessKind.PAGE,
}
RECORDED_IN_VIEW = {"governance:pack_download"}  # record_access() inside the view, not the decorator
PROVIDER_WIDE = {"evidence:provider_library", "evidence:provider_export_csv", "evidence:provider_export_xlsx"}
PROVIDER_WIDE |= {"recovery:map_provider", *(f"recovery:provider_plan_export_{f}" for f in ("xlsx", "csv", "docx"))}
PROVIDER_WIDE |= {"recovery:provider_map_theme_rows", "recovery:provider_map_gaps", "evidence:provider_coverage"}
PROVIDER_WIDE |= {"governance:provider_review_list"}

GET_ROWS = {row.name: row for row in ROWS if row.method == "get"}
ADDRESS = "203.0.113.7"
BROWSER = "Mozilla/5.0 (care-home tablet) " + "x" * 400


def _views(patterns, prefix: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _views(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name, p.callback


def test_the_decorated_views_are_exactly_the_recorded_table():
    decorated = {
        name: cb.records_access for name, cb in _views(get_resolver().url_patterns) if hasattr(cb, "records_access")
    }
    assert decorated == {n: k for n, k in RECORDED.items() if n not in RECORDED_IN_VIEW}


def _prepare(client, world, name: str):
    """(user, url): an object of ``name``'s at the world's service, and a persona allowed to open it, signed in."""
    row = GET_ROWS[name]
    persona = next(p for p in PREFERRED if p in row.allowed)
    user = world.users[persona]
    url = reverse(name, kwargs=row.kwargs(world, world.service))
    client.force_login(user)
    return user, url


def _get(client, url, **headers):
    response = client.get(url, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=BROWSER, **headers)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response


def _open(client, world, name: str, **headers):
    user, url = _prepare(client, world, name)
    return user, url, _get(client, url, **headers)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_each_recorded_read_writes_one_record(name, world, client):
    user, url, response = _open(client, world, name)
    assert response.status_code == 200, response.status_code
    record = AccessRecord.objects.get()  # exactly one
    assert record.user == user
    assert record.kind == RECORDED[name]
    assert record.url_name == name
    assert record.path == url
    assert record.label and record.object_type and record.object_id
    assert record.provider == world.provider
    assert record.service == (None if name in PROVIDER_WIDE else world.service)
    assert record.ip_address == ADDRESS
    assert record.user_agent == BROWSER[:300]
    assert abs(timezone.now() - record.at) < datetime.timedelta(minutes=1)


def test_recording_adds_one_insert_and_no_read(world, settings):
    """The page's own queries, then one INSERT: the subject and scope come from what the view loaded."""
    without = [m for m in settings.MIDDLEWARE if m != "core.access.AccessRecordMiddleware"]

    def queries(name: str) -> list[str]:
        client = Client()  # a client keeps the middleware it first loaded
        _user, url = _prepare(client, world, name)
        with CaptureQueriesContext(connection) as captured:
            assert _get(client, url).status_code == 200
        return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]

    for name in ("recovery:action_detail", "evidence:download", "governance:pack_download"):
        with override_settings(MIDDLEWARE=without):
            plain = queries(name)
        recorded = queries(name)
        assert len(recorded) == len(plain) + 1, name
        extra = [q for q in recorded if "core_accessrecord" in q]
        assert len(extra) == 1 and extra[0].startswith('INSERT INTO "core_accessrecord"'), extra


def test_what_is_not_recorded(world, client):
    row = GET_ROWS["recovery:action_detail"]
    url = reverse(row.name, kwargs=row.kwargs(world, world.service))
    other = reverse(row.name, kwargs=row.kwargs(world, world.other_service))
    assert client.get(url).status_code == 302  # signed out: sent to sign in, nothing recorded
    client.force_login(world.quality)
    assert client.get(other).status_code == 404  # another provider's: nothing was shown
    assert client.get(reverse("core:home")).status_code == 200  # not a page of records
    refresh = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{url}"}
    assert client.get(url, **refresh).status_code == 200  # htmx refresh of the page itself
    assert not AccessRecord.objects.exists()
    elsewhere = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}
    assert client.get(url, **elsewhere).status_code == 200  # htmx from another page: a read
    assert AccessRecord.objects.count() == 1


def test_a_failed_write_is_logged_and_the_page_still_served(world, client, caplog):
    failing = mock.patch.object(AccessRecord, "save", side_effect=DatabaseError("disk full"))
    with failing, caplog.at_level(logging.ERROR, logger="core.access"):
        _user, url, response = _open(client, world, "recovery:action_detail")
    assert response.status_code == 200
    assert "Could not record access" in caplog.text and url in caplog.text
    assert not AccessRecord.objects.exists()
    _open(client, world, "recovery:action_detail")  # the connection is still usable
    assert AccessRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_database_error_does_not_spoil_the_request(world, client, caplog):
    """An INSERT the database itself refuses (a missing provider) leaves the request's work intact."""
    real_row = access._row

    def broken(request, pending):
        row = real_row(request, pending)
        row.provider_id = 987654321
        return row

    with mock.patch.object(access, "_row", broken), caplog.at_level(logging.ERROR, logger="core.access"):
        _user, _url, response = _open(client, world, "recovery:action_detail")
    assert response.status_code == 200
    assert "Could not record access" in caplog.text
    assert not AccessRecord.objects.exists()


@pytest.mark.parametrize(
    ("header", "sent", "recorded"),
    [
        ("", "198.51.100.1, 192.0.2.9", ADDRESS),  # no trusted proxy: the header is the client's word
        ("X-Forwarded-For", "198.51.100.1, 192.0.2.9", "192.0.2.9"),  # the address our proxy appended
        ("X-Forwarded-For", "not-an-address", None),
    ],
)
def test_the_address_honours_a_proxy_header_only_when_configured(world, client, header, sent, recorded):
    with override_settings(ACCESS_RECORD_IP_HEADER=header):
        _open(client, world, "recovery:action_detail", HTTP_X_FORWARDED_FOR=sent)
    assert AccessRecord.objects.get().ip_address == recorded


# --- the page ------------------------------------------------------------------------


def _record(user, service, *, kind=AccessKind.PAGE, at=None, provider=None, label="Action"):
    return AccessRecord.objects.create(
        user=user,
        provider=provider or service.provider,
        service=service,
        kind=kind,
        label=label,
        object_type="recovery.recoveryaction",
        object_id=1,
        url_name="recovery:action_detail",
        path="/actions/1/",
        ip_address="192.0.2.1",
        at=at or timezone.now(),
    )


PAGE = reverse("core:access_records")


def _listed(response) -> list[AccessRecord]:
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def test_quality_leads_see_their_providers_records_newest_first(world, client):
    old = _record(world.rm, world.service, at=timezone.now() - datetime.timedelta(days=2))
    new = _record(world.deputy, world.sibling)
    provider_wide = _record(world.ni, None, provider=world.provider)
    _record(world.outsider, world.other_service)
    client.force_login(world.quality)
    assert _listed(client.get(PAGE)) == [provider_wide, new, old]
    client.force_login(world.outsider)
    assert client.get(PAGE).status_code == 403  # a registered manager: not their page


def test_the_filters(world, client):
    now = timezone.now()
    a = _record(world.rm, world.service, kind=AccessKind.DOWNLOAD, at=now - datetime.timedelta(days=10))
    b = _record(world.rm, world.sibling, kind=AccessKind.EXPORT, at=now - datetime.timedelta(days=1))
    c = _record(world.deputy, world.service, kind=AccessKind.PAGE, at=now)
    client.force_login(world.quality)
    assert _listed(client.get(PAGE, {"person": world.rm.pk})) == [b, a]
    assert _listed(client.get(PAGE, {"service": world.service.pk})) == [c, a]
    assert _listed(client.get(PAGE, {"kind": AccessKind.EXPORT})) == [b]
    day = timezone.localtime(now - datetime.timedelta(days=10)).date()
    assert _listed(client.get(PAGE, {"date_from": day, "date_to": day})) == [a]
    assert _listed(client.get(PAGE, {"date_from": timezone.localdate()})) == [c]
    backwards = client.get(PAGE, {"date_from": timezone.localdate(), "date_to": day})
    assert _listed(backwards) == [] and "before the start date" in backwards.content.decode()


def test_another_providers_records_never_show_even_when_asked_for(world, client):
    theirs = _record(world.outsider, world.other_service)
    client.force_login(world.quality)
    for query in ({"service": world.other_service.pk}, {"person": world.outsider.pk}, {"service": "nonsense"}):
        response = client.get(PAGE, query)
        assert _listed(response) == [] and response.context["form"].errors, query
    assert theirs not in _listed(client.get(PAGE))


def test_a_service_level_reader_sees_only_their_services(world, client):
    from core.tests.factories import MembershipFactory

    reader = UserFactory()
    MembershipFactory(user=reader, provider=world.provider, service=world.service, role="quality_lead")
    mine = _record(world.rm, world.service)
    _record(world.rm, world.sibling)
    _record(world.ni, None, provider=world.provider)
    client.force_login(reader)
    assert _listed(client.get(PAGE)) == [mine]


def test_the_navigation_links_it_for_quality_leads_only(world, client):
    client.force_login(world.quality)
    assert f'href="{PAGE}"' in client.get(reverse("core:home")).content.decode()
    client.force_login(world.rm)
    assert f'href="{PAGE}"' not in client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("size", [3, 60])
def test_the_page_queries_are_bounded(world, client, django_assert_max_num_queries, size):
    people = [world.rm, world.deputy, world.lead, UserFactory()]
    AccessRecord.objects.bulk_create(
        AccessRecord(
            user=people[i % len(people)],
            provider=world.provider,
            service=world.service if i % 2 else world.sibling,
            kind=AccessKind.PAGE,
            label="Action",
            path=f"/actions/{i}/",
            at=timezone.now() - datetime.timedelta(minutes=i),
        )
        for i in range(size)
    )
    client.force_login(world.quality)
    with django_assert_max_num_queries(10):  # session, user, memberships, choices, nav, count, rows, savepoint pair
        response = client.get(PAGE, {"page": 2 if size > 50 else 1})
    assert len(_listed(response)) == (size - 50 if size > 50 else size)


@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_records_access_and_can_change_none(world, runtime_database):
    """On PostgreSQL the app, as the runtime role, may add records and read them, never alter them."""
    import psycopg2

    settings = runtime_database
    conn = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants"
                " WHERE grantee = %s AND table_name = 'core_accessrecord' ORDER BY 1",
                [settings["USER"]],
            )
            assert [r[0] for r in cursor.fetchall()] == ["INSERT", "SELECT"]
        _record(world.rm, world.service)
        for sql in ("UPDATE core_accessrecord SET label = 'forged'", "DELETE FROM core_accessrecord"):
            with pytest.raises(psycopg2.Error) as refused, conn.cursor() as cursor:
                cursor.execute(sql)
            assert refused.value.pgcode == "42501", sql  # insufficient privilege, before any trigger
    finally:
        conn.close()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessRecord.objects.update(label="forged")  # the owner: refused by the trigger
    assert AccessRecord.objects.count() == 1
