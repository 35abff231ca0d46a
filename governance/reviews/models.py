"""Oversight reviews: meetings, their agenda, challenges, decisions, actions arising and amendments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core import limits
from core.limits import length_checks, text_field
from core.models import Provider, Service
from evidence.models import EvidenceItem
from recovery.models import RecoveryAction


class OversightReview(models.Model):
    """A governance meeting: weekly service review, monthly leadership review, quarterly board review."""

    class Kind(models.TextChoices):
        WEEKLY_SERVICE = "weekly_service", "Weekly service review"
        MONTHLY_LEADERSHIP = "monthly_leadership", "Monthly leadership review"
        QUARTERLY_PROVIDER = "quarterly_provider", "Quarterly provider review"
        QUARTERLY_BOARD = "quarterly_board", "Quarterly board review"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        FINALISED = "finalised", "Finalised"
        CANCELLED = "cancelled", "Cancelled"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="reviews")
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="reviews",
        null=True,
        blank=True,
        help_text="Empty for a review across the provider.",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    scheduled_for = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chaired_reviews")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="reviews_attended")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    summary = text_field("minutes summary", blank=True, max_length=limits.LONG_NARRATIVE)
    finalised_at = models.DateTimeField(null=True, blank=True, editable=False)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    minutes_evidence = models.OneToOneField(
        EvidenceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="review", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [*length_checks(summary=limits.LONG_NARRATIVE)]
        ordering = ["-scheduled_for"]
        indexes = [models.Index(fields=["provider", "service", "scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_for:%d %b %Y})"

    def get_absolute_url(self) -> str:
        return reverse("governance:review_detail", kwargs={"pk": self.pk})

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.FINALISED


class AgendaItem(models.Model):
    """One thing a review looks at. Built from live data; kept once the meeting records on it."""

    class Kind(models.TextChoices):
        CLOSURE_PROPOSAL = "closure_proposal", "Closure proposal awaiting decision"
        FLAG = "flag", "Open flag"
        HIGH_RISK_THEME = "high_risk_theme", "High-risk theme"
        MEASURE_CONCERN = "measure_concern", "Measure off track or with a concern signal"
        OVERDUE_ACTION = "overdue_action", "Overdue action"
        OVERDUE_AUDIT = "overdue_audit", "Overdue audit"
        WATCH_THEME = "watch_theme", "Theme in post-closure watch"
        OTHER = "other", "Other business"

    class Decision(models.TextChoices):
        ASSURED = "assured", "Assured"
        PARTLY_ASSURED = "partly_assured", "Partly assured"
        NOT_ASSURED = "not_assured", "Not assured"

    review = models.ForeignKey(OversightReview, on_delete=models.CASCADE, related_name="agenda_items")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_type = models.CharField(max_length=30, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=250)
    subject_url = models.CharField(max_length=250, blank=True)
    snapshot = models.JSONField(default=dict, blank=True, help_text="What the data said when the item was added.")
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    rationale = text_field(blank=True, max_length=limits.LONG_NARRATIVE)  # a closure decision: rationale and checks
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "order", "pk"]
        constraints = [
            *length_checks(rationale=limits.LONG_NARRATIVE),
            models.UniqueConstraint(
                fields=["review", "kind", "subject_type", "subject_id"],
                condition=Q(subject_id__isnull=False),
                name="agenda_item_once_per_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def provider_id(self):
        return self.review.provider_id

    @property
    def service_id(self):
        return self.review.service_id


class Challenge(models.Model):
    """A question or challenge raised in a review or on a closure proposal, and its response."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        CHALLENGE = "challenge", "Challenge"
        EVIDENCE_REQUEST = "evidence_request", "Request for further evidence"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    review = models.ForeignKey(
        OversightReview, on_delete=models.CASCADE, related_name="challenges", null=True, blank=True
    )
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, related_name="challenges", null=True, blank=True
    )
    action = models.ForeignKey(
        RecoveryAction, on_delete=models.PROTECT, related_name="challenges", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CHALLENGE)
    text = text_field(max_length=limits.NOTE)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    response = text_field(blank=True, max_length=limits.NARRATIVE)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [*length_checks(text=limits.NOTE, response=limits.NARRATIVE)]
        ordering = ["raised_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class ReviewActionArising(models.Model):
    """An action agreed in a review: owner and date, optionally a recovery action."""

    review = models.ForeignKey(OversightReview, on_delete=models.CASCADE, related_name="actions_arising")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions_arising"
    )
    description = text_field(max_length=limits.NOTE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    recovery_action = models.ForeignKey(
        RecoveryAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [*length_checks(description=limits.NOTE)]

    def __str__(self) -> str:
        return self.description[:80]


class ReviewAmendment(models.Model):
    """A change to finalised minutes: the reason and what changed. Append-only."""

    review = models.ForeignKey(OversightReview, on_delete=models.PROTECT, related_name="amendments")
    reason = text_field(max_length=limits.NOTE)
    changes = models.JSONField(default=dict)
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [*length_checks(reason=limits.NOTE)]

    def __str__(self) -> str:
        return f"Amendment to {self.review}"


class CalendarFeed(models.Model):
    """A person's calendar feed secret: renewed or revoked from the calendar page.

    The feed's address carries an HMAC of the user's id, this secret and their password hash
    (governance/reviews/selectors.py), so renewing the secret, revoking the feed or changing the
    password each stops every earlier address. A person with no row has a feed with an empty
    secret until they first renew or revoke it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    secret = models.CharField(max_length=64, blank=True)
    revoked = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class AgendaItemReview(models.Model):
    """The review record a meeting's agenda item wrote on a layer of its subject's review route.

    The record itself is the recovery app's (``recovery.ReviewRecord``, append-only); this link
    lives on the governance side because the agenda item does. One review per item and layer.
    """

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="layer_reviews")
    record = models.OneToOneField("recovery.ReviewRecord", on_delete=models.PROTECT, related_name="agenda_link")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.record} ({self.agenda_item})"
