"""Forms for templates, starting an audit, feeds and amendments, and the logging grid.

Lists whose rows are added, removed or reordered in the page (a template's criteria, the
logging grid's records and actions arising) are Django formsets; htmx adds and removes rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core import limits
from core.forms import BoundedCharField, DateInput, PlausibleDateField, apply_errors, bounded_formfield
from core.models import FrameworkItem, Service

from . import compliance as comp
from .models import Audit, AuditActionArising, AuditTemplate, Criterion, MeasureFeed
from .services import ArisingInput, CriterionInput, RecordInput
from .services.audit import NotSaved, validate_record_ref

# --- Templates ------------------------------------------------------------------------------


class TemplateForm(forms.ModelForm):
    change_note = BoundedCharField(
        label="What changed (optional)",
        required=False,
        max_length=limits.SHORT_NOTE,
        help_text="Kept with the new version when criteria change.",
    )

    class Meta:
        model = AuditTemplate
        fields = ["title", "area", "frequency", "default_sample_size", "services", "framework_items", "is_active"]
        labels = {
            "default_sample_size": "Records to sample",
            "services": "Services where it is due",
            "framework_items": "CQC framework items",
            "is_active": "In use",
        }
        help_texts = {
            "services": "Leave all unticked to use it at every service.",
            "framework_items": "Hold Ctrl (or Cmd) to choose more than one.",
            "default_sample_size": "How many records the logging screen starts with.",
        }
        widgets = {
            "services": forms.CheckboxSelectMultiple,
            "framework_items": forms.SelectMultiple(attrs={"size": 8}),
        }
        formfield_callback = bounded_formfield

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(provider=provider).order_by("name")
        self.fields["framework_items"].queryset = FrameworkItem.objects.select_related("version").order_by(
            "version__published", "key_question__order", "order"
        )
        self.fields["default_sample_size"].widget.attrs.update(min=1, max=100)
        if self.instance.pk is None:
            del self.fields["change_note"]


CRITERIA_PREFIX = "criteria"
MAX_CRITERIA = 100


class CriterionForm(forms.Form):
    """One criterion in the template editor; ``key`` is kept for an existing criterion.

    ``kind`` says how it is answered: yes/no, a number (optional range and pass rule) or a
    time within a limit (``limit``, typed as 4h, 30 min or 1:30).
    """

    key = forms.SlugField(required=False, max_length=60, widget=forms.HiddenInput)
    text = BoundedCharField(label="Criterion", required=False, max_length=limits.SHORT_NOTE)
    guidance = BoundedCharField(label="Guidance for the auditor", required=False, max_length=limits.NOTE)
    kind = forms.ChoiceField(
        label="Answered as", choices=Criterion.Kind.choices, initial=Criterion.Kind.YES_NO, required=False
    )
    limit = BoundedCharField(
        label="Time limit", required=False, max_length=20, help_text="For a time: the limit, such as 4h or 30 min."
    )
    unit = BoundedCharField(label="Unit", required=False, max_length=30, help_text="For a number, such as days.")
    min_value = forms.FloatField(label="Lowest allowed", required=False)
    max_value = forms.FloatField(label="Highest allowed", required=False)
    pass_rule = forms.ChoiceField(label="Meets the standard", choices=Criterion.PassRule.choices, required=False)
    pass_value = forms.FloatField(label="Standard", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("text", "guidance", "limit", "unit", "min_value", "max_value", "pass_value"):
            self.fields[name].widget.attrs["class"] = "form-control"
        for name in ("kind", "pass_rule"):
            self.fields[name].widget.attrs["class"] = "form-select"
        self.focus = ""  # "up" or "down": the button that keeps focus after a move

    def clean_limit(self):
        text = self.cleaned_data.get("limit", "").strip()
        if not text:
            return None
        minutes = comp.parse_minutes(text)
        if minutes is None:
            raise forms.ValidationError("Type the limit as 4h, 30 min or 1:30.")
        return minutes

    def to_input(self) -> CriterionInput | None:
        data = self.cleaned_data
        if not any(data.get(k) for k in ("key", "text", "guidance")):
            return None
        return CriterionInput(
            text=data.get("text", ""),
            guidance=data.get("guidance", ""),
            key=data.get("key", ""),
            kind=data.get("kind") or Criterion.Kind.YES_NO,
            unit=data.get("unit", ""),
            min_value=data.get("min_value"),
            max_value=data.get("max_value"),
            pass_rule=data.get("pass_rule", ""),
            pass_value=data.get("pass_value"),
            limit_minutes=data.get("limit"),
        )


def criterion_row(c: Criterion) -> dict:
    """A saved criterion as the editor's row shows it."""
    return {
        "key": c.key,
        "text": c.text,
        "guidance": c.guidance,
        "kind": c.kind,
        "limit": comp.format_minutes(c.limit_minutes).replace(" ", "") if c.limit_minutes else "",
        "unit": c.unit,
        "min_value": c.min_value,
        "max_value": c.max_value,
        "pass_rule": c.pass_rule,
        "pass_value": c.pass_value,
    }


