"""Forms for sharing leadership learning and answering it. The rules live in ``services.py``."""

from __future__ import annotations

from django import forms

from core import limits
from core.forms import BoundedCharField, submit_helper


class LearningShareForm(forms.Form):
    services = forms.ModelMultipleChoiceField(
        label="Share with",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Other services of this provider. Each will say whether it applies there and what it changed.",
        error_messages={"required": "Choose at least one service to share the learning with."},
    )
    note = BoundedCharField(
        label="Why it may matter there (optional)",
        max_length=limits.NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services
        self.helper = submit_helper("Share learning")


class LearningShareResponseForm(forms.Form):
    applies = forms.TypedChoiceField(
        label="Does this learning apply at your service?",
        choices=[("yes", "Yes: we have acted on it"), ("no", "No: it does not apply here")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    what_changed = BoundedCharField(
        label="What you changed, or why it does not apply",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the service says which of the two is missing
        help_text="For example: the audit now samples ten records and the deputy re-checks two each month.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Record answer")
