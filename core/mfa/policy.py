"""Who must use a second factor, and what a signed-in session still owes."""

from __future__ import annotations

import enum

from django.conf import settings
from django.core.checks import Error, register
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import permissions
from core.models import Role

# The name in MFA_REQUIRED_ROLES for Django staff and superusers (the admin site).
STAFF = "staff"
KNOWN_ROLES = frozenset(Role.values) | {STAFF}


class Step(enum.StrEnum):
    """What a session signed in with a password still has to do."""

    VERIFY = "verify"  # give a code from the enrolled app (or a recovery code)
    ENROL = "enrol"  # must use a second factor and has none yet


def required_reason(user) -> str | None:
    """Why ``user`` must use a second factor (for the pages to say), or None if they need not."""
    roles = set(settings.MFA_REQUIRED_ROLES)
    if STAFF in roles and (user.is_staff or user.is_superuser):
        return "you can use the administration site"
    membership = user.memberships.filter(role__in=roles).first() if roles else None
    if membership is not None:
        return f"your role as {membership.get_role_display().lower()} requires it"
    service = permissions.services(user).filter(mfa_required=True).first()
    if service is not None:
        return f"{service.name} requires it for everyone"
    return None


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def step_due(user) -> Step | None:
    """The step a password-only session of ``user`` owes before any other page."""
    if is_enrolled(user):
        return Step.VERIFY
    if required_reason(user):
        return Step.ENROL
    return None


@register()
def check_required_roles(app_configs=None, **kwargs):
    """MFA_REQUIRED_ROLES must name roles that exist: a typo would silently require nothing."""
    unknown = sorted(set(settings.MFA_REQUIRED_ROLES) - KNOWN_ROLES)
    if not unknown:
        return []
    return [
        Error(
            f"MFA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
            hint=f"Use any of: {', '.join(sorted(KNOWN_ROLES))}.",
            id="core.E101",
        )
    ]