CriterionFormSet = forms.formset_factory(CriterionForm, extra=0, max_num=MAX_CRITERIA, validate_max=True)


def criteria_formset(data=None, *, criteria: Sequence[Criterion] = (), rows: list[dict] | None = None):
    """The editor's criteria: posted (``data``), as saved (``criteria``) or as shown (``rows``)."""
    if rows is None:
        rows = [criterion_row(c) for c in criteria]
    if data is None and not rows:
        rows = [{}]  # always one row to type into
    return CriterionFormSet(data, prefix=CRITERIA_PREFIX, initial=rows)


def criteria_inputs(formset) -> list[CriterionInput]:
    """Service inputs from a valid formset, in the order shown; empty rows are dropped."""
    return [c for c in (form.to_input() for form in formset) if c is not None]


def criteria_changed(formset, change: str):
    """The posted criteria with one moved or removed, for ``change`` = "up|down|remove:<prefix>-<i>".

    Returns the new (unbound) formset, the row to focus and what to announce.
    """
    verb, _, name = change.partition(":")
    index = name.rpartition("-")[2]
    rows = [{field: form[field].value() for field in form.fields} for form in formset]
    i = int(index) if index.isdigit() else -1
    if not 0 <= i < len(rows):
        return criteria_formset(rows=rows), None, ""
    if verb == "remove":
        del rows[i]
        moved, message = max(0, min(i, len(rows) - 1)), "Criterion removed."
    elif verb == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
        moved, message = i - 1, f"Moved up to position {i}."
    elif verb == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
        moved, message = i + 1, f"Moved down to position {i + 2}."
    else:
        moved, message = i, ""
    new = criteria_formset(rows=rows)
    if moved is not None and 0 <= moved < len(new.forms):
        if verb in ("up", "down"):
            new.forms[moved].focus = verb
        else:
            new.forms[moved].fields["text"].widget.attrs["autofocus"] = True
    return new, moved, message


def new_form(formset, index: int):
    """An empty form of ``formset`` at ``index``: the row an "Add" button fetches (htmx)."""
    return formset.form(
        auto_id=formset.auto_id,
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        renderer=formset.renderer,
        **formset.get_form_kwargs(index),
    )


# --- Starting, amending, feeding -------------------------------------------------------------


class StartForm(forms.Form):
    template = forms.ModelChoiceField(queryset=AuditTemplate.objects.none(), label="Audit", empty_label=None)
    on = PlausibleDateField(
        label="Period",
        help_text="Any day in the period you are auditing. Today means this week (or month, or quarter).",
        widget=DateInput(),
    )

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.fields["on"].initial = timezone.localdate()

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("Choose today or an earlier date.")
        return on


class AmendForm(forms.Form):
    reason = BoundedCharField(
        label="Why does this audit need amending?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.NOTE,
        help_text="Kept with both versions, e.g. “Record R-1042 was answered against the wrong criterion.”",
    )


