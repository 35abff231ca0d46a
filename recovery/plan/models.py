"""Recovery plans: failure themes, leadership learning, actions, their steps and transitions.

Statuses change only through the transition functions in ``recovery/closure/services.py``
(actions) and ``recovery/plan/services.py`` (``theme_move``, themes); forms never carry a
status. Every action transition appends an ``ActionTransition`` row with a snapshot of the
evidence and measures; every theme move a ``ThemeTransition`` (both tables append-only).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from core import limits
from core.choices import Enforcement, Regulation, RiskLevel
from core.limits import length_checks, text_field
from core.models import FrameworkItem
from core.models.tenancy import TenantModel
from evidence.models import EvidenceItem


class FailureTheme(TenantModel):
    class Source(models.TextChoices):
        INSPECTION = "inspection", "CQC inspection report"
        INTERNAL_AUDIT = "internal_audit", "Internal audit"
        COMPLAINT = "complaint", "Complaint"
        SAFEGUARDING = "safeguarding", "Safeguarding"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MONITORING = "monitoring", "Monitoring"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200)
    weakness_found = text_field(
        "what was found", max_length=limits.NARRATIVE, help_text="The original weakness, in plain words."
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    source_reference = models.CharField(max_length=200, blank=True, help_text="e.g. the inspection report")
    source_date = models.DateField(null=True, blank=True)
    framework_items = models.ManyToManyField(FrameworkItem, blank=True, related_name="themes")
    regulations = models.JSONField(default=list, blank=True, help_text="Regulation codes breached.")
    enforcement = models.CharField(max_length=30, choices=Enforcement.choices, blank=True)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_themes")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, editable=False)
    closed_at = models.DateField(null=True, blank=True, editable=False)
    # Computed from the last closure and the review route's first layer (two governance cycles)
    # unless overridden. Review routes: ``recovery.reviewing`` (``review_layers``).
    keep_visible_until = models.DateField(null=True, blank=True)
    keep_visible_override = models.DateField(null=True, blank=True)
    keep_visible_override_reason = models.CharField(max_length=300, blank=True)
    evidence = models.ManyToManyField(EvidenceItem, blank=True, related_name="themes")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    class Meta:
        constraints = [*length_checks(weakness_found=limits.NARRATIVE)]
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("recovery:theme_detail", kwargs={"pk": self.pk})

    def regulation_labels(self) -> list[str]:
        return [Regulation(code).label for code in self.regulations if code in Regulation.values]

    @property
    def visible_until(self) -> datetime.date | None:
        return self.keep_visible_override or self.keep_visible_until

    def under_watch(self, today: datetime.date) -> bool:
        """Closed, but still inside its post-closure watch window."""
        until = self.visible_until
        return self.status != self.Status.OPEN and until is not None and today <= until


class ThemeMove(models.TextChoices):
    """The named transitions of a theme's status (``recovery.plan.services.theme_move``)."""

    MONITOR = "monitor", "Move to monitoring"
    CLOSE = "close", "Close the theme"
    REOPEN = "reopen", "Reopen the theme"


_T = FailureTheme.Status
# move -> (the statuses it leaves from, the status it arrives at).
THEME_MOVES: dict[str, tuple[frozenset[str], str]] = {
    ThemeMove.MONITOR: (frozenset({_T.OPEN}), _T.MONITORING),
    ThemeMove.CLOSE: (frozenset({_T.OPEN, _T.MONITORING}), _T.CLOSED),
    ThemeMove.REOPEN: (frozenset({_T.MONITORING, _T.CLOSED}), _T.OPEN),
}


def theme_moves_from(status: str) -> list[str]:
    """The moves allowed from ``status``, in the order pages offer them."""
    return [move for move, (sources, _to) in THEME_MOVES.items() if status in sources]


