from django.conf import settings
from django.db import models
from django.urls import reverse


class Rating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not_rated", "Not yet rated"


class ServiceType(models.TextChoices):
    RESIDENTIAL = "residential", "Residential care home"
    NURSING = "nursing", "Nursing home"
    HOMECARE = "homecare", "Homecare"
    SUPPORTED_LIVING = "supported_living", "Supported living"


class Role(models.TextChoices):
    REGISTERED_MANAGER = "registered_manager", "Registered manager"
    DEPUTY_MANAGER = "deputy_manager", "Deputy manager"
    LEAD = "lead", "Lead"
    ACTION_OWNER = "action_owner", "Action owner"
    QUALITY_LEAD = "quality_lead", "Quality lead"
    NOMINATED_INDIVIDUAL = "nominated_individual", "Nominated individual"
    BOARD_MEMBER = "board_member", "Provider board member"
    VIEWER = "viewer", "Read-only viewer"


class Provider(models.Model):
    """The registered organisation; the boundary no data ever crosses."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    cqc_provider_id = models.CharField("CQC provider id", max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:provider_detail", kwargs={"provider": self.slug})


class Service(models.Model):
    """A location registered with CQC (a care home, a homecare branch, ...)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    cqc_location_id = models.CharField("CQC location id", max_length=30, blank=True)
    last_inspection_date = models.DateField(null=True, blank=True)
    overall_rating = models.CharField(max_length=30, choices=Rating.choices, default=Rating.NOT_RATED)
    rating_safe = models.CharField("Safe", max_length=30, choices=Rating.choices, default=Rating.NOT_RATED)
    rating_effective = models.CharField("Effective", max_length=30, choices=Rating.choices, default=Rating.NOT_RATED)
    rating_caring = models.CharField("Caring", max_length=30, choices=Rating.choices, default=Rating.NOT_RATED)
    rating_responsive = models.CharField("Responsive", max_length=30, choices=Rating.choices, default=Rating.NOT_RATED)
    rating_well_led = models.CharField("Well-led", max_length=30, choices=Rating.choices, default=Rating.NOT_RATED)
    mfa_required = models.BooleanField(
        "require a second factor",
        default=False,
        help_text="Everyone who can reach this service (its own staff and the provider-wide roles) "
        "must sign in with a code from an authenticator app.",
    )

    class Meta:
        ordering = ["provider__name", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:service_detail", kwargs={"service": self.slug})

    def key_question_ratings(self) -> list[tuple[str, str, str]]:
        """(key question, rating value, rating label) in the framework's order."""
        fields = ["rating_safe", "rating_effective", "rating_caring", "rating_responsive", "rating_well_led"]
        return [
            (self._meta.get_field(f).verbose_name, getattr(self, f), getattr(self, f"get_{f}_display")())
            for f in fields
        ]


class Membership(models.Model):
    """One role for one user, across a whole provider (service empty) or at one service."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        help_text="Leave empty for a role across the whole provider.",
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider__name", "service__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "service", "role"], name="membership_unique_role_at_service"
            ),
            models.UniqueConstraint(
                fields=["user", "provider", "role"],
                condition=models.Q(service__isnull=True),
                name="membership_unique_provider_wide_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.service.name if self.service_id else f"{self.provider.name} (all services)"
        return f"{self.user} – {self.get_role_display()} at {where}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.service_id and self.service.provider_id != self.provider_id:
            raise ValidationError({"service": "The service must belong to the provider."})
