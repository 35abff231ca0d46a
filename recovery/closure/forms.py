"""Forms for moving an action along its lifecycle: open, start, propose closure, decide, reopen.

They collect and tidy input; ``recovery/closure/services.py`` decides. No status field here.
"""

from __future__ import annotations

from django import forms

from core.forms import submit_helper


class ConfirmForm(forms.Form):
    """Open or start an action: nothing to type, but a real form (with CSRF)."""

    def __init__(self, *args, submit: str = "Confirm", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(submit)


class ProposeClosureForm(forms.Form):
    note = forms.CharField(
        label="Closure note",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What changed for people, and how you know.",
    )
    justification = forms.CharField(
        label="Justification (if a measure is not met)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Only needed when a measure has not met its target, or there is no measure.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Propose closure")


class DecideForm(forms.Form):
    APPROVE, REFUSE = "approve", "refuse"
    decision = forms.ChoiceField(
        label="Decision",
        choices=[(APPROVE, "Approve closure"), (REFUSE, "Refuse closure")],
        widget=forms.RadioSelect,
    )
    rationale = forms.CharField(label="Rationale", widget=forms.Textarea(attrs={"rows": 4}))
    further_checks = forms.CharField(
        label="Further checks required (when refusing)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REFUSE and not (data.get("further_checks") or "").strip():
            self.add_error("further_checks", "Name the further checks needed before closure can be proposed again.")
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Record decision")


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why reopen",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. the measure has worsened since closure.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Reopen action", css="btn-warning")