class ThemeTransition(models.Model):
    """Append-only record of one theme status change: which move, who, when and why."""

    theme = models.ForeignKey(FailureTheme, on_delete=models.PROTECT, related_name="transitions")
    move = models.CharField(max_length=20, choices=ThemeMove.choices)
    from_status = models.CharField(max_length=20, choices=FailureTheme.Status.choices)
    to_status = models.CharField(max_length=20, choices=FailureTheme.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = text_field(max_length=limits.NARRATIVE)  # an action's reopening reason is quoted

    class Meta:
        constraints = [*length_checks(reason=limits.NARRATIVE)]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.theme}: {self.from_status} → {self.to_status}"


class LeadershipLearning(TenantModel):
    class Factor(models.TextChoices):
        OVERSIGHT = "oversight", "Gaps in oversight"
        STAFF_SUPPORT = "staff_support", "Staff support"
        ESCALATION = "escalation", "Escalation"
        AUDIT_EFFECTIVENESS = "audit_effectiveness", "Audit effectiveness"
        CULTURE = "culture", "Culture"

    theme = models.ForeignKey(FailureTheme, on_delete=models.CASCADE, related_name="learning")
    factors = models.JSONField(default=list, blank=True)
    why_it_happened = text_field("what leaders learned about why it happened", max_length=limits.NARRATIVE)
    governance_change = text_field("what governance changed because of it", max_length=limits.NARRATIVE)
    how_tested = text_field("how the change is tested in practice", max_length=limits.NARRATIVE)
    evidence = models.ManyToManyField(EvidenceItem, blank=True, related_name="learning")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = text_field(blank=True, max_length=limits.NARRATIVE)

    class Meta:
        constraints = [
            *length_checks(
                why_it_happened=limits.NARRATIVE,
                governance_change=limits.NARRATIVE,
                how_tested=limits.NARRATIVE,
                review_note=limits.NARRATIVE,
            )
        ]
        ordering = ["-created_at"]
        verbose_name_plural = "leadership learning"

    def __str__(self) -> str:
        return f"Learning on {self.theme}"

    def factor_labels(self) -> list[str]:
        return [self.Factor(f).label for f in self.factors if f in self.Factor.values]


# An open action is "due soon" when its due date falls within this many days from today.
DUE_SOON_DAYS = 14


class RecoveryActionQuerySet(models.QuerySet):
    """The one definition of open, overdue and due soon, in SQL (see ``RecoveryAction``)."""

    def open(self) -> RecoveryActionQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: datetime.date) -> RecoveryActionQuerySet:
        return self.open().filter(due_date__lt=today)

    def due_soon(self, today: datetime.date) -> RecoveryActionQuerySet:
        return self.open().filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))

    @staticmethod
    def overdue_or_due_soon_q(today: datetime.date) -> Q:
        """Overdue or due soon, as a condition to OR with others (an open action with its due
        date today or within ``DUE_SOON_DAYS``, or before): no ``deadline_state`` CASE to build."""
        return Q(status__in=OPEN_STATUSES, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))

    def with_deadline(self, today: datetime.date) -> RecoveryActionQuerySet:
        """Annotate ``deadline_state``: "overdue", "due_soon" or "" (for narrow ``values()`` reads)."""
        is_open = Q(status__in=OPEN_STATUSES)
        soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
        return self.annotate(
            deadline_state=Case(
                When(is_open & Q(due_date__lt=today), then=Value(RecoveryAction.OVERDUE)),
                When(is_open & Q(due_date__lte=soon), then=Value(RecoveryAction.DUE_SOON)),
                default=Value(""),
                output_field=models.CharField(),
            )
        )


