"""Forms of the plan import: the upload, the column mapping, and the fixes typed in the preview.

They collect input; ``recovery.importing.services`` decides. No status: status and RAG
columns become notes.
"""

from __future__ import annotations

from django import forms

from core.forms import BoundedCharField, PlausibleDateField, submit_helper
from core.framework_data import KEY_QUESTIONS
from recovery.importing.mapping import FIELDS
from recovery.importing.reading import MAX_BYTES, MAX_ROWS


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Action plan file",
        help_text=f"Excel (.xlsx), OpenDocument (.ods) or CSV; up to {MAX_ROWS:,} rows and "
        f"{MAX_BYTES // (1024 * 1024)} MB. Nothing is added to the plan until you confirm.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Upload and choose columns", name="upload")
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.ods,.csv,.txt"

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES:  # refused before it is read into memory
            raise forms.ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; a plan is much smaller."
            )
        return file


class MappingForm(forms.Form):
    """One choice per column of the file: which field it fills, or "keep in the notes"."""

    def __init__(self, *args, heads: list[str], mapping: list[str], samples: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Not imported: keep in the action's notes"), *FIELDS.items()]
        self.heads = heads
        for index, heading in enumerate(heads):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=heading[:120],
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else "",
                help_text=f"e.g. “{samples[index][:80]}”" if index < len(samples) and samples[index] else "",
            )
        self.helper = submit_helper("Check the rows", name="map")

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.heads))]


class RowFixForm(forms.Form):
    """A row with problems: type what it lacks, or skip it. Blank fields leave the file's value."""

    row = forms.IntegerField(widget=forms.HiddenInput)
    skip = forms.BooleanField(label="Skip this row", required=False)
    issue = BoundedCharField(label="Issue", required=False, max_length=2000)
    action = BoundedCharField(label="Action", required=False, max_length=2000)
    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)
    due = PlausibleDateField(label="Due date", required=False)
    key_question = forms.ChoiceField(
        label="Key question", required=False, choices=[("", "As in the file"), *KEY_QUESTIONS]
    )

    def __init__(self, *args, people: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "As in the file"), *(people or {}).items()]

    def fixes(self) -> dict:
        data = self.cleaned_data
        out = {name: data.get(name) for name in ("issue", "action", "owner", "key_question")}
        if data.get("due"):
            out["due"] = data["due"].isoformat()
        return {k: v for k, v in out.items() if v not in (None, "")}


class BaseFixFormSet(forms.BaseFormSet):
    def __init__(self, *args, people=None, **kwargs):
        self.people = people or {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "people": self.people}


FixFormSet = forms.formset_factory(RowFixForm, formset=BaseFixFormSet, extra=0, max_num=5000, absolute_max=5000)


class ConfirmForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper("Import the rows", name="confirm")
