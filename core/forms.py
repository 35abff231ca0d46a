"""Form pieces every app shares: the date input, the submit helper, and putting a service's
``ValidationError`` onto the form it came from (so the message lands where the user is and
nothing typed is lost).

Forms collect and tidy input; services decide. A form never carries a status field.
"""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

from core.limits import MaxChars
from core.models import AccessKind, Service, User


class DateInput(forms.DateInput):
    """A native date picker; the value is always ISO so the browser can show it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


# The window a typed date must fall in: anything outside is a typo (9999-12-31, 0001-01-01)
# that would otherwise be stored and break calendars, feeds and charts for everyone.
EARLIEST_DATE = datetime.date(2000, 1, 1)
YEARS_AHEAD = 10


def plausible_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The first and last date a person may type (``YEARS_AHEAD`` years from today)."""
    today = today or timezone.localdate()
    try:
        latest = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + YEARS_AHEAD, day=28)
    return EARLIEST_DATE, latest


def check_plausible(value: datetime.date) -> None:
    earliest, latest = plausible_window()
    if not earliest <= value <= latest:
        raise ValidationError(
            "Enter a date between %(earliest)s and %(latest)s.",
            code="implausible_date",
            params={"earliest": f"{earliest:%-d %B %Y}", "latest": f"{latest:%-d %B %Y}"},
        )


class PlausibleDateField(forms.DateField):
    """A date field (native picker) that refuses dates outside ``plausible_window``."""

    widget = DateInput

    def validate(self, value):
        super().validate(value)
        if value:
            check_plausible(value)


class PlausibleDateTimeField(forms.DateTimeField):
    """A date-and-time field (native picker) that refuses dates outside ``plausible_window``."""

    widget = DateTimeInput

    def validate(self, value):
        super().validate(value)
        if value:
            try:
                day = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
            except OverflowError:  # the far edge of datetime's range
                day = datetime.date.max
            check_plausible(day)


class BoundedCharField(forms.CharField):
    """A text field with a length limit that says it plainly (``core.limits``).

    ``max_length`` is required: every free-text field has a bound (a test walks every form).
    Too long an entry gets "Keep this to 2,000 characters or fewer (you typed 5,210)." and the
    form re-renders with what was typed; the input or textarea also carries ``maxlength``.
    """

    def __init__(self, *, max_length: int, **kwargs):
        super().__init__(max_length=max_length, **kwargs)
        self.validators = [MaxChars(v.limit_value) if type(v) is MaxLengthValidator else v for v in self.validators]


def bounded_formfield(db_field: models.Field, **kwargs) -> forms.Field | None:
    """A ModelForm's ``Meta.formfield_callback``: its text fields become ``BoundedCharField``."""
    if isinstance(db_field, (models.CharField, models.TextField)) and db_field.max_length and not db_field.choices:
        kwargs.setdefault("form_class", BoundedCharField)
    return db_field.formfield(**kwargs)


def submit_helper(label: str, *, css: str = "btn-primary", name: str = "submit") -> FormHelper:
    """A crispy helper that renders the whole form with one submit button."""
    helper = FormHelper()
    helper.add_input(Submit(name, label, css_class=css))
    return helper


def apply_errors(
    form: forms.Form,
    exc: ValidationError,
    *,
    rename: dict[str, str] | None = None,
    default: str | None = None,
    skip_fields_with_errors: bool = False,
    collect_unplaced: bool = False,
) -> dict[str, list[str]]:
    """Put a service's ValidationError on ``form``, next to the field each message names.

    ``rename`` maps a service's field name to the form's (``{"period": "on"}``); a message
    naming no field of the form goes on ``default`` (a field name) or at the top. With
    ``skip_fields_with_errors`` a field that already has its own (type) error keeps just that
    one. With ``collect_unplaced`` messages for fields the form lacks are returned instead
    (for pages that show them elsewhere, e.g. beside a formset). Works for a plain
    ValidationError (no field) as well as a per-field one.
    """
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    unplaced: dict[str, list[str]] = {}
    for name, errs in errors.items():
        name = (rename or {}).get(name, name)
        target = name if name in form.fields else default
        if skip_fields_with_errors and target and target in form.errors:
            continue
        if target is None and collect_unplaced and name != NON_FIELD_ERRORS:
            unplaced.setdefault(name, []).extend(m for e in errs for m in e.messages)
            continue
        form.add_error(target, errs)
    return unplaced


def posted(request):
    """The POST data when the request is a POST, else None (an unbound form)."""
    return request.POST if request.method == "POST" else None


class AccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "job_title", "digest_opt_in"]
        formfield_callback = bounded_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Save details", name="save")


class AccessRecordFilterForm(forms.Form):
    """The filters of "Who looked at what". The choices are only what the reader may see, so
    another provider's person or service is an invalid choice, never a result."""

    person = forms.ModelChoiceField(label="Person", required=False, queryset=User.objects.none(), empty_label="Anyone")
    service = forms.ModelChoiceField(
        label="Service", required=False, queryset=Service.objects.none(), empty_label="Any service"
    )
    kind = forms.ChoiceField(label="What was done", required=False)
    date_from = PlausibleDateField(label="From", required=False)
    date_to = PlausibleDateField(label="To", required=False)

    def __init__(self, *args, people, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda u: f"{u.get_full_name() or u.email} ({u.email})"
        self.fields["service"].queryset = services
        self.fields["kind"].choices = [("", "Anything"), *AccessKind.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data
