"""Forms for moving an action along its lifecycle: open, start, propose closure, decide, reopen.

They collect and tidy input; ``recovery/closure/services.py`` decides. No status field here.
``ClosureDecisionForm`` is the only closure-decision form in the project: the closure-review
screen and review meetings use it too.
"""

from __future__ import annotations

from django import forms

from core import limits
from core.forms import BoundedCharField, submit_helper
from recovery.closure import services as closure


class ConfirmForm(forms.Form):
    """Open or start an action: nothing to type, but a real form (with CSRF)."""

    def __init__(self, *args, submit: str = "Confirm", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(submit)


class ProposeClosureForm(forms.Form):
    note = BoundedCharField(
        label="Closure note",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What changed for people, and how you know.",
    )
    justification = BoundedCharField(
        label="Justification (needed while a closure condition is unmet)",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why the action should close although the conditions marked not met are not met. "
        "The decider sees it highlighted beside them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Propose closure")


class ClosureDecisionForm(forms.Form):
    """Approve or refuse a closure proposal: the one form, on the action page, the closure-review
    screen and a review meeting's agenda item. What a decision needs is the service's rule
    (``closure_decision_problems``); ``clean`` asks it rather than saying it again."""

    APPROVE, REFUSE = closure.APPROVE, closure.REFUSE
    decision = forms.ChoiceField(
        label="Decision", choices=list(closure.DECISIONS.items()), widget=forms.RadioSelect, required=False
    )
    rationale = BoundedCharField(
        label="Rationale", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=limits.NARRATIVE
    )
    further_checks = BoundedCharField(
        label="Further checks required (when refusing)",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Record decision")

    def clean(self):
        data = super().clean()
        problems = closure.closure_decision_problems(
            decision=data.get("decision", ""),
            rationale=data.get("rationale", ""),
            further_checks=data.get("further_checks", ""),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return data


class ReopenForm(forms.Form):
    reason = BoundedCharField(
        label="Why reopen",
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. the measure has worsened since closure.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Reopen action", css="btn-warning")
