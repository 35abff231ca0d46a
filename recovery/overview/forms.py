"""The recovery map's filters."""

from __future__ import annotations

from django import forms

from core.choices import RiskLevel
from recovery.models import RecoveryAction


class MapFilterForm(forms.Form):
    """GET filters for the recovery map. Invalid choices are reported and ignored."""

    service = forms.ModelChoiceField(
        label="Service", queryset=None, required=False, to_field_name="slug", empty_label="All services"
    )
    key_question = forms.ChoiceField(label="Key question", required=False)
    risk = forms.ChoiceField(label="Risk", required=False, choices=[("", "Any risk"), *RiskLevel.choices])
    status = forms.ChoiceField(
        label="Action status", required=False, choices=[("", "Any status"), *RecoveryAction.Status.choices]
    )

    def __init__(self, *args, services=None, key_questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        if services is None:
            del self.fields["service"]
        else:
            self.fields["service"].queryset = services
        self.fields["key_question"].choices = [("", "Any key question"), *key_questions]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select-sm"

    def filters(self) -> dict:
        """The valid filters (empty when the form is unbound or a value was not recognised)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