class RecoveryAction(TenantModel):
    """One action on a recovery plan, moved along the closure workflow.

    Open, overdue, due soon: one definition, used by scans, digests, agendas, dashboards, the
    map, packs and every page (``RecoveryAction.objects.open() / .overdue(today) /
    .due_soon(today)`` in SQL, ``is_open`` and ``deadline(today)`` for one loaded row):

    - an action is *open* until it is closed. Drafts are open: a draft still owes the work,
      and its due date still runs from the day it was written down;
    - an open action is *overdue* when its due date is before today;
    - an open action is *due soon* when its due date is today or within ``DUE_SOON_DAYS``.

    Templates show ``deadline(today)`` (or a row's ``deadline`` worked out by a selector) and
    never compare due dates themselves.
    """

    OVERDUE, DUE_SOON = "overdue", "due_soon"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSURE_PROPOSED = "closure_proposed", "Closure proposed"
        CLOSED = "closed", "Closed"
        REFUSED = "refused", "Closure refused"
        REOPENED = "reopened", "Reopened"

    theme = models.ForeignKey(FailureTheme, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(max_length=200)
    baseline_issue = text_field(max_length=limits.NARRATIVE, help_text="What is wrong now, as found.")
    intended_outcome = text_field(
        max_length=limits.NARRATIVE,
        blank=True,
        help_text="What will be different for people, defined before work starts.",
    )
    measurable_target = models.CharField(
        max_length=300, blank=True, help_text="e.g. 95% of sampled concerns escalated on time by 30 Jan"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_actions")
    due_date = models.DateField()
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    evidence_required = models.JSONField(default=list, blank=True, help_text="Source types that prove impact.")
    # The closure conditions set for this action beyond its defaults (``recovery.closure.conditions``):
    # {"steps": bool, "periods": [[measure id, periods], ...]}. Fixed when work starts; changed after
    # that only through ``action_set_closure_conditions``, with a reason that is recorded.
    closure_conditions = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    started_on = models.DateField(null=True, blank=True, editable=False)
    closure_note = text_field(blank=True, editable=False, max_length=limits.NARRATIVE)
    closure_justification = text_field(blank=True, editable=False, max_length=limits.NARRATIVE)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    proposed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    evidence = models.ManyToManyField(EvidenceItem, blank=True, related_name="actions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    objects = RecoveryActionQuerySet.as_manager()

    class Meta:
        constraints = [
            *length_checks(
                baseline_issue=limits.NARRATIVE,
                intended_outcome=limits.NARRATIVE,
                closure_note=limits.NARRATIVE,
                closure_justification=limits.NARRATIVE,
            )
        ]
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["provider", "service", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("recovery:action_detail", kwargs={"pk": self.pk})

    @property
    def reference(self) -> str:
        return f"A-{self.pk}"

    @property
    def is_high_risk(self) -> bool:
        return self.risk_level == RiskLevel.HIGH

    @property
    def is_open(self) -> bool:
        """Not closed (drafts included): see the class docstring."""
        return self.status in OPEN_STATUSES

    def deadline(self, today: datetime.date) -> str | None:
        """``"overdue"``, ``"due_soon"`` or None: the one rule, for a loaded row."""
        if not self.is_open:
            return None
        if self.due_date < today:
            return self.OVERDUE
        if self.due_date <= today + datetime.timedelta(days=DUE_SOON_DAYS):
            return self.DUE_SOON
        return None

    def is_overdue(self, today: datetime.date) -> bool:
        return self.deadline(today) == self.OVERDUE

    def days_overdue(self, today: datetime.date) -> int:
        return (today - self.due_date).days if self.is_overdue(today) else 0

    def can_move_to(self, status: str) -> bool:
        return status in ACTION_TRANSITIONS.get(self.status, frozenset())


_S = RecoveryAction.Status
# Every status but closed (drafts included): the one meaning of "open" for an action.
OPEN_STATUSES = frozenset(s for s in _S.values if s != _S.CLOSED)
# The closure workflow: every status an action may move to from each status. The services in
# ``recovery/closure/services.py`` are the only door; a refusal or a reopening passes through
# its own status (kept in the history) on the way back to "in progress".
ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.DRAFT: frozenset({_S.OPEN}),
    _S.OPEN: frozenset({_S.IN_PROGRESS}),
    _S.IN_PROGRESS: frozenset({_S.CLOSURE_PROPOSED}),
    _S.CLOSURE_PROPOSED: frozenset({_S.CLOSED, _S.REFUSED}),
    _S.REFUSED: frozenset({_S.IN_PROGRESS}),
    _S.CLOSED: frozenset({_S.REOPENED}),
    _S.REOPENED: frozenset({_S.IN_PROGRESS}),
}


class StepFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    EACH_SHIFT = "each_shift", "Each shift"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    ONCE = "once", "Once"


class ActionStep(models.Model):
    """An ordered operational step: who does what, how often, and where it is recorded.

    Its owner is a named person or a role at the service (at least one). A step is settled when
    it is done or marked not needed with a reason (``step_mark_not_needed``); the closure
    condition "every step done" counts settled steps.
    """

    action = models.ForeignKey(RecoveryAction, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_steps",
        null=True,
        blank=True,
        help_text="The named person who does it (or leave empty and name the role).",
    )
    role = models.CharField(max_length=120, blank=True, help_text="e.g. Senior carer on shift")
    what = text_field("what is done", max_length=limits.NARRATIVE)  # a step from an audit quotes it
    frequency = models.CharField(max_length=20, choices=StepFrequency.choices, blank=True)
    recorded_where = models.CharField("where it is recorded", max_length=200, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    done_on = models.DateField(null=True, blank=True)
    not_needed_reason = models.CharField(max_length=limits.SHORT_NOTE, blank=True)
    not_needed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    not_needed_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [*length_checks(what=limits.NARRATIVE)]
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"Step {self.order}: {self.what[:60]}"

    @property
    def who(self) -> str:
        """The named owner (with their role when both are given), else the role."""
        if self.owner_id and self.role:
            return f"{self.owner} ({self.role})"
        return str(self.owner) if self.owner_id else self.role

    @property
    def not_needed(self) -> bool:
        return bool(self.not_needed_reason)

    @property
    def settled(self) -> bool:
        return self.done_on is not None or self.not_needed

    @property
    def provider_id(self):  # for the permission policy
        return self.action.provider_id

    @property
    def service_id(self):
        return self.action.service_id


class ActionRisk(models.Model):
    """What could go wrong with an action, the early-warning signs, and who acts and how."""

    action = models.ForeignKey(RecoveryAction, on_delete=models.CASCADE, related_name="risks")
    order = models.PositiveSmallIntegerField(default=0)
    what_could_go_wrong = text_field("what could go wrong", max_length=limits.NOTE)
    early_warning = text_field("early-warning signs", max_length=limits.NOTE)
    who_acts = models.CharField("who acts", max_length=limits.NAME, help_text="A named person or a role.")
    how_they_act = text_field("how they act", max_length=limits.NOTE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            *length_checks(what_could_go_wrong=limits.NOTE, early_warning=limits.NOTE, how_they_act=limits.NOTE)
        ]
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"Risk on {self.action_id}: {self.what_could_go_wrong[:60]}"

    @property
    def provider_id(self):
        return self.action.provider_id

    @property
    def service_id(self):
        return self.action.service_id


class ActionTransition(models.Model):
    """Append-only record of one status change: who, when, why, and what was in front of them."""

    action = models.ForeignKey(RecoveryAction, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=RecoveryAction.Status.choices)
    to_status = models.CharField(max_length=20, choices=RecoveryAction.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set once, at creation (the table is append-only); a default rather than auto_now_add so
    # imports and the demo can record when a past decision was really taken.
    at = models.DateTimeField(default=timezone.now)
    reason = text_field(blank=True, max_length=limits.NARRATIVE)
    further_checks = text_field(
        blank=True, max_length=limits.NARRATIVE, help_text="For a refusal: what must be checked before closure."
    )
    snapshot = models.JSONField(default=dict, help_text="Evidence and measures at the moment of the decision.")

    class Meta:
        constraints = [*length_checks(reason=limits.NARRATIVE, further_checks=limits.NARRATIVE)]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"
