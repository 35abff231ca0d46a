"""Forms for evidence. They collect and tidy input; the rules live in ``services``."""

from __future__ import annotations

import html
import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe

from core import limits
from core.forms import BoundedCharField, DateInput, PlausibleDateField, apply_errors
from core.models import EvidenceCategory, FrameworkItem

from . import selectors
from .models import DEFAULT_NATURE, EvidenceItem, Nature, SourceType
from .services import ACCEPTED_DESCRIPTION, FileRefused, validate_upload

PROVIDER_WIDE_CHOICE = "__provider__"
# A longer name is refused on the form (Django cuts names to 255 before the form sees them).
MAX_FILE_NAME = 200


def framework_tree() -> list[dict]:
    """Framework items by version, then key question (one query), current version first."""
    versions: dict[int, dict] = {}
    items = FrameworkItem.objects.select_related("version", "key_question").order_by(
        "version__published", "key_question__order", "order"
    )
    for item in items:
        version = versions.setdefault(
            item.version_id,
            {
                "label": str(item.version),
                "current": item.version.status == item.version.Status.CURRENT,
                "groups": {},
            },
        )
        version["groups"].setdefault(item.key_question.name, []).append((item.pk, str(item)))
    tree = sorted(versions.values(), key=lambda v: not v["current"])
    for version in tree:
        version["groups"] = list(version["groups"].items())
    return tree


def _default_nature_help() -> str:
    activity = [SourceType(s).label.lower() for s, n in DEFAULT_NATURE.items() if n == Nature.ACTIVITY]
    return (
        "Impact evidence shows a change for people (outcomes, observed practice, feedback, re-audit); "
        "activity evidence shows something was done (training attended, meeting held). "
        f"Usually activity: {', '.join(activity)}; everything else is usually impact. "
        "Only change it for an exception, and say why."
    )


