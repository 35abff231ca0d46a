"""The provider dashboard: every service side by side, for the NI, quality lead and board."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from core import permissions as policy
from core.models import Provider
from governance.flags.selectors import provider_dashboard as build_dashboard
from recovery.learning.selectors import provider_shares


def may_see_dashboard(user, provider: Provider) -> bool:
    """Provider-wide roles (NI, quality lead, board, ...) see the whole provider at once."""
    return provider.pk in policy.access_for(user).wide_provider_ids(policy.Verb.VIEW)


@login_required
def provider_dashboard(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    if not may_see_dashboard(request.user, provider_obj):
        raise PermissionDenied("The provider dashboard is for people with a role across the provider.")
    dashboard = build_dashboard(provider_obj, timezone.localdate())
    shares = provider_shares(request.user, provider_obj)
    return render(
        request,
        "governance/dashboard/provider.html",
        {"provider": provider_obj, "dashboard": dashboard, "shares": shares},
    )
