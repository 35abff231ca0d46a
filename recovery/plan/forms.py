"""Forms for themes, learning, actions and steps.

Forms collect and tidy input; the services decide. No status field ever appears here.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core import limits
from core.choices import Regulation
from core.forms import BoundedCharField, DateInput, PlausibleDateField, bounded_formfield, submit_helper
from core.models import FrameworkItem
from evidence.models import SourceType
from recovery.models import FailureTheme, LeadershipLearning, RecoveryAction
from recovery.plan.models import StepFrequency, ThemeMove, theme_moves_from
from recovery.plan.services import ACTION_FIELDS


class FrameworkItemField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: FrameworkItem) -> str:
        return f"{obj.version.code.upper()} · {obj.key_question.name} · {obj.code} {obj.name}"


class ThemeForm(forms.ModelForm):
    regulations = forms.MultipleChoiceField(
        label="Regulations breached",
        choices=Regulation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    framework_items = FrameworkItemField(
        label="Framework items",
        queryset=FrameworkItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Quality statements or key lines of enquiry of any framework version. "
        "Hold Ctrl (or Cmd) to choose several.",
    )

    class Meta:
        model = FailureTheme
        fields = [
            "title",
            "weakness_found",
            "source",
            "source_reference",
            "source_date",
            "framework_items",
            "regulations",
            "enforcement",
            "risk_level",
            "owner",
        ]
        widgets = {"source_date": DateInput(), "weakness_found": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"source_date": PlausibleDateField}
        help_texts = {
            "risk_level": "Sets the default review route (who reviews, how often); edit it on the theme page."
        }
        formfield_callback = bounded_formfield

    def __init__(self, *args, owners, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["framework_items"].queryset = FrameworkItem.objects.select_related(
            "version", "key_question"
        ).order_by("version__published", "key_question__order", "order")
        self.fields["source_date"].label = "Date of the report or finding"
        if edit:
            self.fields["keep_visible_override"] = PlausibleDateField(
                label="Keep visible until (override)",
                required=False,
                widget=DateInput(),
                help_text="Leave empty to use the computed date (two review cycles after the last action closes).",
                initial=self.instance.keep_visible_override,
            )
            self.fields["keep_visible_override_reason"] = BoundedCharField(
                label="Reason for the override",
                required=False,
                max_length=limits.SHORT_NOTE,
                initial=self.instance.keep_visible_override_reason,
            )
        self.helper = submit_helper("Save changes" if edit else "Create theme")


class LearningForm(forms.Form):
    factors = forms.MultipleChoiceField(
        label="Why it happened",
        choices=LeadershipLearning.Factor.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose every area where leadership fell short.",
    )
    why_it_happened = BoundedCharField(
        label="What leaders learned about why it happened",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limits.NARRATIVE,
    )
    governance_change = BoundedCharField(
        label="What governance changed because of it",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. audit sampling, ownership, supervision prompts, provider challenge, review frequency.",
    )
    how_tested = BoundedCharField(
        label="How the change is tested in practice",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.NARRATIVE,
    )
    evidence = forms.ModelMultipleChoiceField(
        label="Linked evidence",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence
        self.fields["evidence"].label_from_instance = lambda e: f"{e.title} ({e.refers_to:%-d %b %Y})"
        self.helper = submit_helper("Record learning")


class LearningReviewForm(forms.Form):
    note = BoundedCharField(
        label="Review note",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you tested, and whether the change is working in practice.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Record review")


class ActionForm(forms.ModelForm):
    evidence_required = forms.MultipleChoiceField(
        label="Evidence required",
        choices=SourceType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Which kinds of evidence will prove the change worked.",
    )

    class Meta:
        model = RecoveryAction
        fields = list(ACTION_FIELDS)  # what the action services take, in the order the form asks
        field_classes = {"due_date": PlausibleDateField}
        widgets = {
            "due_date": DateInput(),
            "baseline_issue": forms.Textarea(attrs={"rows": 3}),
            "intended_outcome": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "baseline_issue": "Baseline issue",
        }
        help_texts = {
            "intended_outcome": "Required before work can start.",
            "risk_level": "A new action's review route (who reviews, how often) follows its risk: high is weekly "
            "RM, monthly NI and quarterly provider board; edit the route on the action page.",
        }
        formfield_callback = bounded_formfield

    def __init__(self, *args, owners, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        if edit and self.instance.started_on:
            # A closure condition once work has started: changed on the conditions page, with a reason.
            del self.fields["evidence_required"]
        if edit and self.instance.status != RecoveryAction.Status.DRAFT:
            # Asked by the service only when the risk level really changes (the change is recorded).
            self.fields["risk_reason"] = BoundedCharField(
                label="Why the risk level is changing",
                max_length=limits.NOTE,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Only when you change the risk level: recorded on the action's timeline.",
            )
        self.helper = submit_helper("Save changes" if edit else "Create action")


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label="New owner", queryset=None)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.helper = submit_helper("Reassign")


class StepForm(forms.Form):
    owner = forms.ModelChoiceField(
        label="Who (a named person)",
        queryset=None,
        required=False,
        empty_label="No one named: a role does it",
        help_text="The person who does it, or leave empty and name the role below.",
    )
    role = BoundedCharField(
        label="Role at the service", max_length=120, required=False, help_text="e.g. Senior carer on each shift"
    )
    what = BoundedCharField(label="What is done", widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.NOTE)
    frequency = forms.ChoiceField(label="How often", choices=[("", "Choose…"), *StepFrequency.choices], required=False)
    recorded_where = BoundedCharField(
        label="Where it is recorded", max_length=limits.NAME, required=False, help_text="e.g. Senior oversight log"
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.helper = submit_helper("Add step")


class StepNotNeededForm(forms.Form):
    reason = BoundedCharField(
        label="Why this step is not needed",
        max_length=limits.SHORT_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The decider sees this beside the closure conditions.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Mark not needed")


class RiskForm(forms.Form):
    what_could_go_wrong = BoundedCharField(
        label="What could go wrong", max_length=limits.NOTE, widget=forms.Textarea(attrs={"rows": 2})
    )
    early_warning = BoundedCharField(
        label="Early-warning signs", max_length=limits.NOTE, widget=forms.Textarea(attrs={"rows": 2})
    )
    who_acts = BoundedCharField(label="Who acts", max_length=limits.NAME, help_text="A named person or a role.")
    how_they_act = BoundedCharField(
        label="How they act", max_length=limits.NOTE, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Add risk")


class ClosureConditionsForm(forms.Form):
    """The conditions an action must meet before closure; after work starts a change needs a reason."""

    steps = forms.BooleanField(
        label="Every step done (or marked not needed with a reason)", required=False, initial=True
    )
    evidence_required = forms.MultipleChoiceField(
        label="Evidence kinds required as impact evidence dated since work started",
        choices=SourceType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, action, measures, periods: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = measures
        for measure in measures:
            self.fields[f"periods_{measure.pk}"] = forms.IntegerField(
                label=f"{measure.name}: consecutive periods at target after work started",
                min_value=1,
                max_value=52,
                initial=periods.get(measure.pk, measure.sustain_periods),
                help_text=f"Its own setting: {measure.sustain_periods} ({measure.get_cadence_display().lower()}).",
            )
        if action.started_on:
            self.fields["reason"] = BoundedCharField(
                label="Why the conditions are changing",
                max_length=limits.NOTE,
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                help_text="Work has started: the change and its reason are recorded and shown to the decider.",
            )
        self.helper = submit_helper("Save closure conditions")

    def periods(self) -> dict[int, int]:
        return {m.pk: self.cleaned_data.get(f"periods_{m.pk}") for m in self.measures}


class StepDoneForm(forms.Form):
    done_on = PlausibleDateField(label="Done on", widget=DateInput(), initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].widget.attrs.update(
            {"class": "form-control-sm", "max": timezone.localdate().isoformat()}
        )
        self.helper = submit_helper("Mark done")


class EvidenceLinkForm(forms.Form):
    item = forms.ModelChoiceField(label="Evidence item", queryset=None, empty_label="Choose evidence…")

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda e: (
            f"{e.title} · {e.get_source_type_display()} · {e.get_nature_display().lower()} · {e.refers_to:%-d %b %Y}"
        )
        self.helper = submit_helper("Link evidence")


class ThemeMoveForm(forms.Form):
    """Move a theme on: a choice of *transition* (monitor, close, reopen), never of status.

    Only the moves allowed from the theme's status now are offered; the page shows one button
    per move. ``recovery.plan.services.theme_move`` checks and records it.
    """

    move = forms.ChoiceField(label="Move", choices=ThemeMove.choices)
    reason = BoundedCharField(
        label="Why the status is changing",
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 1, "class": "form-control-sm"}),
        help_text="Recorded with the change of status.",
    )

    def __init__(self, *args, theme: FailureTheme, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = theme_moves_from(theme.status)
        self.fields["move"].choices = [(m, ThemeMove(m).label) for m in allowed]
