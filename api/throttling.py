"""Rate limits per token (DRF throttling; rates in settings, ``API_RATE_LIMIT`` and
``API_WRITE_RATE_LIMIT``). Counted in the default cache (Redis when configured)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Every request of one token."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}


class TokenWriteRateThrottle(TokenRateThrottle):
    """Writes of one token (a bulk call counts once)."""

    scope = "api_token_write"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        return super().get_cache_key(request, view)
