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
    # A meeting of a recurring series, and the day the series planned it for (kept when the
    # meeting is moved, so the series never plans that day twice).
    series = models.ForeignKey(
        "governance.ReviewSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        editable=False,
    )
    occurrence_on = models.DateField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    cancel_reason = text_field("reason for cancelling", blank=True, max_length=limits.NOTE, editable=False)

    class Meta:
        constraints = [
            *length_checks(summary=limits.LONG_NARRATIVE, cancel_reason=limits.NOTE),
            models.UniqueConstraint(
                fields=["series", "occurrence_on"],
                condition=Q(series__isnull=False),
                name="review_once_per_series_occurrence",
            ),
        ]
        ordering = ["-scheduled_for"]
        indexes = [models.Index(fields=["provider", "service", "scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_for:%d %b %Y})"

    def get_absolute_url(self) -> str:
        return reverse("governance:review_detail", kwargs={"pk": self.pk})

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.FINALISED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


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
        REQUEST = "request", "Request or challenge from an earlier review"
        THEME_SUMMARY = "theme_summary", "Theme summary"
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
    # Who put an item on the agenda by hand (other business, a theme summary): they own it.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

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
    # The person who must answer (by default the owner of what it is about) and by when.
    addressed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="requests_to_answer"
    )
    due_on = models.DateField(null=True, blank=True)
    # Evidence the answer points to (items of the same service or provider).
    evidence = models.ManyToManyField(EvidenceItem, blank=True, related_name="+")

    class Meta:
        constraints = [*length_checks(text=limits.NOTE, response=limits.NARRATIVE)]
        ordering = ["raised_at", "pk"]
        indexes = [models.Index(fields=["addressed_to", "responded_at", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("governance:request_detail", kwargs={"pk": self.pk})

    @property
    def is_answered(self) -> bool:
        return self.responded_at is not None

    def is_overdue(self, today) -> bool:
        return not self.is_answered and self.due_on is not None and self.due_on < today


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


class ReviewTransition(models.Model):
    """One move of a review's status or time (scheduled, moved, started, finalised, cancelled).
    Append-only: the record of what happened to the meeting."""

    class Move(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RESCHEDULED = "rescheduled", "Moved"
        STARTED = "started", "Started"
        FINALISED = "finalised", "Finalised"
        CANCELLED = "cancelled", "Cancelled"
        AMENDED = "amended", "Minutes amended"

    review = models.ForeignKey(OversightReview, on_delete=models.PROTECT, related_name="transitions")
    move = models.CharField(max_length=20, choices=Move.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = text_field(blank=True, max_length=limits.NOTE)
    snapshot = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [*length_checks(note=limits.NOTE)]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_move_display()}: {self.review_id}"


class ReviewAttendance(models.Model):
    """Whether one invited person attended a review, sent apologies or was absent."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        APOLOGIES = "apologies", "Apologies"
        ABSENT = "absent", "Absent without apologies"

    review = models.ForeignKey(OversightReview, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "person"], name="attendance_once_per_person")]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_status_display()}"


class ReviewSeries(models.Model):
    """A recurring meeting (weekly service review, monthly leadership review, quarterly board)
    of one service or across a provider. Its meetings are planned ahead over a rolling horizon
    (``governance.reviews.series.SERIES_HORIZON_DAYS``)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        MONTHLY = "monthly", "Every month"
        QUARTERLY = "quarterly", "Every three months"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="review_series")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="review_series", null=True, blank=True)
    kind = models.CharField(max_length=30, choices=OversightReview.Kind.choices)
    title = models.CharField(max_length=200)
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    starts_on = models.DateField()
    time_of_day = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    active = models.BooleanField(default=True, editable=False)
    planned_until = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "review series"

    def __str__(self) -> str:
        return f"{self.title} ({self.get_frequency_display().lower()})"
