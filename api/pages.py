"""The account page's API tokens: list, make (the token is shown once) and revoke."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from api import selectors, services
from api.forms import RevokeForm, TokenForm
from core.views import button, form_page, redrawn_status


@login_required
def tokens(request):
    if request.method == "POST" and "revoke" in request.POST:
        return _revoke(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    made: dict = {}

    def save(data):
        row, token = services.token_create(
            user=request.user, name=data["name"], scope=data["scope"], actor=request.user
        )
        made.update(row=row, token=token)
        return row

    def page(status: int):
        response = render(
            request,
            "api/tokens.html",
            {
                "form": TokenForm() if made else form,
                "made": made,
                "revoke_form": RevokeForm(),
                "tokens": selectors.tokens_of(request.user),
            },
            status=status,
        )
        add_never_cache_headers(response)  # a page showing a new token must not be kept
        return response

    return form_page(
        request, form, save=save, success=lambda row: page(200), render=lambda: page(redrawn_status(request))
    )


def _revoke(request):
    form = RevokeForm(request.POST)
    if not form.is_valid():
        raise Http404("Not found")
    token = selectors.token_of(request.user, form.cleaned_data["revoke"])
    return button(
        request,
        lambda: services.token_revoke(token=token, actor=request.user),
        done=f"Token \u201c{token.name}\u201d revoked: it no longer works.",
        to="api:tokens",
    )
