"""Forms for review routes: a layer (who reviews, how often) and a review recorded outside a meeting.

Forms collect and tidy input; ``recovery.reviewing.services`` decides.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core import limits
from core.choices import Cadence
from core.forms import BoundedCharField, DateInput, PlausibleDateField, submit_helper
from core.models import Role
from recovery.reviewing.models import ReviewOutcome
from recovery.reviewing.services import OUTSIDE_MEETING_OUTCOMES


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class LayerForm(forms.Form):
    reviewer_role = forms.ChoiceField(
        label="Reviewed by (role)",
        choices=[("", "A named person instead"), *Role.choices],
        required=False,
        help_text="Whoever holds this role at the service (or across the provider) reviews it.",
    )
    reviewer = PersonChoiceField(
        label="Reviewed by (a named person)",
        queryset=None,
        required=False,
        help_text="Only when one person, not a role, reviews this layer.",
    )
    cadence = forms.ChoiceField(label="How often", choices=Cadence.choices)

    def __init__(self, *args, people, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = people
        self.helper = submit_helper("Save layer" if edit else "Add layer")

    def clean(self):
        data = super().clean()
        if not data.get("reviewer_role") and not data.get("reviewer"):
            self.add_error("reviewer_role", "Choose who reviews: a role, or a named person.")
        return data


class ReviewRecordForm(forms.Form):
    layer = forms.ModelChoiceField(label="Which review", queryset=None, empty_label=None)
    reviewed_on = PlausibleDateField(label="Reviewed on", widget=DateInput(), initial=timezone.localdate)
    reviewed_by = PersonChoiceField(label="Reviewed by", queryset=None, empty_label=None)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[(o.value, o.label) for o in ReviewOutcome if o in OUTSIDE_MEETING_OUTCOMES],
        widget=forms.RadioSelect,
    )
    looked_at = BoundedCharField(
        label="What was looked at",
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The records, evidence or practice the review tested, and what it showed.",
    )

    def __init__(self, *args, layers, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layer"].queryset = layers
        self.fields["layer"].label_from_instance = lambda layer: (
            f"{layer.name} (next due {layer.next_due:%-d %b %Y})" if layer.next_due else layer.name
        )
        self.fields["reviewed_by"].queryset = people
        self.fields["reviewed_on"].widget.attrs.update({"max": timezone.localdate().isoformat()})
        self.helper = submit_helper("Record the review")
