"""The chain over the audit log: one link per committed log entry, written by the database.

A deferred trigger (core/db.py) appends a link at commit: ``hash`` is the SHA-256 of the
previous link's hash plus the entry's content, ``seq`` counts from 1 without gaps. Editing
or removing an entry, a link, or inserting an entry with the trigger off, breaks the walk
``manage.py verify_audit_trail`` makes. The table is append-only like the log itself.
"""

from django.db import models


class AuditChainLink(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    entry_id = models.BigIntegerField(unique=True)  # auditlog_logentry.id; no FK, so a removal is a gap
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"link {self.seq} (entry {self.entry_id})"
