"""The "generate a pack" form: services, period, key questions, sections, kind."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone

from core.forms import PlausibleDateField
from governance.models import EvidencePack
from governance.packs.parameters import KEY_QUESTIONS, SECTIONS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PackForm(forms.Form):
    kind = forms.ChoiceField(
        label="What to produce",
        choices=[
            (EvidencePack.Kind.FULL, "Re-inspection evidence pack (full)"),
            (EvidencePack.Kind.COMMISSIONER, "Commissioner update (two pages)"),
        ],
        initial=EvidencePack.Kind.FULL,
        widget=forms.RadioSelect,
    )
    services = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, help_text="Services whose recovery the pack covers."
    )
    date_from = PlausibleDateField(label="Period from", widget=DATE)
    date_to = PlausibleDateField(label="Period to", widget=DATE)
    key_questions = forms.MultipleChoiceField(
        choices=KEY_QUESTIONS,
        initial=[code for code, _ in KEY_QUESTIONS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Themes tagged to other key questions are left out; untagged themes are always in.",
    )
    sections = forms.MultipleChoiceField(
        choices=SECTIONS,
        initial=[key for key, _ in SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        help_text="The full pack prints these in order, after the cover and contents.",
    )

    def __init__(self, *args, services_qs, initial_services, **kwargs):
        today = timezone.localdate()
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("services", initial_services)
        initial.setdefault("date_to", today)
        inspected = [s.last_inspection_date for s in initial_services if s.last_inspection_date]
        initial.setdefault("date_from", min(inspected) if inspected else today - datetime.timedelta(days=182))
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_qs
        self.helper = FormHelper()
        self.helper.add_input(Submit("generate", "Generate pack"))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The period must end on or after the day it starts.")
        if end and end > timezone.localdate():
            self.add_error("date_to", "The period cannot end in the future.")
        return data
