"""Review routes: the layers that review each action and theme, and the record of each review.

A *layer* says who reviews (a role at the subject's service or provider, or a named person)
and how often (``core.choices.Cadence``), and keeps the day it was last reviewed and the day
the next review is due. A *review record* is one review that happened: append-only, written
only by ``recovery.reviewing.services.review_record``, which also moves the layer's dates.

Where a review happened is kept as plain words and a link (``place``/``place_url``): a
meeting's agenda item is a governance object, and the link to it lives in governance
(``governance.reviews.models.AgendaItemReview``). An empty place means "outside a meeting".
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import limits
from core.choices import CADENCE_DAYS, Cadence
from core.limits import length_checks, text_field
from core.models import Role
from core.models.tenancy import TenantModel
from recovery.plan.models import FailureTheme, RecoveryAction

# How a layer names its reviewer in a heading ("Monthly NI review").
ROLE_SHORT = {
    Role.REGISTERED_MANAGER: "RM",
    Role.DEPUTY_MANAGER: "deputy manager",
    Role.LEAD: "lead",
    Role.ACTION_OWNER: "action owner",
    Role.QUALITY_LEAD: "quality lead",
    Role.NOMINATED_INDIVIDUAL: "NI",
    Role.BOARD_MEMBER: "provider board",
    Role.VIEWER: "viewer",
}


class ReviewOutcome(models.TextChoices):
    ASSURED = "assured", "Assured"
    NOT_ASSURED = "not_assured", "Not assured"
    FURTHER_CHECKS = "further_checks", "Further checks needed"
    DECISION_RECORDED = "decision_recorded", "Decision recorded"


class ReviewLayer(TenantModel):
    """One layer of a subject's review route: who reviews it, how often, when last and next."""

    action = models.ForeignKey(
        RecoveryAction, on_delete=models.CASCADE, null=True, blank=True, related_name="review_layers"
    )
    theme = models.ForeignKey(
        FailureTheme, on_delete=models.CASCADE, null=True, blank=True, related_name="review_layers"
    )
    reviewer_role = models.CharField("reviewed by (role)", max_length=30, choices=Role.choices, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="reviewed by (person)",
    )
    cadence = models.CharField(max_length=20, choices=Cadence.choices)
    order = models.PositiveSmallIntegerField(default=0)
    last_reviewed_on = models.DateField(null=True, blank=True, editable=False)
    # Empty until the action starts (a draft owes no review); a theme's runs from its creation.
    next_due = models.DateField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(action__isnull=False) & Q(theme__isnull=True))
                | (Q(action__isnull=True) & Q(theme__isnull=False)),
                name="review_layer_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(reviewer_role="") | Q(reviewer__isnull=False),
                name="review_layer_names_a_reviewer",
            ),
        ]
        indexes = [models.Index(fields=["provider", "next_due"])]

    def __str__(self) -> str:
        return self.name

    @property
    def subject(self) -> RecoveryAction | FailureTheme:
        return self.action if self.action_id else self.theme

    @property
    def subject_type(self) -> str:
        return "action" if self.action_id else "theme"

    @property
    def reviewer_label(self) -> str:
        """Who reviews, in full: "Nominated individual", or the named person."""
        if self.reviewer_id:
            return str(self.reviewer)
        return Role(self.reviewer_role).label

    @property
    def name(self) -> str:
        """ "Monthly NI review", "Weekly review by Sam Patel"."""
        cadence = Cadence(self.cadence).label
        if self.reviewer_id:
            return f"{cadence} review by {self.reviewer}"
        return f"{cadence} {ROLE_SHORT.get(self.reviewer_role, self.reviewer_role)} review"

    @property
    def name_in_sentence(self) -> str:
        """ "monthly NI review": the name inside a sentence (the role's short form keeps its case)."""
        return self.name[0].lower() + self.name[1:]

    @property
    def is_active(self) -> bool:
        return self.retired_at is None

    def due_after(self, day: datetime.date) -> datetime.date:
        return day + datetime.timedelta(days=CADENCE_DAYS[self.cadence])

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_active and self.next_due is not None and self.next_due < today


class ReviewRecord(models.Model):
    """One review that happened: which layer, of what, when, by whom, the outcome and on what.

    Append-only (a database trigger on PostgreSQL refuses updates and deletes).
    """

    provider = models.ForeignKey("core.Provider", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("core.Service", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    layer = models.ForeignKey(ReviewLayer, on_delete=models.PROTECT, related_name="records")
    action = models.ForeignKey(
        RecoveryAction, on_delete=models.PROTECT, null=True, blank=True, related_name="review_records"
    )
    theme = models.ForeignKey(
        FailureTheme, on_delete=models.PROTECT, null=True, blank=True, related_name="review_records"
    )
    reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    looked_at = text_field("what was looked at", max_length=limits.NOTE)
    # Where: a meeting's agenda item (words and a link, written by governance) or empty for
    # "outside a meeting".
    place = models.CharField(max_length=250, blank=True)
    place_url = models.CharField(max_length=250, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        constraints = [*length_checks(looked_at=limits.NOTE)]
        indexes = [models.Index(fields=["action", "reviewed_on"]), models.Index(fields=["theme", "reviewed_on"])]

    def __str__(self) -> str:
        return f"{self.layer.name} on {self.reviewed_on:%d %b %Y}"

    @property
    def where(self) -> str:
        return self.place or "Outside a meeting"
