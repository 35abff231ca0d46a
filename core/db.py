"""Database helpers shared by migrations."""

from django.db import migrations


def append_only(table: str) -> migrations.RunPython:
    """A migration operation making ``table`` append-only on PostgreSQL.

    A trigger refuses UPDATE and DELETE from any client; TRUNCATE (test teardown only) is a
    different statement and is unaffected. Other databases rely on the application layer.
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
    """
    drop = f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();"

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create, params=None)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop, params=None)

    return migrations.RunPython(forwards, backwards)
