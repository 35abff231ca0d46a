"""The audit trail: django-auditlog records who changed what (old -> new) and when.

Each app registers its own models here-style in its AppConfig.ready. Log entries are
written by signal handlers inside the same database transaction as the change (requests
are atomic, services use ``transaction.atomic``). Nobody can edit them: the admin shows
them read-only and, on PostgreSQL, a trigger refuses UPDATE and DELETE (migration 0003).
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
