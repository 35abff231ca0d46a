from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from api.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-pk")


def token_of(user, pk: int) -> ApiToken:
    """One of the user's own tokens; anyone else's is 404."""
    try:
        return tokens_of(user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404("Not found") from None
