"""Walk the audit chain and exit non-zero at the first broken link.

Each link must follow the previous one (seq + 1, prev_hash = previous hash), its entry must
still exist with the content it had (hash recomputed by the same database function the
trigger used), and every log entry must have a link. One pass over an index, streamed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core import db

WALK = f"""
SELECT l.seq, l.entry_id, l.prev_hash, l.hash, e.id IS NOT NULL,
       CASE WHEN e.id IS NULL THEN NULL ELSE core_audit_entry_digest(l.prev_hash, e) END
FROM {db.CHAIN_TABLE} l LEFT JOIN auditlog_logentry e ON e.id = l.entry_id
ORDER BY l.seq
"""  # noqa: S608 - module constants only
UNLINKED = f"""
SELECT e.id FROM auditlog_logentry e
WHERE NOT EXISTS (SELECT 1 FROM {db.CHAIN_TABLE} l WHERE l.entry_id = e.id) ORDER BY e.id LIMIT 1
"""  # noqa: S608 - module constants only


def first_break(using: str = DEFAULT_DB_ALIAS) -> tuple[int, str | None]:
    """(links checked, description of the first broken link or None)."""
    connection = connections[using]
    checked, prev_seq, prev_hash = 0, 0, db.GENESIS
    # One snapshot for the walk and the unlinked check, so entries committed meanwhile agree.
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with connection.chunked_cursor() as cursor:
            cursor.execute(WALK)
            for seq, entry_id, link_prev, link_hash, exists, recomputed in cursor:
                if seq != prev_seq + 1:
                    return checked, f"link {prev_seq + 1} is missing (the chain jumps from {prev_seq} to {seq})"
                if link_prev != prev_hash:
                    return checked, f"link {seq} (entry {entry_id}) does not follow link {prev_seq}"
                if not exists:
                    return checked, f"link {seq}: entry {entry_id} has been removed"
                if recomputed != link_hash:
                    return checked, f"link {seq}: entry {entry_id} has been changed since it was written"
                checked, prev_seq, prev_hash = checked + 1, seq, link_hash
        with connection.cursor() as cursor:
            cursor.execute(UNLINKED)
            row = cursor.fetchone()
    if row:
        return checked, f"entry {row[0]} has no link (written with the chain trigger off?)"
    return checked, None


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero naming the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str, **options):
        if connections[database].vendor != "postgresql":
            raise CommandError("The audit chain is kept on PostgreSQL only.")
        checked, broken = first_break(database)
        if broken:
            raise CommandError(f"Audit trail broken after {checked} good links: {broken}.")
        self.stdout.write(f"Audit trail intact: {checked} links.")
