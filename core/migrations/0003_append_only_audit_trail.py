"""Make the audit trail append-only in the database itself (PostgreSQL).

The admin already refuses edits; this trigger refuses UPDATE and DELETE from any client,
so not even a bug or a stray admin action can rewrite history. TRUNCATE (used only by
test teardown) is a separate statement and is not affected.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;
CREATE TRIGGER auditlog_logentry_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION auditlog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;
DROP FUNCTION IF EXISTS auditlog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_framework_data"), ("auditlog", "0017_add_actor_email")]
    operations = [migrations.RunPython(forwards, backwards)]
