"""Forms for oversight reviews and the closure-review screen. Plain forms: services do the writing.

A closure decision, on the closure-review screen or in a meeting, uses the recovery app's one
``ClosureDecisionForm`` (``recovery/closure/forms.py``).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from core import limits
from core.forms import BoundedCharField, PlausibleDateField, PlausibleDateTimeField
from evidence.models import EvidenceItem
from governance.models import AgendaItem, Challenge, OversightReview, ReviewAttendance, ReviewSeries

User = get_user_model()


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of review", choices=OversightReview.Kind.choices)
    title = BoundedCharField(
        max_length=limits.NAME,
        required=False,
        help_text="Leave empty to name it after the kind of review and the service.",
    )
    scheduled_for = PlausibleDateTimeField(label="Date and time")
    duration_minutes = forms.IntegerField(label="Length (minutes)", min_value=15, max_value=480, initial=60)
    location = BoundedCharField(max_length=limits.NAME, required=False, help_text="A room, or how to join online.")
    chair = forms.ModelChoiceField(queryset=User.objects.none())
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = people if people is not None else User.objects.none()
        self.fields["chair"].queryset = people
        self.fields["attendees"].queryset = people


class ReviewEditForm(ReviewForm):
    reason = BoundedCharField(
        label="Reason for moving it",
        max_length=limits.NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept on the meeting's record when the date or time changes.",
    )


class ReasonForm(forms.Form):
    reason = BoundedCharField(label="Reason", max_length=limits.NOTE, widget=forms.Textarea(attrs={"rows": 3}))


class SeriesForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of review", choices=OversightReview.Kind.choices)
    title = BoundedCharField(
        max_length=limits.NAME, required=False, help_text="Leave empty to name it after the kind of review."
    )
    frequency = forms.ChoiceField(label="How often", choices=ReviewSeries.Frequency.choices)
    starts_on = PlausibleDateField(label="First meeting")
    time_of_day = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    duration_minutes = forms.IntegerField(label="Length (minutes)", min_value=15, max_value=480, initial=60)
    location = BoundedCharField(max_length=limits.NAME, required=False, help_text="A room, or how to join online.")
    chair = forms.ModelChoiceField(queryset=User.objects.none())
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = people if people is not None else User.objects.none()
        self.fields["chair"].queryset = people
        self.fields["attendees"].queryset = people


class ItemAddForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of item",
        choices=[(AgendaItem.Kind.OTHER, "Other business"), (AgendaItem.Kind.THEME_SUMMARY, "Theme summary")],
        initial=AgendaItem.Kind.OTHER,
    )
    title = BoundedCharField(
        label="Title of the item", max_length=250, help_text="For example: Safeguarding themes this month."
    )
    detail = BoundedCharField(
        label="What the meeting should know",
        max_length=limits.NARRATIVE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttendanceForm(forms.Form):
    attendance = forms.ChoiceField(label="Attendance", choices=ReviewAttendance.Status.choices)


class ChallengeForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type",
        choices=[
            (Challenge.Kind.QUESTION, "Question"),
            (Challenge.Kind.CHALLENGE, "Challenge"),
            (Challenge.Kind.EVIDENCE_REQUEST, "Request for further evidence"),
        ],
        initial=Challenge.Kind.CHALLENGE,
    )
    text = BoundedCharField(
        label="Question or challenge", widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.NOTE
    )
    addressed_to = forms.ModelChoiceField(
        label="Who answers",
        queryset=User.objects.none(),
        required=False,
        empty_label="The owner of this item",
    )
    due_on = PlausibleDateField(label="Answer due by", required=False, help_text="Empty: in two weeks.")

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown: the people of the review. Posted: any active person; the service checks access.
        field = self.fields["addressed_to"]
        if people is None and self.is_bound:
            people = User.objects.filter(is_active=True)
        field.queryset = people if people is not None else User.objects.none()
        if people is not None and not self.is_bound:
            # Drawn once per agenda item: fixed choices, so the people are read once per page.
            field.choices = [("", field.empty_label), *((p.pk, str(p)) for p in people)]


class ResponseForm(forms.Form):
    response = BoundedCharField(
        label="Response given", widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.NARRATIVE
    )


class AnswerForm(forms.Form):
    response = BoundedCharField(
        label="Your answer", widget=forms.Textarea(attrs={"rows": 4}), max_length=limits.NARRATIVE
    )
    evidence = forms.ModelMultipleChoiceField(
        label="Evidence it points to",
        queryset=EvidenceItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Items of this service's evidence library.",
    )

    def __init__(self, *args, evidence=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence if evidence is not None else EvidenceItem.objects.none()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=AgendaItem.Decision.choices, widget=forms.RadioSelect, required=False
    )
    rationale = BoundedCharField(
        label="Rationale",
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What the meeting tested and what it showed.",
    )


class ActionArisingForm(forms.Form):
    description = BoundedCharField(
        label="What has to be done", widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.NOTE
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_date = PlausibleDateField(label="Due")
    agenda_item = forms.ModelChoiceField(
        label="About agenda item", queryset=AgendaItem.objects.none(), required=False, empty_label="(general)"
    )
    create_recovery_action = forms.BooleanField(
        label="Also add it to the recovery plan as a draft action", required=False
    )

    def __init__(self, *args, people=None, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people if people is not None else User.objects.none()
        self.fields["agenda_item"].queryset = items if items is not None else AgendaItem.objects.none()


class FinaliseForm(forms.Form):
    summary = BoundedCharField(
        label="Summary of the minutes",
        max_length=limits.LONG_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the meeting found, how assured it is overall, and what it agreed.",
    )


class AmendForm(forms.Form):
    reason = BoundedCharField(
        label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.NOTE
    )
    summary = BoundedCharField(
        label="Summary of the minutes",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=limits.LONG_NARRATIVE,
    )
    item = forms.ModelChoiceField(
        label="Change the decision on", queryset=AgendaItem.objects.none(), required=False, empty_label="(no item)"
    )
    decision = forms.ChoiceField(
        label="New decision", choices=[("", "(unchanged)"), *AgendaItem.Decision.choices], required=False
    )
    rationale = BoundedCharField(
        label="New rationale", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.NARRATIVE
    )

    def __init__(self, *args, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items if items is not None else AgendaItem.objects.none()


class EvidenceRequestForm(forms.Form):
    text = BoundedCharField(
        label="What further evidence do you need, and why?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.NOTE,
    )
