"""Make the audit trail append-only in the database itself (PostgreSQL).

The admin already refuses edits; the trigger refuses UPDATE and DELETE from any client,
so not even a bug or a stray admin action can rewrite history.
"""

from django.db import migrations

from core.db import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0002_framework_data"), ("auditlog", "0017_add_actor_email")]
    operations = [append_only("auditlog_logentry")]
