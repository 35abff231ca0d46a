"""The audit trail on PostgreSQL: nobody truncates it, the runtime role cannot erase it, the chain holds.

Production runs the app as a role that owns nothing (``grant_runtime_role``); these tests
connect as that role, as production does, and try what a hostile or careless client would.
"""

from __future__ import annotations

import io
import threading

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from core import db
from core.models import AuditChainLink, Service

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers and roles are PostgreSQL's")

TRAIL = {
    "auditlog_logentry",
    "core_auditchainlink",
    "recovery_actiontransition",
    "recovery_themetransition",
    "recovery_reviewrecord",  # review records
    "recovery_pointcorrection",  # corrections of measure values
    "governance_reviewamendment",
    "core_accessrecord",  # who looked at what
}


def trail_tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(db.append_only_tables(cursor))


def test_every_trail_table_is_append_only(db):
    assert trail_tables() >= TRAIL


@pytest.mark.django_db(transaction=True)
def test_the_owner_cannot_truncate_the_trail(world):
    for table in sorted(trail_tables()):
        refused = pytest.raises(Exception, match="append-only: TRUNCATE refused")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {db.TEST_FLUSH_SETTING} = off")
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert LogEntry.objects.exists()


@pytest.fixture
def as_runtime(runtime_database):
    """A raw connection as the runtime role; ``refused(sql)`` asserts a statement is denied."""
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

    def run(sql: str, params=None):
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def refused(sql: str) -> str:
        with pytest.raises(psycopg2.Error) as caught:
            run(sql)
        assert caught.value.pgcode == "42501", f"{sql}: {caught.value}"  # insufficient_privilege
        return str(caught.value)

    run.refused = refused
    yield run
    conn.close()


@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_cannot_erase_or_disarm_the_trail(world, as_runtime):
    world.service.name = "Oak House (renamed)"
    world.service.save()
    assert as_runtime("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")[0][1] is False
    for table in sorted(trail_tables()):
        as_runtime.refused(f"TRUNCATE {table}")
        column = connection.introspection.get_table_description(connection.cursor(), table)[0].name
        as_runtime.refused(f"UPDATE {table} SET {column} = {column}")  # noqa: S608 - our table names
        as_runtime.refused(f"DELETE FROM {table}")  # noqa: S608 - our table names
        as_runtime.refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        as_runtime.refused(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        as_runtime.refused(f"DROP TRIGGER {table}_append_only ON {table}")
        as_runtime.refused(f"DROP TRIGGER {table}_no_truncate ON {table}")
        as_runtime.refused(f"ALTER TABLE {table} ADD COLUMN forged text")
        as_runtime.refused(f"ALTER TABLE {table} OWNER TO CURRENT_USER")
        as_runtime.refused(f"DROP TABLE {table}")
    as_runtime.refused("DROP TRIGGER auditlog_logentry_chain ON auditlog_logentry")
    as_runtime.refused("INSERT INTO core_auditchainlink (seq, entry_id, prev_hash, hash) VALUES (999999, 0, '', '')")
    as_runtime.refused("SET session_replication_role = replica")
    as_runtime.refused("CREATE TABLE forged (id int)")
    as_runtime.refused(
        "CREATE OR REPLACE FUNCTION core_refuse_truncate() RETURNS trigger AS 'BEGIN RETURN NULL; END' LANGUAGE plpgsql"
    )


@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_still_does_the_apps_work(world, as_runtime):
    """Reads, ordinary writes and new log entries work; the new entry is chained at commit."""
    world.service.save()
    columns = [f.column for f in LogEntry._meta.concrete_fields if f.column != "id"]
    cols = ", ".join(columns)
    copy = f"INSERT INTO auditlog_logentry ({cols}) SELECT {cols} FROM auditlog_logentry ORDER BY id LIMIT 1"  # noqa: S608
    (new_id,) = as_runtime(copy + " RETURNING id")[0]
    as_runtime("UPDATE core_service SET name = name || ' (runtime)' WHERE id = %s", [world.service.pk])
    assert as_runtime("SELECT count(*) FROM recovery_recoveryaction")[0][0] >= 0
    as_runtime(
        "INSERT INTO core_accessrecord (user_id, provider_id, kind, label, object_type, url_name, path, user_agent, at)"
        " VALUES (%s, %s, 'page', 'Action', '', '', '/', '', now())",
        [world.quality.pk, world.provider.pk],
    )
    assert AuditChainLink.objects.filter(entry_id=new_id).exists()
    call_command("verify_audit_trail", stdout=io.StringIO())


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    return out.getvalue()


def as_owner(sql: str, params=None) -> None:
    """What only the owner (or a superuser) can do: switch the guard off, run ``sql``, switch it on."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE auditlog_logentry DISABLE TRIGGER auditlog_logentry_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE auditlog_logentry ENABLE TRIGGER auditlog_logentry_append_only")


@pytest.mark.django_db(transaction=True)
def test_the_chain_verifies_and_names_an_edited_entry(world):
    world.service.name = "Renamed"
    world.service.save()
    links = AuditChainLink.objects.count()
    assert links == LogEntry.objects.count() > 3
    assert f"intact: {links} links" in verify()
    victim = AuditChainLink.objects.get(seq=3)
    as_owner("UPDATE auditlog_logentry SET object_repr = 'forged' WHERE id = %s", [victim.entry_id])
    with pytest.raises(CommandError, match=f"link 3: entry {victim.entry_id} has been changed"):
        verify()


@pytest.mark.django_db(transaction=True)
def test_the_chain_names_a_removed_entry_and_an_unchained_one(world):
    last = AuditChainLink.objects.order_by("-seq").first()
    as_owner("DELETE FROM auditlog_logentry WHERE id = %s", [last.entry_id])
    with pytest.raises(CommandError, match=f"link {last.seq}: entry {last.entry_id} has been removed"):
        verify()


@pytest.mark.django_db(transaction=True)
def test_an_entry_written_with_the_chain_trigger_off_is_found(world):
    """A superuser's replica mode skips every trigger, the chain's too; the gap shows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        world.service.name = "Unchained"
        world.service.save()  # a log entry with no link
    with pytest.raises(CommandError, match="has no link"):
        verify()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_extend_one_unbroken_chain(world):
    services = list(Service.objects.all()[:3])
    errors: list[Exception] = []

    def write(service_id: int) -> None:
        try:
            for i in range(8):
                with transaction.atomic():
                    service = Service.objects.select_for_update().get(pk=service_id)
                    service.name = f"{service.name[:40]} {i}"
                    service.save()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(s.pk,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditChainLink.objects.count() == LogEntry.objects.count()
    assert "intact" in verify()


@pytest.mark.django_db(transaction=True)
def test_grants_are_idempotent_cover_new_tables_and_refuse_the_owner(runtime_database, as_runtime):
    call_command("grant_runtime_role", role=runtime_database["USER"], stdout=io.StringIO())  # again: no error
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE core_later_table (id int)")  # as a later migration would, by the owner
    try:
        as_runtime("INSERT INTO core_later_table VALUES (1)")
        assert as_runtime("SELECT count(*) FROM core_later_table") == [(1,)]
        as_runtime.refused("DROP TABLE core_later_table")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE core_later_table")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="the owner"):
        call_command("grant_runtime_role", role=owner, stdout=io.StringIO())
