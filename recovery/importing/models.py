"""An action-plan import in progress, and the rows it brought in.

``PlanImport`` holds a parsed upload between the steps (mapping, preview, confirm): the rows
as JSON, the mapping, the fixes and skips typed in the preview, and the file's SHA-256. The
file itself is never stored. ``ImportedRow`` remembers which action each source row became
(its ``row_key``) so a re-import updates or skips instead of duplicating, and keeps the row's
history (status/progress, RAG, comments) and unknown columns: the action's notes from the plan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.models.tenancy import TenantModel


class PlanImport(TenantModel):
    class Stage(models.TextChoices):
        MAPPING = "mapping", "Choosing columns"
        PREVIEW = "preview", "Checking rows"
        IMPORTED = "imported", "Imported"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    file_kind = models.CharField(max_length=10)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveIntegerField(default=0)
    sheet_name = models.CharField(max_length=100, blank=True)
    # [[row number, [cell, ...]], ...] from the header row on; dates as {"date": "YYYY-MM-DD"}
    rows = models.JSONField(default=list)
    header_index = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=list, blank=True)  # a field name per column ("" = notes)
    fixes = models.JSONField(default=dict, blank=True)  # "row number" -> {field: value}
    skipped = models.JSONField(default=list, blank=True)  # row numbers the user chose to skip
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.MAPPING, editable=False)
    result = models.JSONField(default=dict, blank=True)  # counts and the reason for each skipped row
    imported_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.filename}"

    def get_absolute_url(self) -> str:
        if self.stage == self.Stage.MAPPING:
            return reverse("recovery:plan_import_mapping", kwargs={"pk": self.pk})
        return reverse("recovery:plan_import_preview", kwargs={"pk": self.pk})

    @property
    def row_count(self) -> int:
        """Rows below the header row (blank rows are not kept)."""
        return max(len(self.rows) - self.header_index - 1, 0)


class ImportedRow(TenantModel):
    """The action a plan row became, found again by ``row_key`` on the next import."""

    action = models.ForeignKey("recovery.RecoveryAction", on_delete=models.CASCADE, related_name="imported_rows")
    plan_import = models.ForeignKey(PlanImport, on_delete=models.PROTECT, related_name="imported_rows")
    row_key = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    row_number = models.PositiveIntegerField()
    notes = models.JSONField(default=dict, blank=True)  # heading -> text, as in the plan

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["service", "row_key"], name="importedrow_unique_key")]

    def __str__(self) -> str:
        return f"Row {self.row_number} of {self.plan_import.filename}"
