"""Forms for triggers: a measure threshold or a repeated audit finding, for a named person."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from audits.models import AuditTemplate
from core import limits
from core.forms import BoundedCharField
from governance.flags.services import MAX_COUNT, MAX_PERIODS, MAX_WEEKS, trigger_criteria
from governance.models import FlagTrigger
from recovery.models import OutcomeMeasure

C = FlagTrigger.Comparison


def people_at(service) -> forms.ModelChoiceField:
    """Everyone with a role at ``service`` or across its provider."""
    users = get_user_model().objects.filter(
        Q(memberships__service=service) | Q(memberships__provider=service.provider, memberships__service__isnull=True),
        is_active=True,
    )
    return forms.ModelChoiceField(
        label="Who must act when it fires",
        queryset=users.distinct().order_by("first_name", "last_name", "email"),
        help_text="The flag names them; it shows among their flags.",
    )


class _TriggerForm(forms.Form):
    name = BoundedCharField(label="Name", max_length=120, help_text="Short: it is shown on the flag.")

    def __init__(self, *args, service, trigger: FlagTrigger | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"] = people_at(service)
        self.fields["what_to_do"] = BoundedCharField(
            label="What they do",
            max_length=limits.NOTE,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="E.g. review the week's escalation records with the nurse in charge.",
        )
        if trigger is not None and not self.is_bound:
            self.initial.update(self.initial_from(trigger))

    def initial_from(self, trigger: FlagTrigger) -> dict:
        return {"name": trigger.name, "person": trigger.person_id, "what_to_do": trigger.what_to_do}


class MeasureTriggerForm(_TriggerForm):
    """The measure's latest N values all below (or above) a value."""

    def __init__(self, *args, service, trigger=None, **kwargs):
        super().__init__(*args, service=service, trigger=trigger, **kwargs)
        self.fields["measure"] = forms.ModelChoiceField(
            label="Measure",
            queryset=OutcomeMeasure.objects.filter(service=service).order_by("name"),
        )
        self.fields["comparison"] = forms.ChoiceField(
            label="Fires when the value is", choices=C.choices, widget=forms.RadioSelect, initial=C.BELOW
        )
        self.fields["threshold"] = forms.FloatField(label="Value", min_value=-1e9, max_value=1e9)
        self.fields["periods"] = forms.IntegerField(
            label="For this many consecutive periods", min_value=1, max_value=MAX_PERIODS, initial=2
        )
        self.order_fields(["name", "measure", "comparison", "threshold", "periods", "person", "what_to_do"])

    def initial_from(self, trigger):
        return {
            **super().initial_from(trigger),
            "measure": trigger.measure_id,
            "comparison": trigger.comparison,
            "threshold": trigger.threshold,
            "periods": trigger.periods,
        }

    def values(self) -> dict:
        return dict(self.cleaned_data)


class FindingTriggerForm(_TriggerForm):
    """The same audit criterion answered "no" in N audits within W weeks at the service."""

    def __init__(self, *args, service, trigger=None, **kwargs):
        super().__init__(*args, service=service, trigger=trigger, **kwargs)
        templates = AuditTemplate.objects.filter(provider=service.provider, is_active=True).filter(
            Q(services=service) | Q(services__isnull=True)
        )
        choices = [
            (t.title, [(f"{t.pk}:{key}", text) for key, text in trigger_criteria(t)])
            for t in templates.distinct().order_by("title")
        ]
        self.fields["finding"] = forms.ChoiceField(
            label="Audit criterion", choices=[("", "Choose a criterion"), *[c for c in choices if c[1]]]
        )
        self.fields["count"] = forms.IntegerField(
            label="Failed in at least this many audits", min_value=2, max_value=MAX_COUNT, initial=3
        )
        self.fields["weeks"] = forms.IntegerField(
            label="Within this many weeks", min_value=1, max_value=MAX_WEEKS, initial=8
        )
        self.order_fields(["name", "finding", "count", "weeks", "person", "what_to_do"])

    def initial_from(self, trigger):
        return {
            **super().initial_from(trigger),
            "finding": f"{trigger.template_id}:{trigger.criterion_key}",
            "count": trigger.count,
            "weeks": trigger.weeks,
        }

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        template_id, _, key = data.pop("finding").partition(":")
        data["template"] = AuditTemplate.objects.filter(pk=int(template_id)).first()
        data["criterion_key"] = key
        return data


FORMS = {FlagTrigger.Kind.MEASURE_THRESHOLD: MeasureTriggerForm, FlagTrigger.Kind.REPEATED_FINDING: FindingTriggerForm}
