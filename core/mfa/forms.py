from django import forms

from core.forms import BoundedCharField, submit_helper


class CodeForm(forms.Form):
    """A code from the authenticator app, or (on the sign-in step) a recovery code."""

    code = BoundedCharField(
        label="Code",
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )

    def __init__(self, *args, button: str = "Continue", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = help_text
        self.helper = submit_helper(button)
