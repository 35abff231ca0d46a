"""The audit trail: django-auditlog records who changed what (old -> new) and when.

Each app registers its own models here-style in its AppConfig.ready. Log entries are
written by signal handlers inside the same database transaction as the change (requests
are atomic, services use ``transaction.atomic``). Nobody can edit them: the admin shows
them read-only and, on PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE (migrations
0003-0004), the runtime role may only SELECT and INSERT, and every entry is chained
(``AuditChainLink``, ``verify_audit_trail``; see core/db.py).
"""

from auditlog.registry import auditlog

from .models import (
    EvidenceCategory,
    FrameworkCrosswalk,
    FrameworkItem,
    FrameworkVersion,
    KeyQuestion,
    Membership,
    Provider,
    Service,
    User,
)

auditlog.register(User, exclude_fields=["password", "last_login"])
auditlog.register(Provider)
auditlog.register(Service)
auditlog.register(Membership)
for model in (FrameworkVersion, KeyQuestion, FrameworkItem, EvidenceCategory, FrameworkCrosswalk):
    auditlog.register(model)


def log_update(instance, changes: dict[str, tuple], *, actor=None):
    """An explicit audit-trail UPDATE entry for a write that bypassed ``save()``.

    For the conditional UPDATEs that claim a row (``filter(pk=..., status=expected).update(...)``):
    auditlog's signals never see those, so the transition function writes the entry itself,
    in the same transaction. ``changes``: field name -> (old, new). ``actor``: who, when known;
    otherwise auditlog takes the request's user (or none, in jobs) as it does for saves.
    """
    from auditlog.models import LogEntry

    return LogEntry.objects.log_create(
        instance,
        action=LogEntry.Action.UPDATE,
        changes={name: [_text(old), _text(new)] for name, (old, new) in changes.items()},
        **({"actor": actor} if actor is not None else {}),
    )


def _text(value) -> str:
    return "None" if value is None else str(value)


def log_bulk_update(instances, changes: dict[str, tuple], *, batch_size: int = 1000) -> None:
    """``log_update`` for many rows changed by one bulk UPDATE (the same change on each),
    written in batches so the cost grows with the rows changed, not with queries per row."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    instances = list(instances)
    if not instances:
        return
    content_type = ContentType.objects.get_for_model(instances[0].__class__)
    shown = {name: [_text(old), _text(new)] for name, (old, new) in changes.items()}
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=content_type,
                object_pk=str(obj.pk),
                object_id=obj.pk,
                object_repr=str(obj)[:255],
                action=LogEntry.Action.UPDATE,
                changes=shown,
            )
            for obj in instances
        ],
        batch_size=batch_size,
    )