class FeedForm(forms.Form):
    measure = forms.ModelChoiceField(queryset=None, label="Measure", empty_label="Choose a measure")
    kind = forms.ChoiceField(
        choices=MeasureFeed.Kind.choices,
        initial=MeasureFeed.Kind.COMPLIANCE,
        widget=forms.RadioSelect,
        label="Each submitted audit adds",
    )
    criterion_keys = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Criteria counted",
        help_text="Leave all unticked to count every criterion. Ignored for the share of effective audits.",
    )

    def __init__(self, *args, measures, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = measures
        self.fields["measure"].label_from_instance = lambda m: f"{m.name} ({m.service or 'provider-wide'})"
        self.fields["criterion_keys"].choices = [(c.key, c.text) for c in criteria]


# --- The logging grid ------------------------------------------------------------------------
#
# The logging screen is three sets of Django forms, bound and validated by Django: the audit's
# own fields (AuditFieldsForm), the sampled records (a formset, prefix "records", with one
# answer field per criterion) and the actions arising (prefix "actions"). A row's position in
# its formset is its order. Errors stay on the field they belong to (never one message for the
# whole grid), so a later change can save every valid field of a grid that has an invalid one.

RECORDS_PREFIX = "records"
ACTIONS_PREFIX = "actions"
MAX_ROWS = 200
ANSWER_CHOICES = [(comp.YES, "Yes"), (comp.NO, "No"), (comp.NA, "Not applicable")]
CHOOSE = "Choose…"


def answer_field(key: str) -> str:
    """The form field holding a record's answer to the criterion ``key``."""
    return f"a_{key}"


def _date_widget() -> forms.DateInput:
    return DateInput(attrs={"class": "form-control"})


class AuditFieldsForm(forms.Form):
    findings = BoundedCharField(
        label="What did the sample show? Name the gaps and any pattern.",
        max_length=limits.NARRATIVE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )
    impact_check_date = PlausibleDateField(
        label="Date to re-check that the actions changed practice",
        required=False,
        widget=_date_widget(),
        error_messages={"invalid": "Enter the impact check date as a date."},
    )
    # Kept by the page script (static/js/audit_form.js): the draft version this copy was made
    # from (a copy older than the server's is a conflict) and the device's id for this save
    # (the same save sent again is not applied twice). See audit_save_draft.
    base_version = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)
    save_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["impact_check_date"].widget.attrs["class"] += " w-auto"


class TypedAnswerField(forms.CharField):
    """A number or time answer, typed: cleaned to its stored form by the criterion's rule."""

    def __init__(self, *, rule: comp.Rule, **kwargs):
        self.rule = rule
        super().__init__(required=False, max_length=40, **kwargs)

    def prepare_value(self, value):
        stored, problem = self.rule.parse(value or "") if value else ("", None)
        return self.rule.typed(stored) if stored and not problem else value

    def clean(self, value):
        value = super().clean(value)
        stored, problem = self.rule.parse(value)
        if problem:
            raise forms.ValidationError(problem)
        return stored


