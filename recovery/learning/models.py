"""Learning shared between services of one provider, and what each receiving service did with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core import limits
from core.limits import length_checks, text_field
from core.models.tenancy import TenantModel
from recovery.plan.models import LeadershipLearning


class LearningShare(TenantModel):
    """A theme's leadership learning offered to another service of the same provider.

    The tenant columns are the *receiving* service's (``service``): its people see it on their
    service page and answer it; the learning's own service keeps the learning. One share per
    learning and receiving service. ``applies`` stays empty until the receiving service
    answers (``learning_share_respond``): whether the learning applies there and, if it does,
    what it changed; if not, why not.
    """

    learning = models.ForeignKey(LeadershipLearning, on_delete=models.PROTECT, related_name="shares")
    note = text_field("why it may matter there", blank=True, max_length=limits.NOTE)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applies = models.BooleanField(null=True, editable=False)
    what_changed = text_field(blank=True, editable=False, max_length=limits.NARRATIVE)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    responded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["learning", "service"], name="one_share_per_learning_and_service"),
            *length_checks(note=limits.NOTE, what_changed=limits.NARRATIVE),
        ]

    def __str__(self) -> str:
        return f"{self.learning} → {self.service}"

    @property
    def answered(self) -> bool:
        return self.applies is not None

    @property
    def outcome_label(self) -> str:
        if self.applies is None:
            return "Awaiting an answer"
        return "Adopted" if self.applies else "Does not apply here"
