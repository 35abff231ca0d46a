"""The provider dashboard: every service side by side, for the NI, quality lead and board."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils import timezone

from core import permissions as policy
from core.links import url_for_each
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
    _link_rows(dashboard.rows)
    shares = provider_shares(request.user, provider_obj)
    return render(
        request,
        "governance/dashboard/provider.html",
        {"provider": provider_obj, "dashboard": dashboard, "shares": shares},
    )


def _service_url(name: str):
    """``reverse(name, service=slug)`` for every service at the cost of one reverse. None if no route."""
    try:
        return url_for_each(name, "service")
    except NoReverseMatch:
        return None


def _link_rows(rows) -> None:
    """Each row's links (the service page, its flags, its recovery map), worked out once per
    row instead of in the template, where each ``{% url %}`` is a reverse of its own."""
    page = _service_url("core:service_detail")
    flags, recovery_map = _service_url("governance:flag_list"), _service_url("recovery:map_service")
    for r in rows:
        r.url = page(r.service.slug)
        r.flags_url = flags(r.service.slug)
        r.map_url = recovery_map(r.service.slug) if recovery_map else ""
