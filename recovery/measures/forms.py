"""Forms for outcome measures and data points.

The rules live in ``recovery/services/measures.py``; the forms ask the same functions in
``clean()`` so every message lands next to its field, and the views put any error the
service raises on save back on the form (nothing typed is lost).
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError

from core import limits
from core.choices import Cadence
from core.forms import BoundedCharField, DateInput, PlausibleDateField, apply_errors
from recovery.measures.services import MEASURE_FIELDS, validate_measure_fields, validate_point
from recovery.models import OutcomeMeasure

Kind = OutcomeMeasure.Kind


class MeasureForm(forms.Form):
    name = BoundedCharField(
        label="What is measured",
        max_length=limits.NAME,
        help_text="For example: deterioration concerns escalated on time, in sampled records.",
    )
    kind = forms.ChoiceField(
        label="Kind of measure",
        choices=Kind.choices,
        widget=forms.RadioSelect,
        help_text=(
            "Percentage: record how many sampled items met the standard and how many were sampled. "
            "Count or reduction: record the number for each period. Consecutive periods: record each "
            "period's result; the target is the standard every period must meet."
        ),
    )
    direction = forms.ChoiceField(
        label="Which way is better", choices=OutcomeMeasure.Direction.choices, widget=forms.RadioSelect
    )
    unit = BoundedCharField(label="Unit", max_length=20, required=False, help_text="For example: % or complaints.")
    baseline_value = forms.FloatField(label="Baseline value", help_text="Where things stood before the action began.")
    baseline_date = PlausibleDateField(label="Baseline date", widget=DateInput())
    target_value = forms.FloatField(label="Target value")
    target_date = PlausibleDateField(
        label="Target date", help_text="When the target should be reached.", widget=DateInput()
    )
    sustain_periods = forms.IntegerField(
        label="Sustained after (periods in a row)",
        initial=4,
        help_text=(
            "How many periods in a row at or beyond the target count as sustained. For a consecutive "
            "periods measure, the run the target asks for."
        ),
    )
    cadence = forms.ChoiceField(label="How often data is recorded", choices=Cadence.choices, initial=Cadence.WEEKLY)
    limits_from_first = forms.IntegerField(
        label="Fix chart limits on the first … values (optional)",
        required=False,
        help_text=(
            "Leave empty to work the limits out from every value. To judge new values against a "
            "settled pattern, fix them on at least 12 values; to show a change in practice, "
            "recalculate the limits from it on the measure page instead."
        ),
    )

    def __init__(self, *args, measure: OutcomeMeasure | None = None, submit_label: str = "Save measure", **kwargs):
        if measure is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(measure, name) for name in MEASURE_FIELDS}
        super().__init__(*args, **kwargs)
        self.measure = measure
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", submit_label))

    def clean(self):
        data = super().clean()
        try:
            validate_measure_fields(data, measure=self.measure)
        except ValidationError as exc:
            apply_errors(self, exc, skip_fields_with_errors=True)
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in MEASURE_FIELDS}


class DataPointForm(forms.Form):
    period_date = PlausibleDateField(
        label="Period ending", help_text="The last day of the period this value describes.", widget=DateInput()
    )
    numerator = forms.IntegerField(label="Items that met the standard", required=False)
    denominator = forms.IntegerField(label="Items sampled", required=False)
    value = forms.FloatField(label="Value for the period", required=False)
    note = BoundedCharField(
        label="Note (optional)",
        max_length=limits.SHORT_NOTE,
        required=False,
        help_text="What explains this value. Refer to records by reference (R-1042), never by name.",
    )

    VALUE_LABELS = {
        Kind.COUNT: ("Count for the period", "How many in this period."),
        Kind.REDUCTION: ("Value for the period", "The number for this period, compared with the baseline."),
        Kind.CONSECUTIVE: (
            "Result for the period",
            "This period's result, compared with the standard each period must meet.",
        ),
    }

    def __init__(self, *args, measure: OutcomeMeasure, submit_label: str = "Save data point", **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure
        if measure.kind == Kind.PERCENTAGE:
            del self.fields["value"]
        else:
            del self.fields["numerator"], self.fields["denominator"]
            label, help_text = self.VALUE_LABELS.get(measure.kind, ("Value for the period", ""))
            self.fields["value"].label = label
            self.fields["value"].help_text = help_text + (f" Unit: {measure.unit}." if measure.unit else "")
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", submit_label))

    def clean(self):
        data = super().clean()
        try:
            validate_point(
                self.measure,
                period_date=data.get("period_date"),
                numerator=data.get("numerator"),
                denominator=data.get("denominator"),
                value=data.get("value"),
            )
        except ValidationError as exc:
            apply_errors(self, exc, skip_fields_with_errors=True)
        return data

    def service_fields(self) -> dict:
        d = self.cleaned_data
        return {
            "period_date": d["period_date"],
            "numerator": d.get("numerator"),
            "denominator": d.get("denominator"),
            "value": d.get("value"),
            "note": d.get("note", ""),
        }


class RebaseForm(forms.Form):
    """Recalculate a measure's chart limits from a date (``recovery.measures.rebases``)."""

    from_date = PlausibleDateField(
        label="Recalculate the limits from",
        help_text=(
            "The first period of the new way of working. Offered at the action's start, so the chart "
            "shows the process before and after it."
        ),
        widget=DateInput(),
    )
    reason = BoundedCharField(
        label="What changed",
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: new handover checklist in use on every shift from this week.",
    )

    def __init__(self, *args, submit_label: str = "Recalculate the limits", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RebaseRemoveForm(forms.Form):
    reason = BoundedCharField(
        label="Why remove it",
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: the change was not rolled out until later.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class PointCorrectionForm(DataPointForm):
    """Correct a recorded value: the same fields, and why (kept with the old and new values)."""

    reason = BoundedCharField(
        label="Why is it being corrected?",
        max_length=limits.NOTE,
        required=False,  # the service says when one is needed (a changed value or count), by the field
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the value, a count or the date changes. Shown in the measure's correction history.",
    )

    def __init__(self, *args, submit_label: str = "Save correction", **kwargs):
        super().__init__(*args, submit_label=submit_label, **kwargs)

    def service_fields(self) -> dict:
        return {**super().service_fields(), "reason": self.cleaned_data.get("reason", "")}
