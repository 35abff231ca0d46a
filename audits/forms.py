"""Forms for templates, starting an audit, feeds and amendments, and the logging grid's parser.

The logging grid and the criteria list are lists whose rows are added, removed and
reordered in the page, so they are posted as ordered row tokens (``row``, ``crit``,
``act``) with fields named after each token, and parsed here into plain states that the
templates render (from the database or from what was posted, errors and all).
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from core.models import FrameworkItem, Service

from . import compliance as comp
from .models import Audit, AuditActionArising, AuditTemplate, Criterion, MeasureFeed
from .services import ArisingInput, CriterionInput, RecordInput
from .services.audit import RECORD_REF_HELP, validate_record_ref

BLANK_TOKEN = "__tok__"  # noqa: S105 - the placeholder a page script replaces in row templates


def new_token() -> str:
    return "n" + secrets.token_hex(4)


def clean_token(value: str) -> str:
    value = (value or "").strip()
    return value if value and len(value) <= 20 and value.replace("-", "").isalnum() else ""


# --- Templates ------------------------------------------------------------------------------


class TemplateForm(forms.ModelForm):
    change_note = forms.CharField(
        label="What changed (optional)",
        required=False,
        max_length=300,
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

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(provider=provider).order_by("name")
        self.fields["framework_items"].queryset = FrameworkItem.objects.select_related("version").order_by(
            "version__published", "key_question__order", "order"
        )
        self.fields["default_sample_size"].widget.attrs.update(min=1, max=100)
        if self.instance.pk is None:
            del self.fields["change_note"]


@dataclass
class CriterionRow:
    token: str
    key: str = ""
    text: str = ""
    guidance: str = ""


def criteria_rows_from(criteria: list[Criterion]) -> list[CriterionRow]:
    return [CriterionRow(token=f"c{i}", key=c.key, text=c.text, guidance=c.guidance) for i, c in enumerate(criteria)]


def parse_criteria(post) -> tuple[list[CriterionRow], list[CriterionInput]]:
    rows = []
    for token in post.getlist("crit"):
        token = clean_token(token)
        if not token:
            continue
        row = CriterionRow(
            token=token,
            key=post.get(f"crit-{token}-key", "").strip(),
            text=post.get(f"crit-{token}-text", "").strip(),
            guidance=post.get(f"crit-{token}-guidance", "").strip(),
        )
        if row.text or row.guidance or row.key:
            rows.append(row)
    return rows, [CriterionInput(text=r.text, guidance=r.guidance, key=r.key) for r in rows]


# --- Starting, amending, feeding -------------------------------------------------------------


class StartForm(forms.Form):
    template = forms.ModelChoiceField(queryset=AuditTemplate.objects.none(), label="Audit", empty_label=None)
    on = forms.DateField(
        label="Period",
        help_text="Any day in the period you are auditing. Today means this week (or month, or quarter).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
    reason = forms.CharField(
        label="Why does this audit need amending?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
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


@dataclass
class RecordRow:
    token: str
    ref: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    error: str = ""


@dataclass
class ArisingRow:
    token: str
    description: str = ""
    owner_id: str = ""
    due_date: str = ""
    target: str = ""  # "theme:<pk>" or "action:<pk>"
    error: str = ""


@dataclass
class AuditFormState:
    records: list[RecordRow]
    arising: list[ArisingRow]
    findings: str = ""
    impact_check_date: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def answer_sets(self) -> list[dict[str, str]]:
        return [r.answers for r in self.records]


def state_from_audit(audit: Audit, blank_rows: int = 0) -> AuditFormState:
    records = [
        RecordRow(token=f"r{i}", ref=r.record_ref, answers=dict(r.answers), comment=r.comment)
        for i, r in enumerate(audit.records.all())
    ]
    if not records and audit.status == Audit.Status.DRAFT:
        records = [RecordRow(token=f"r{i}") for i in range(blank_rows)]
    arising = []
    for i, a in enumerate(audit.actions_arising.filter(linked_at__isnull=True)):
        target = ""
        if a.kind == AuditActionArising.Kind.NEW_ACTION and a.theme_id:
            target = f"theme:{a.theme_id}"
        elif a.kind == AuditActionArising.Kind.STEP and a.action_id:
            target = f"action:{a.action_id}"
        arising.append(
            ArisingRow(
                token=f"a{i}",
                description=a.description,
                owner_id=str(a.owner_id or ""),
                due_date=a.due_date.isoformat() if a.due_date else "",
                target=target,
            )
        )
    return AuditFormState(
        records=records,
        arising=arising,
        findings=audit.findings,
        impact_check_date=audit.impact_check_date.isoformat() if audit.impact_check_date else "",
    )


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def parse_audit_post(post, keys: list[str]) -> AuditFormState:
    """What was posted, row by row, with format errors marked on the rows."""
    records = []
    for token in post.getlist("row"):
        token = clean_token(token)
        if not token:
            continue
        row = RecordRow(
            token=token,
            ref=post.get(f"r-{token}-ref", "").strip(),
            answers={k: post.get(f"r-{token}-a-{k}", "") for k in keys if post.get(f"r-{token}-a-{k}")},
            comment=post.get(f"r-{token}-comment", "").strip(),
        )
        row.error = validate_record_ref(row.ref) or ""
        records.append(row)
    arising = []
    for token in post.getlist("act"):
        token = clean_token(token)
        if not token:
            continue
        row = ArisingRow(
            token=token,
            description=post.get(f"a-{token}-description", "").strip(),
            owner_id=post.get(f"a-{token}-owner", "").strip(),
            due_date=post.get(f"a-{token}-due", "").strip(),
            target=post.get(f"a-{token}-target", "").strip(),
        )
        if row.due_date and _date(row.due_date) is None:
            row.error = "Enter the due date as a date."
        arising.append(row)
    state = AuditFormState(
        records=records,
        arising=arising,
        findings=post.get("findings", "").strip(),
        impact_check_date=post.get("impact_check_date", "").strip(),
    )
    if state.impact_check_date and _date(state.impact_check_date) is None:
        state.errors["impact_check_date"] = ["Enter the impact check date as a date."]
    return state


def to_inputs(
    state: AuditFormState, *, owners: dict[str, object], themes: dict[str, object], actions: dict[str, object]
):
    """Service inputs from a parsed state; unknown owners or targets become per-row errors."""
    records = [RecordInput(ref=r.ref, answers=dict(r.answers), comment=r.comment) for r in state.records]
    arising = []
    for row in state.arising:
        owner = owners.get(row.owner_id) if row.owner_id else None
        if row.owner_id and owner is None:
            row.error = "Choose an owner from the list."
        kind, _, pk = row.target.partition(":")
        theme = themes.get(pk) if kind == "theme" else None
        action = actions.get(pk) if kind == "action" else None
        if row.target and theme is None and action is None:
            row.error = "Choose where this action goes from the list."
        arising.append(
            ArisingInput(
                description=row.description,
                owner=owner,
                due_date=_date(row.due_date),
                kind=AuditActionArising.Kind.STEP if kind == "action" else AuditActionArising.Kind.NEW_ACTION,
                theme=theme,
                action=action,
            )
        )
    return records, arising


def live_compliance(state: AuditFormState, keys: list[str]) -> comp.Compliance:
    return comp.compute(state.answer_sets, keys)


__all__ = ["RECORD_REF_HELP"]
