"""Token authentication for the REST API: ``Authorization: Bearer rg_...``.

No session, no cookies, no redirect: a request without a token, or with a wrong, revoked or
disabled one, gets 401 JSON (``WWW-Authenticate: Bearer``). The token acts as its user, so the
permission policy (``core/permissions.py``) decides what it sees, as on the pages.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api import tokens
from api.models import ApiToken

# last_used_at is written at most this often per token (a plain UPDATE, not on the trail).
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not token.strip():
            raise exceptions.AuthenticationFailed('Send the token as "Authorization: Bearer <token>".')
        return self.authenticate_token(token.strip())

    def authenticate_token(self, token: str):
        prefix = tokens.prefix_of(token)
        row = None
        if prefix is not None:
            row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if row is None or not tokens.matches(token, row.secret_hash):
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if row.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The token has been revoked.")
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is disabled.")
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            row.last_used_at = now
        return row.user, row

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from your account page or `manage.py api_token` (rg_...).",
        }
