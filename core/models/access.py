"""Who looked at what: one row per recorded read or export of a provider's records.

Written by ``core.access`` (one INSERT per recorded request, nothing read to make it) and
shown to quality leads on the "Who looked at what" page. Append-only like the audit trail:
triggers refuse UPDATE, DELETE and TRUNCATE, and the runtime role may only SELECT and INSERT
(``grant_runtime_role``). Rows are kept; see ``ACCESS_RECORD_RETENTION_DAYS``.
"""

from django.conf import settings
from django.db import models


class AccessKind(models.TextChoices):
    PAGE = "page", "Page view"
    DOWNLOAD = "download", "File download"
    EXPORT = "export", "Export"
    PACK = "pack", "Evidence pack download"
    API = "api", "API read"


class AccessRecord(models.Model):
    # PROTECT: a person, provider or service that was looked at (or looked) is deactivated,
    # never deleted, so the record keeps saying who and where.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("core.Provider", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("core.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=10, choices=AccessKind.choices)
    # What: a short label ("Action", "Evidence file"), the object shown (if one) and the page.
    label = models.CharField(max_length=80)
    object_type = models.CharField(max_length=100, blank=True)  # the model's label, e.g. "recovery.recoveryaction"
    object_id = models.BigIntegerField(null=True, blank=True)
    url_name = models.CharField(max_length=120, blank=True)
    path = models.CharField(max_length=500)
    # From where.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["provider", "-at"], name="core_access_provider_at"),
            models.Index(fields=["service", "-at"], name="core_access_service_at"),
            models.Index(fields=["user", "-at"], name="core_access_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label} by user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