class EvidenceForm(forms.Form):
    service = forms.ChoiceField(label="Where it belongs")
    title = BoundedCharField(max_length=limits.NAME, help_text="A short name someone else would recognise.")
    refers_to = PlausibleDateField(
        label="Date it refers to",
        widget=DateInput(),
        help_text="When the thing it shows happened (not the date you upload it).",
    )
    category = forms.ModelChoiceField(
        label="CQC evidence category", queryset=EvidenceCategory.objects.none(), empty_label="Choose a category"
    )
    source_type = forms.ChoiceField(label="Source type", choices=[("", "Choose a source type"), *SourceType.choices])
    nature = forms.ChoiceField(
        label="Impact or activity",
        required=False,
        choices=[("", "As usual for the source type"), *Nature.choices],
    )
    nature_override_reason = BoundedCharField(
        label="Why it is an exception",
        required=False,
        max_length=limits.SHORT_NOTE,
        help_text="Only needed when you change impact or activity from the usual.",
    )
    recorded_in = BoundedCharField(
        label="Where it is recorded",
        max_length=limits.NAME,
        help_text="e.g. senior oversight log, care records system, supervision file.",
    )
    description = BoundedCharField(
        required=False,
        max_length=limits.NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What it shows. Refer to records by reference or initials, never by a person's name.",
    )
    framework_items = forms.TypedMultipleChoiceField(
        label="Framework items (for coverage)",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="The quality statements or key lines of enquiry this evidence speaks to.",
    )
    file = forms.FileField(
        required=False,
        max_length=MAX_FILE_NAME,
        error_messages={
            "max_length": f"This file's name is too long (over {MAX_FILE_NAME} characters). "
            "Rename the file more briefly and choose it again."
        },
        help_text=f"Optional. {ACCEPTED_DESCRIPTION}, up to {{mb}} MB. Files are checked by their content, "
        "not their name.",
    )

    def __init__(self, *args, services=(), provider_wide: bool = False, item: EvidenceItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        version = selectors.current_framework()
        self.fields["category"].queryset = EvidenceCategory.objects.filter(version=version).order_by("order")
        self.fields["nature"].help_text = _default_nature_help()
        self.framework_tree = framework_tree()
        self.fields["framework_items"].choices = [
            (pk, label) for version in self.framework_tree for _, items in version["groups"] for pk, label in items
        ]
        self.fields["file"].help_text = self.fields["file"].help_text.replace(
            "{mb}", str(settings.EVIDENCE_MAX_UPLOAD_MB)
        )
        if item is not None:
            del self.fields["service"]
            if item.file:
                del self.fields["file"]
        else:
            choices = [(s.slug, s.name) for s in services]
            if provider_wide:
                choices.append((PROVIDER_WIDE_CHOICE, "The whole provider (not one service)"))
            self.fields["service"].choices = (
                [("", "Choose where it belongs"), *choices] if len(choices) > 1 else choices
            )
            self.services_by_slug = {s.slug: s for s in services}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *(["service"] if "service" in self.fields else []),
            "title",
            Div(Div("refers_to", css_class="col-md-4"), Div("category", css_class="col-md-8"), css_class="row"),
            Div(Div("source_type", css_class="col-md-6"), Div("nature", css_class="col-md-6"), css_class="row"),
            "nature_override_reason",
            "recorded_in",
            "description",
            HTML('{% include "evidence/widgets/framework_items.html" %}'),
            *(["file"] if "file" in self.fields else []),
        )
        self.helper.add_input(Submit("save", "Save evidence" if item is None else "Save changes"))

    def selected_framework_items(self) -> set[str]:
        return {str(v) for v in (self["framework_items"].value() or [])}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            try:
                self.detected_type = validate_upload(upload)
            except FileRefused as exc:
                raise ValidationError(exc.messages) from None
        return upload

    def clean_framework_items(self):
        ids = self.cleaned_data.get("framework_items") or []
        return list(FrameworkItem.objects.filter(pk__in=ids))

    def clean(self):
        cleaned = super().clean()
        if "service" in self.fields:
            slug = cleaned.get("service")
            cleaned["service_obj"] = None if slug == PROVIDER_WIDE_CHOICE else self.services_by_slug.get(slug)
        if self.errors and self.files.get("file") and "file" not in self.errors:
            # The browser will not send the file again: say so where the person will look.
            self.add_error(
                "file",
                "Your file was fine, but files are not kept when a form has to be corrected: choose it again.",
            )
        return cleaned

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ValidationError next to the fields it names."""
        apply_errors(self, exc)


class RemoveForm(forms.Form):
    reason = BoundedCharField(
        label="Why is this evidence being removed?",
        max_length=limits.SHORT_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: uploaded to the wrong service, or contains a person's name. The reason is kept "
        "with the record.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


_SPECIAL = re.compile(r"[&<>\"']").search


def _escape(value) -> str:
    """``conditional_escape`` in fewer calls: a provider's theme filter escapes hundreds of labels."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    value = str(value)
    return html.escape(value) if _SPECIAL(value) else value


def _attrs(attrs: dict) -> str:
    """Django's django/forms/widgets/attrs.html in Python: True a bare name, False left out."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """A single select drawn in Python, the same HTML as Django's template draws it.

    Django renders each option through its own template; with a provider's hundreds of themes
    that was a third of the provider-wide library's time. Its choices are kept as given:
    (value, label) pairs, or (group, pairs), never normalised again."""

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = list(value)

    def render(self, name, value, attrs=None, renderer=None):
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        values = widget["value"]
        out, has_selected = [f'<select name="{_escape(name)}"{_attrs(widget["attrs"])}>'], False
        for option_value, option_label in self.choices:
            group = isinstance(option_label, (list, tuple))
            if group:
                out.append(f'\n  <optgroup label="{_escape(option_value)}">')
            for sub_value, sub_label in option_label if group else ((option_value, option_label),):
                sub_value = "" if sub_value is None else str(sub_value)
                selected = not has_selected and sub_value in values
                has_selected |= selected
                mark = " selected" if selected else ""
                out.append(f'\n  <option value="{_escape(sub_value)}"{mark}>{_escape(sub_label)}</option>')
            if group:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every name, value and label above is escaped


class _QuickInput:
    """An <input> drawn in Python, the same HTML as django/forms/widgets/input.html draws."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{_escape(widget["value"])}"'
        markup = f'<input type="{_escape(widget["type"])}" name="{_escape(name)}"{shown}{_attrs(widget["attrs"])}>'
        return mark_safe(markup)  # noqa: S308 - the name, value and attributes are escaped


