from __future__ import annotations

from django import forms

from api.models import ApiToken
from core.forms import BoundedCharField


class TokenForm(forms.Form):
    name = BoundedCharField(
        label="Name", max_length=100, help_text="What will use it, e.g. the rota system or a nightly export."
    )
    scope = forms.ChoiceField(
        label="What it may do",
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="It never does more than your own role allows.",
    )


class RevokeForm(forms.Form):
    revoke = forms.IntegerField(widget=forms.HiddenInput)
