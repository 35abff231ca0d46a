"""Email digests: one row per person and period, claimed before sending."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DigestSent(models.Model):
    """One email digest per person per period: makes the digest job safe to run twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # weekly / monthly
    period = models.CharField(max_length=20)  # e.g. 2026-W47 or 2026-11
    sent_at = models.DateTimeField(auto_now_add=True)
    # What this digest listed (url -> [label, urgency]), so the next can say what changed since.
    items = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "period"], name="one_digest_per_period")]

    def __str__(self) -> str:
        return f"{self.kind} digest {self.period} to {self.user}"
