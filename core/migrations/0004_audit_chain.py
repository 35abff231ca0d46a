"""Close the trail's remaining doors (PostgreSQL).

- TRUNCATE was never refused: add the statement trigger to every table already made
  append-only (tables migrated later get it from ``append_only`` itself).
- Chain the audit log: ``AuditChainLink`` (itself append-only), the deferred trigger that
  links each committed entry, and links for the entries already there, in id order.
"""

from django.db import migrations, models

from core import db


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        tables = db.append_only_tables(cursor)
    for table in tables:
        schema_editor.execute(db.truncate_trigger_sql(table), params=None)
    schema_editor.execute(db.CHAIN_SQL, params=None)
    schema_editor.execute(db.CHAIN_BACKFILL_SQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(db.CHAIN_DROP_SQL, params=None)
    with schema_editor.connection.cursor() as cursor:
        tables = db.append_only_tables(cursor)
    for table in tables:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};", params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_append_only_audit_trail")]

    operations = [
        migrations.CreateModel(
            name="AuditChainLink",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("entry_id", models.BigIntegerField(unique=True)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={"ordering": ["seq"]},
        ),
        db.append_only(db.CHAIN_TABLE),
        migrations.RunPython(forwards, backwards),
    ]
