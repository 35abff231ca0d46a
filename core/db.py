"""Database helpers shared by migrations: append-only tables and the chained audit trail.

Two layers keep the trail (PostgreSQL only; other databases rely on the application layer):

- Triggers on every append-only table refuse UPDATE, DELETE and TRUNCATE from any client,
  the owner included. A trigger stops mistakes, not the owner: an owner may drop it.
- The app runs as a role that owns nothing (``grant_runtime_role``): it may SELECT and INSERT
  on these tables and nothing else, so it can neither rewrite them, drop or disable their
  triggers, nor switch ``session_replication_role``.

The audit log is also chained (``AuditChainLink``): a deferred trigger gives each committed
log entry the SHA-256 of the previous link plus its own content, so an edit or a gap made
by anyone, owner included, is found by ``manage.py verify_audit_trail``.
"""

from django.db import migrations

# A database named test_* (the test runner's) may empty append-only tables between
# transactional tests when the session sets this; elsewhere the setting is ignored.
TEST_FLUSH_SETTING = "recovery.test_flush"

REFUSE_TRUNCATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION core_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('{TEST_FLUSH_SETTING}', true) = 'on' AND current_database() LIKE 'test\\_%' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'The table ' || TG_TABLE_NAME || ' is append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
"""


def truncate_trigger_sql(table: str) -> str:
    name = f"{table}_no_truncate"
    return (
        f"{REFUSE_TRUNCATE_FUNCTION}"
        f"DROP TRIGGER IF EXISTS {name} ON {table};"
        f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION core_refuse_truncate();"
    )


def append_only(table: str) -> migrations.RunPython:
    """A migration operation making ``table`` append-only on PostgreSQL.

    A row trigger refuses UPDATE and DELETE and a statement trigger refuses TRUNCATE, from
    any client. ``grant_runtime_role`` finds these tables by the ``<table>_append_only``
    trigger and gives the runtime role only SELECT and INSERT on them.
    """
    function = f"{table}_append_only"
    create = f"""
    CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'The table {table} is append-only: ' || TG_OP || ' refused';
    END;
    $$ LANGUAGE plpgsql;
    DROP TRIGGER IF EXISTS {function} ON {table};
    CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {function}();
    {truncate_trigger_sql(table)}
    """
    drop = (
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
        f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    )

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create, params=None)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop, params=None)

    return migrations.RunPython(forwards, backwards)


def append_only_tables(cursor) -> list[str]:
    """Tables carrying an ``append_only`` row trigger, in the current schema."""
    cursor.execute(
        """
        SELECT DISTINCT c.relname FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND t.tgname = c.relname || '_append_only'
          AND n.nspname = current_schema()
        ORDER BY 1
        """
    )
    return [row[0] for row in cursor.fetchall()]


# The chain. The content hashed is a fixed list of columns (not the whole row), so a column
# added by a django-auditlog upgrade does not break the links already made. The functions
# pin the time zone so the text of the timestamp is the same in every session.
CHAIN_TABLE = "core_auditchainlink"
CHAIN_LOCK = 727_001  # pg_advisory_xact_lock key: one writer extends the chain at a time
GENESIS = "0" * 64

CHAIN_SQL = f"""
CREATE OR REPLACE FUNCTION core_audit_entry_digest(prev text, e auditlog_logentry) RETURNS text
LANGUAGE sql STABLE SET timezone = 'UTC' AS $$
    SELECT encode(sha256(convert_to(prev || json_build_array(
        e.id, e.content_type_id, e.object_pk, e.object_id, e.object_repr, e.serialized_data::text,
        e.action, e.changes_text, e.changes::text, e.actor_id, e.cid, host(e.remote_addr),
        e.remote_port, e.timestamp, e.additional_data::text, e.actor_email
    )::text, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION core_audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last {CHAIN_TABLE}%ROWTYPE;
BEGIN
    -- Runs at commit (deferred), so the lock is held only while this transaction commits.
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT * INTO last FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1;
    INSERT INTO {CHAIN_TABLE} (seq, entry_id, prev_hash, hash)
    VALUES (
        COALESCE(last.seq, 0) + 1, NEW.id, COALESCE(last.hash, '{GENESIS}'),
        core_audit_entry_digest(COALESCE(last.hash, '{GENESIS}'), NEW)
    );
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS auditlog_logentry_chain ON auditlog_logentry;
CREATE CONSTRAINT TRIGGER auditlog_logentry_chain AFTER INSERT ON auditlog_logentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION core_audit_chain_link();
"""  # noqa: S608 - module constants only

CHAIN_BACKFILL_SQL = f"""
DO $$
DECLARE
    e auditlog_logentry%ROWTYPE;
    prev text := COALESCE((SELECT hash FROM {CHAIN_TABLE} ORDER BY seq DESC LIMIT 1), '{GENESIS}');
    n bigint := COALESCE((SELECT max(seq) FROM {CHAIN_TABLE}), 0);
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    FOR e IN SELECT * FROM auditlog_logentry l
             WHERE NOT EXISTS (SELECT 1 FROM {CHAIN_TABLE} c WHERE c.entry_id = l.id) ORDER BY l.id LOOP
        n := n + 1;
        INSERT INTO {CHAIN_TABLE} (seq, entry_id, prev_hash, hash)
        VALUES (n, e.id, prev, core_audit_entry_digest(prev, e));
        prev := core_audit_entry_digest(prev, e);
    END LOOP;
END;
$$;
"""  # noqa: S608 - module constants only

CHAIN_DROP_SQL = """
DROP TRIGGER IF EXISTS auditlog_logentry_chain ON auditlog_logentry;
DROP FUNCTION IF EXISTS core_audit_chain_link();
DROP FUNCTION IF EXISTS core_audit_entry_digest(text, auditlog_logentry);
"""


class AddCheckNotValid(migrations.AddConstraint):
    """``AddConstraint`` for a CheckConstraint that PostgreSQL adds ``NOT VALID``.

    Every write from then on is checked, but rows written before (for instance the 1 MB texts
    that started the length limits, issue 12) are neither refused nor rewritten: their text is
    kept and the pages and packs still show it. Other databases add the constraint as usual.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql" or not self.allow_migrate_model(
            schema_editor.connection.alias, model
        ):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(f"{self.constraint.create_sql(model, schema_editor)} NOT VALID", params=None)