class QuickTextInput(_QuickInput, forms.TextInput):
    pass


class QuickDateInput(_QuickInput, DateInput):
    pass


class QuickChoiceField(forms.TypedChoiceField):
    """A choice field drawn by ``QuickSelect``, its (value, label) pairs kept as given: Django
    normalises every pair twice (field and widget), about ten calls a choice, and a provider's
    library offers hundreds of themes."""

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = self.widget.choices = list(value)


# As ModelChoiceField said it (a list of ids is not the user's to be told back).
NOT_A_CHOICE = {"invalid_choice": "Select a valid choice. That choice is not one of the available choices."}


def _select() -> QuickSelect:
    return QuickSelect(attrs={"class": "select form-select"})


def _date() -> QuickDateInput:
    return QuickDateInput(attrs={"class": "dateinput form-control"})


class LibraryFilterForm(forms.Form):
    """The library's filters. Invalid values are dropped, never an error page.

    Choices are values (ids and names), not instances; every widget is drawn in Python
    (library.html writes the label, errors and help around ``{{ field }}``)."""

    q = BoundedCharField(
        label="Search titles and descriptions",
        required=False,
        max_length=100,
        widget=QuickTextInput(attrs={"class": "textinput form-control"}),
    )
    service = QuickChoiceField(label="Where", required=False, widget=_select())
    category = QuickChoiceField(
        label="CQC evidence category",
        required=False,
        coerce=int,
        empty_value=None,
        widget=_select(),
        error_messages=NOT_A_CHOICE,
    )
    source_type = QuickChoiceField(
        label="Source type", required=False, choices=[("", "Any"), *SourceType.choices], widget=_select()
    )
    nature = QuickChoiceField(
        label="Impact or activity", required=False, choices=[("", "Either"), *Nature.choices], widget=_select()
    )
    date_from = PlausibleDateField(label="Refers to, from", required=False, widget=_date())
    date_to = PlausibleDateField(label="Refers to, to", required=False, widget=_date())
    linked = QuickChoiceField(
        label="Linked",
        required=False,
        choices=[("", "Linked or not"), ("linked", "Linked to a plan"), ("unlinked", "Not linked to anything")],
        help_text="Linked to a theme, learning, action or measure.",
        widget=_select(),
    )
    theme = QuickChoiceField(
        label="Theme", required=False, coerce=int, empty_value=None, widget=_select(), error_messages=NOT_A_CHOICE
    )

    def __init__(self, *args, service_choices, categories, themes, **kwargs):
        """``categories``: the current framework's EvidenceCategory list; ``themes``: (id, title)
        pairs from ``selectors.theme_choices``, or None without the recovery layer."""
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = service_choices
        self.fields["category"].choices = [("", "Any"), *((c.pk, c.name) for c in categories)]
        if themes is None:
            del self.fields["theme"]
        else:
            self.fields["theme"].choices = [("", "Any theme"), *themes]

    def filters(self) -> selectors.LibraryFilters:
        if not self.is_bound:
            return selectors.LibraryFilters()
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return selectors.LibraryFilters(
            service=data.get("service") or "",
            category=data.get("category"),
            source_type=data.get("source_type") or "",
            nature=data.get("nature") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            linked=data.get("linked") or "",
            theme=data.get("theme"),
            q=(data.get("q") or "").strip(),
        )