class RecordForm(forms.Form):
    """One sampled record: its reference, an answer per criterion and a comment."""

    ref = BoundedCharField(label="Record reference", required=False, max_length=40)
    comment = BoundedCharField(label="Comment", required=False, max_length=limits.SHORT_NOTE)

    def __init__(self, *args, criteria: Sequence[Criterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for c in self.criteria:
            if c.is_yes_no:
                field = forms.ChoiceField(
                    label=c.text, choices=ANSWER_CHOICES, required=False, widget=forms.RadioSelect
                )
            else:
                field = TypedAnswerField(rule=c.rule, label=c.text)
                hint = comp.TIME_HELP if c.kind == Criterion.Kind.TIME else "A number, or N/A."
                field.widget.attrs.update(
                    {
                        "class": "form-control form-control-sm typed-answer",
                        "autocomplete": "off",
                        "inputmode": "decimal" if c.kind == Criterion.Kind.NUMBER else "text",
                        "data-key": c.key,
                        "data-kind": c.kind,
                        "data-pass-rule": c.pass_rule,
                        "data-pass-value": "" if c.pass_value is None else f"{c.pass_value:g}",
                        "data-limit": "" if c.limit_minutes is None else str(c.limit_minutes),
                        "title": hint,
                        "placeholder": "h:mm" if c.kind == Criterion.Kind.TIME else (c.unit or "number"),
                    }
                )
            self.fields[answer_field(c.key)] = field
        self.fields["ref"].widget.attrs.update(
            {
                "class": "form-control form-control-sm ref-input",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "aria-describedby": "ref-help",
            }
        )
        self.fields["comment"].widget.attrs.update({"class": "form-control form-control-sm", "autocomplete": "off"})

    def clean_ref(self) -> str:
        ref = self.cleaned_data["ref"]
        message = validate_record_ref(ref)
        if message:
            raise forms.ValidationError(message)
        return ref

    def answer_fields(self) -> list[tuple[Criterion, forms.BoundField]]:
        return [(c, self[answer_field(c.key)]) for c in self.criteria]

    def raw_answers(self) -> dict[str, str]:
        """The answers as shown (posted or saved), valid or not: for the live compliance figures."""
        answers = {}
        for c in self.criteria:
            value = self[answer_field(c.key)].value()
            if c.is_yes_no:
                if value in comp.ANSWERS:
                    answers[c.key] = value
                continue
            stored, problem = c.rule.parse(value or "")
            if stored and not problem:
                answers[c.key] = stored
        return answers

    def to_input(self) -> RecordInput:
        """What the service saves: the fields that are valid (an invalid one is left out)."""
        data = self.cleaned_data
        answers = {c.key: data[answer_field(c.key)] for c in self.criteria if data.get(answer_field(c.key))}
        return RecordInput(ref=data.get("ref", ""), answers=answers, comment=data.get("comment", ""))


class ArisingForm(forms.Form):
    """One action arising: what, who, by when, and where it goes in the recovery plan."""

    description = BoundedCharField(
        label="What needs to happen",
        max_length=limits.NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    owner = forms.ChoiceField(
        label="Owner", required=False, error_messages={"invalid_choice": "Choose an owner from the list."}
    )
    due_date = PlausibleDateField(
        label="Due",
        required=False,
        widget=_date_widget(),
        error_messages={"invalid": "Enter the due date as a date."},
    )
    target = forms.ChoiceField(
        label="Becomes",
        required=False,
        error_messages={"invalid_choice": "Choose where this action goes from the list."},
    )

    def __init__(self, *args, owner_choices, target_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices
        self.fields["target"].choices = target_choices
        for name in ("owner", "target"):
            self.fields[name].widget.attrs["class"] = "form-select"


RecordFormSet = forms.formset_factory(RecordForm, extra=0, max_num=MAX_ROWS, validate_max=True)
ArisingFormSet = forms.formset_factory(ArisingForm, extra=0, max_num=MAX_ROWS, validate_max=True)


def _initial_from(audit: Audit, blank_rows: int) -> tuple[dict, list[dict], list[dict]]:
    records = [
        {"ref": r.record_ref, "comment": r.comment, **{answer_field(k): v for k, v in r.answers.items()}}
        for r in audit.records.all()
    ]
    if not records and audit.status == Audit.Status.DRAFT:
        records = [{} for _ in range(blank_rows)]
    arising = []
    for a in audit.actions_arising.filter(linked_at__isnull=True):
        target = ""
        if a.kind == AuditActionArising.Kind.NEW_ACTION and a.theme_id:
            target = f"theme:{a.theme_id}"
        elif a.kind == AuditActionArising.Kind.STEP and a.action_id:
            target = f"action:{a.action_id}"
        arising.append(
            {"description": a.description, "owner": str(a.owner_id or ""), "due_date": a.due_date, "target": target}
        )
    main = {
        "findings": audit.findings,
        "impact_check_date": audit.impact_check_date,
        "base_version": audit.draft_version,
    }
    return main, records, arising


class AuditGrid:
    """The logging screen's forms for one audit, from the database or from what was posted.

    ``owners``, ``themes`` and ``actions`` are what the actions arising may point at; they are
    read once per request and shared by every row (no query per row).
    """

    def __init__(self, audit: Audit, *, criteria, owners, themes, actions, data=None, initial=None, blank_rows=0):
        self.audit = audit
        self._sources = {"criteria": criteria, "owners": owners, "themes": themes, "actions": actions}
        self.criteria = list(criteria)
        self.keys = [c.key for c in self.criteria]
        self.owners = {str(u.pk): u for u in owners}
        self.themes = {f"theme:{t.pk}": t for t in themes}
        self.actions_to_step = {f"action:{a.pk}": a for a in actions}
        owner_choices = [("", CHOOSE)] + [
            (str(u.pk), f"{u} ({u.job_title})" if getattr(u, "job_title", "") else str(u)) for u in owners
        ]
        target_choices: list = [("", CHOOSE)]
        if themes:
            target_choices.append(("A new action under the theme", [(k, t.title) for k, t in self.themes.items()]))
        if actions:
            steps = [(k, f"{a.reference} {a.title}") for k, a in self.actions_to_step.items()]
            target_choices.append(("A step on the existing action", steps))
        if data is None and initial is None:
            initial = _initial_from(audit, blank_rows)
        main_initial, records_initial, arising_initial = initial or ({}, [], [])
        self.main = AuditFieldsForm(data, initial=main_initial)
        self.records = RecordFormSet(
            data, prefix=RECORDS_PREFIX, initial=records_initial, form_kwargs={"criteria": self.criteria}
        )
        self.arising = ArisingFormSet(
            data,
            prefix=ACTIONS_PREFIX,
            initial=arising_initial,
            form_kwargs={"owner_choices": owner_choices, "target_choices": target_choices},
        )
        self.other_errors: dict[str, list[str]] = {}

    # --- validation -----------------------------------------------------------------------

    def is_valid(self) -> bool:
        results = [self.main.is_valid(), self.records.is_valid(), self.arising.is_valid()]
        self._mark_invalid()
        return all(results) and not self.other_errors

    def _forms(self):
        yield self.main
        yield from self.records
        yield from self.arising

    def _mark_invalid(self) -> None:
        for form in self._forms():
            for name in form.errors:
                if name not in form.fields:
                    continue
                attrs = form.fields[name].widget.attrs
                classes = attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    attrs["class"] = " ".join([*classes, "is-invalid"])
                described = attrs.get("aria-describedby", "").split()
                if described and f"{form[name].auto_id}_error" not in described:  # else Django adds it
                    attrs["aria-describedby"] = " ".join([*described, f"{form[name].auto_id}_error"])

    def add_service_errors(self, error: ValidationError) -> None:
        """A service's refusal, on the field it names where there is one."""
        for name, messages in apply_errors(self.main, error, collect_unplaced=True).items():
            self.other_errors.setdefault(name, []).extend(messages)
        self._mark_invalid()

    def add_error(self, message: str) -> None:
        self.other_errors.setdefault("__all__", []).insert(0, message)

    def error_summary(self) -> list[tuple[str, str]]:
        """(message, id of the field to jump to or "") for the summary at the top of the page."""
        out = [(m, "") for messages in self.other_errors.values() for m in messages]
        if not self.main.is_bound:
            return out
        for name, errors in self.main.errors.items():
            out += [(e, self.main[name].auto_id if name in self.main.fields else "") for e in errors]
        for label, formset in (("Row", self.records), ("Action", self.arising)):
            out += [(e, "") for e in formset.non_form_errors()]
            for i, form in enumerate(formset, 1):
                for name, errors in form.errors.items():
                    anchor = form[name].auto_id if name in form.fields else ""
                    if anchor and isinstance(form.fields[name].widget, forms.RadioSelect):
                        anchor += "_0"
                    out += [(f"{label} {i}: {e}", anchor) for e in errors]
        return out

    def first_problem(self) -> str:
        summary = self.error_summary()
        return summary[0][0] if summary else ""

    # --- what the services need --------------------------------------------------------------

    def can_save(self) -> bool:
        """Whether the posted grid can be read at all: both formsets' row counts came with it.

        Without them the rows cannot be told apart, and saving would wipe the saved ones.
        """
        return self.records.management_form.is_valid() and self.arising.management_form.is_valid()

    def not_saved(self) -> list[NotSaved]:
        """Each field with an error, as the message after "not saved:" names it."""
        out: list[NotSaved] = []
        labels = {"findings": "findings", "impact_check_date": "impact check date"}
        for name, errors in self.main.errors.items():
            if name in labels:
                out.append(NotSaved(labels[name], " ".join(errors).rstrip(".")))
        numbers = {answer_field(c.key): i for i, c in enumerate(self.criteria, 1)}
        for row, form in enumerate(self.records, 1):
            for name, errors in form.errors.items():
                if name == "ref":
                    what = f"record reference in row {row}"
                elif name in numbers:
                    what = f"answer to C{numbers[name]} in row {row}"
                else:
                    what = f"{name} in row {row}"
                out.append(NotSaved(what, " ".join(errors).rstrip(".")))
        names = {"description": "description", "owner": "owner", "due_date": "due date", "target": "where it goes"}
        for i, form in enumerate(self.arising, 1):
            for name, errors in form.errors.items():
                out.append(NotSaved(f"{names.get(name, name)} of action {i}", " ".join(errors).rstrip(".")))
        return out

    def inputs(self) -> dict:
        """Keyword arguments for ``audit_save_draft``: every valid field of the grid.

        Every form's ``cleaned_data`` holds only its valid fields, so an invalid field is left
        out (a record's or action's field is saved empty; the audit's own fields keep their
        saved value, ``keep``) and named in ``not_saved``.
        """
        main = self.main.cleaned_data
        return {
            "records": [form.to_input() for form in self.records],
            "findings": main.get("findings", ""),
            "impact_check_date": main.get("impact_check_date"),
            "actions": [self._arising_input(form.cleaned_data) for form in self.arising],
            "base_version": main.get("base_version", ""),
            "save_id": main.get("save_id", ""),
            "keep": [name for name in ("findings", "impact_check_date") if name in self.main.errors],
            "not_saved": self.not_saved(),
        }

    def rebase(self, version: str) -> None:
        """Show what was posted again, now based on the server's ``version``: saving it once
        more replaces that version knowingly (after a conflict)."""
        data = self.main.data.copy()
        data["base_version"], data["save_id"] = version, ""
        self.main.data = data

    def _arising_input(self, data: dict) -> ArisingInput:
        target = data.get("target", "")
        theme = self.themes.get(target)
        action = self.actions_to_step.get(target)
        return ArisingInput(
            description=data.get("description", ""),
            owner=self.owners.get(data.get("owner", "")),
            due_date=data.get("due_date"),
            kind=AuditActionArising.Kind.STEP if action is not None else AuditActionArising.Kind.NEW_ACTION,
            theme=theme,
            action=action,
        )

    # --- what the page shows ----------------------------------------------------------------

    def compliance(self) -> comp.Compliance:
        """The figures for what is shown, typed or saved, as the page script works them out."""
        rules = {c.key: c.rule for c in self.criteria}
        return comp.compute([form.raw_answers() for form in self.records], self.keys, rules)

    def as_shown(self) -> tuple[dict, list[dict], list[dict]]:
        """Every field's value as shown, valid or not: initial data for a re-rendered grid."""

        def values(form):
            return {name: form[name].value() for name in form.fields}

        return values(self.main), [values(f) for f in self.records], [values(f) for f in self.arising]

    def without_row(self, name: str) -> AuditGrid:
        """This grid as posted, less the row named ``<prefix>-<index>`` (a Remove button's value)."""
        prefix, _, index = name.rpartition("-")
        main, records, arising = self.as_shown()
        rows = {RECORDS_PREFIX: records, ACTIONS_PREFIX: arising}.get(prefix)
        if rows is not None and index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
        return AuditGrid(self.audit, **self._sources, initial=(main, records, arising))

    def new_form(self, prefix: str, index: int):
        """An empty row at ``index`` (what "Add a record" / "Add an action" fetch)."""
        formset = self.records if prefix == RECORDS_PREFIX else self.arising
        return new_form(formset, max(0, min(index, MAX_ROWS - 1)))
