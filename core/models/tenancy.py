"""The base of every record that belongs to a provider and, unless provider-wide, one of its services."""

from __future__ import annotations

from django.db import models

from core.models.organisations import Provider, Service


class TenantModel(models.Model):
    """Belongs to a provider and, unless provider-wide, to one of its services."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
