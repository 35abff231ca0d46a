"""What a token may do, before the permission policy is asked about the object.

A read token may only read (GET, HEAD, OPTIONS): any write is 403 whatever the user's role.
A write token may record data points where the user's role allows it; the policy decides that
(``core.permissions``, through the measure selectors), with 404 for another provider's object.
"""

from __future__ import annotations

from rest_framework import permissions

from api.models import ApiToken


class TokenScope(permissions.BasePermission):
    message = "This token is read-only: make a token with the write scope to record data points."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 (not authenticated) for this
        if request.method in permissions.SAFE_METHODS:
            return True
        return token.can_write
