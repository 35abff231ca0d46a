"""The CQC assessment framework, stored as versioned data.

Frameworks change (SAF 2023 is being replaced by a draft adult social care framework), so
themes, evidence and audit templates point at items of any version, and a crosswalk links
items across versions. Only names and codes are seeded; admins may edit the text.
"""

from django.db import models

from core import limits
from core.limits import length_checks, text_field


class FrameworkVersion(models.Model):
    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        DRAFT = "draft", "Draft"
        SUPERSEDED = "superseded", "Superseded"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices)
    published = models.DateField(null=True, blank=True)
    item_label = models.CharField(
        max_length=60, default="Quality statement", help_text="What this version calls its items."
    )
    scored = models.BooleanField(default=True, help_text="Whether items are scored 1-4.")

    class Meta:
        ordering = ["published", "code"]

    def __str__(self) -> str:
        suffix = " (draft)" if self.status == self.Status.DRAFT else ""
        return f"{self.name}{suffix}"


class KeyQuestion(models.Model):
    """Safe, Effective, Caring, Responsive, Well-led: the same five in every version so far."""

    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="key_questions")
    code = models.SlugField(max_length=20)
    name = models.CharField(max_length=60)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="keyquestion_unique_code")]

    def __str__(self) -> str:
        return self.name


class FrameworkItem(models.Model):
    """A quality statement (SAF) or a key line of enquiry (2026 draft)."""

    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="items")
    key_question = models.ForeignKey(KeyQuestion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    description = text_field(blank=True, max_length=limits.NARRATIVE)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "key_question__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="frameworkitem_unique_code"),
            *length_checks(description=limits.NARRATIVE),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EvidenceCategory(models.Model):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="evidence_categories")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "order"]
        verbose_name_plural = "evidence categories"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="evidencecategory_unique_code")]

    def __str__(self) -> str:
        return self.name


class FrameworkCrosswalk(models.Model):
    """Says that an item of one version covers (some of) an item of another."""

    class Strength(models.TextChoices):
        EQUIVALENT = "equivalent", "Equivalent"
        PARTIAL = "partial", "Partly covers"

    source = models.ForeignKey(FrameworkItem, on_delete=models.CASCADE, related_name="crosswalk_out")
    target = models.ForeignKey(FrameworkItem, on_delete=models.CASCADE, related_name="crosswalk_in")
    strength = models.CharField(max_length=20, choices=Strength.choices, default=Strength.EQUIVALENT)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="crosswalk_unique_pair")]
        verbose_name = "framework crosswalk entry"
        verbose_name_plural = "framework crosswalk"

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"
