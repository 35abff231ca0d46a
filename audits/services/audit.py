"""Logging, submitting and amending audits.

A draft is saved as often as the page likes (autosave); submitting locks it, raises the
actions arising as recovery actions or steps, creates its evidence item and adds data
points to the measures it feeds. A submitted audit changes only by an amendment: a new
audit (copying the records) that, once submitted, supersedes the old one and takes over
its data points.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import events, limits, record_refs
from core import permissions as policy
from core.models import EvidenceCategory, FrameworkVersion, Service
from evidence import services as evidence_services
from evidence.models import SourceType
from recovery.models import FailureTheme, RecoveryAction
from recovery.plan import services as plan

from .. import compliance as comp
from ..checks import draft_warnings
from ..models import Audit, AuditActionArising, AuditRecord, AuditTemplate, rules_of
from ..periods import period_bounds, period_label
from .feeds import feed_measures

RECORD_REF_HELP = record_refs.HELP


def validate_record_ref(ref: str) -> str | None:
    """An error message for a bad reference, else None (blank is allowed in drafts).

    The rule is ``core.record_refs`` (one place for forms, services, the model and the API).
    """
    return record_refs.record_ref_problem(ref)


@dataclass
class RecordInput:
    ref: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    comment: str = ""

    def is_empty(self) -> bool:
        return not (self.ref.strip() or self.comment.strip() or any(self.answers.values()))


@dataclass
class ArisingInput:
    description: str = ""
    owner: object | None = None
    due_date: datetime.date | None = None
    kind: str = AuditActionArising.Kind.NEW_ACTION
    theme: FailureTheme | None = None
    action: RecoveryAction | None = None

    def is_empty(self) -> bool:
        return not (self.description.strip() or self.owner or self.due_date)


def template_applies(template: AuditTemplate, service: Service) -> bool:
    ids = [s.pk for s in template.services.all()]
    return template.provider_id == service.provider_id and (not ids or service.pk in ids)


@transaction.atomic
def audit_start(*, actor, template: AuditTemplate, service: Service, on: datetime.date | None = None) -> Audit:
    """A draft audit of ``template`` at ``service`` for the period containing ``on`` (default today).

    If a draft for that period exists it is returned instead; if one was submitted, the
    caller is told to amend it.
    """
    policy.require(actor, policy.Verb.LOG_AUDIT, service)
    today = timezone.localdate()
    on = on or today
    if not template_applies(template, service) or not template.is_active:
        raise ValidationError({"template": "This template is not used at this service."})
    start, end = period_bounds(template.frequency, on)
    if start > today:
        raise ValidationError({"period": "You cannot log an audit for a period that has not started."})
    existing = _audit_for_period(service, template, end)
    if existing is None:
        version = template.current_version()
        if version is None:
            raise ValidationError({"template": "This template has no criteria yet."})
        try:
            with transaction.atomic():  # a savepoint: a concurrent start may win the constraint
                started = Audit.objects.create(
                    provider=service.provider,
                    service=service,
                    template=template,
                    template_version=version,
                    period_start=start,
                    period_end=end,
                    auditor=actor,
                )
            events.changed(started, reason="audit_started")
            return started
        except IntegrityError:
            existing = _audit_for_period(service, template, end)
            if existing is None:
                raise
    if existing.status == Audit.Status.DRAFT:
        return existing  # starting twice (or at once) opens the one draft
    raise ValidationError(
        {
            "period": f"The audit for {period_label(template.frequency, start, end).lower()} was already "
            "submitted. Open it and amend it instead."
        }
    )


def _audit_for_period(service: Service, template: AuditTemplate, end: datetime.date) -> Audit | None:
    return Audit.objects.filter(service=service, template=template, period_end=end, amends__isnull=True).first()


class DraftConflict(ValidationError):
    """The draft was saved by someone else (or another device) since the copy being saved was made."""


def _check_draft(actor, audit: Audit, check_permission: bool) -> None:
    if check_permission:
        policy.require(actor, policy.Verb.LOG_AUDIT, audit)
    if audit.status != Audit.Status.DRAFT:
        raise ValidationError("This audit was submitted and is locked. Amend it to change it.")


@dataclass(frozen=True)
class NotSaved:
    """One piece of input a draft save left out, and why: "record reference in row 3"."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what} — {self.reason}"


@dataclass
class DraftReport:
    """What a draft save kept and left out (``Audit.save_report`` after ``audit_save_draft``)."""

    answers: int = 0
    records: int = 0
    not_saved: list[NotSaved] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.not_saved

    def summary(self, at: str = "") -> str:
        """ "Saved 11 answers at 14:05; not saved: record reference in row 3 — …" """
        saved = f"Saved {self.answers} answer{'' if self.answers == 1 else 's'}{' at ' + at if at else ''}"
        if self.not_saved:
            saved += "; not saved: " + "; ".join(str(n) for n in self.not_saved)
        return saved + "."

    def message(self, at: str = "") -> str:
        """The summary and, after it, the warnings."""
        if not self.warnings:
            return self.summary(at)
        return self.summary(at) + " Check: " + " ".join(self.warnings)


NUL = "contains a null character (\\x00), which cannot be stored; remove it"


@transaction.atomic
def audit_save_draft(
    *,
    actor,
    audit: Audit,
    records: Sequence[RecordInput],
    findings: str | None = "",
    impact_check_date: datetime.date | None = None,
    actions: Sequence[ArisingInput] = (),
    base_version: str = "",
    save_id: str = "",
    check_permission: bool = True,
    keep: Sequence[str] = (),
    not_saved: Sequence[NotSaved] = (),
) -> Audit:
    """Save every valid piece of what was typed; leave out (and report) each invalid one.

    Nothing is refused as a whole: a record reference that reads as a name, an answer that is
    not one, an owner without access to the service, a theme or action elsewhere, text too
    long or with a null character is left out on its own, with the reason, and the rest is
    saved. ``keep`` names the audit's own fields ("findings", "impact_check_date") the caller
    could not read (a form error): they keep their saved value. ``not_saved`` is what the
    caller already left out (the form's errors), reported with the service's own.

    The returned audit carries ``save_report`` (a ``DraftReport``: answers saved, what was not
    saved and why, warnings about implausible input). Empty rows are dropped; nothing is locked.
    With ``base_version`` (the ``draft_version`` the copy was made from), a draft saved since
    is a ``DraftConflict``; a ``save_id`` equal to the last one applied is that same save sent
    again, answered with the draft as it is.
    """
    audit = Audit.objects.select_for_update(of=("self",)).select_related("template_version__template").get(pk=audit.pk)
    _check_draft(actor, audit, check_permission)
    criteria = list(audit.template_version.criteria.all())
    report = DraftReport(not_saved=list(not_saved))
    if save_id and save_id == audit.last_save_id:
        _finish_report(audit, report, criteria)
        return audit
    if base_version and base_version != audit.draft_version:
        raise DraftConflict("This draft was changed elsewhere since this copy of it was made.")
    rules = {c.key: c.rule for c in criteria}
    numbers = {c.key: i for i, c in enumerate(criteria, 1)}
    skip = report.not_saved.append

    def text(value: str, what: str, model, name: str) -> str:
        value = (value or "").strip()
        if "\x00" in value:
            skip(NotSaved(what, NUL))
            return ""
        for message in limits.problems(model, **{name: value}).values():
            skip(NotSaved(what, message.rstrip(".")))
            return ""
        return value

    wanted_records = []
    for row, r in enumerate(records, 1):
        if r.is_empty():
            continue
        ref = text(r.ref, f"record reference in row {row}", AuditRecord, "record_ref")
        problem = validate_record_ref(ref)
        if problem:
            skip(NotSaved(f"record reference in row {row}", problem))
            ref = ""
        answers = {}
        for key, value in r.answers.items():
            if key not in rules or not value:
                continue
            if rules[key].is_stored(value):
                answers[key] = value
            else:
                skip(NotSaved(f"answer to C{numbers[key]} in row {row}", "not a valid answer"))
        comment = text(r.comment, f"comment in row {row}", AuditRecord, "comment")
        if ref or answers or comment:
            wanted_records.append(dict(record_ref=ref, answers=answers, comment=comment))

    if "findings" in keep or findings is None:
        findings = audit.findings
    else:
        findings = text(findings, "findings", Audit, "findings") if findings else ""
    if "impact_check_date" in keep:
        impact_check_date = audit.impact_check_date

    # Actions arising not yet raised: also updated in place by position, so an autosave neither
    # churns rows nor writes a deletion to the audit trail for each one. Raised ones (copied
    # into an amendment) stay as they are.
    offset = audit.actions_arising.filter(linked_at__isnull=False).count()
    wanted = []
    for i, a in enumerate(actions, 1):
        if a.is_empty():
            continue
        step = a.kind == AuditActionArising.Kind.STEP
        owner, theme, action = a.owner, a.theme, a.action
        if owner is not None and not policy.can(owner, policy.Verb.VIEW, audit.service):
            skip(NotSaved(f"owner of action {i}", "the owner must have access to this service"))
            owner = None
        if theme is not None and (
            theme.service_id not in (None, audit.service_id) or theme.provider_id != audit.provider_id
        ):
            skip(NotSaved(f"theme of action {i}", "choose a theme of this service"))
            theme = None
        if action is not None and action.service_id != audit.service_id:
            skip(NotSaved(f"action to add a step to, action {i}", "choose an action of this service"))
            action = None
        description = text(a.description, f"description of action {i}", AuditActionArising, "description")
        if not (description or owner or a.due_date or theme or action):
            continue
        wanted.append(
            dict(
                order=offset + len(wanted),
                description=description,
                owner_id=owner.pk if owner is not None else None,
                due_date=a.due_date,
                kind=a.kind,
                theme_id=theme.pk if theme is not None and not step else None,
                action_id=action.pk if action is not None and step else None,
            )
        )

    # Records: update in place by position, so autosave does not churn rows.
    _keep_by_position(
        AuditRecord,
        audit,
        list(audit.records.order_by("order", "pk")),
        [{**values, "order": i} for i, values in enumerate(wanted_records)],
        ["record_ref", "answers", "comment", "order"],
    )
    _keep_by_position(
        AuditActionArising,
        audit,
        list(audit.actions_arising.filter(linked_at__isnull=True).order_by("order", "pk")),
        wanted,
        ["order", "description", "owner", "due_date", "kind", "theme", "action"],
    )
    audit.findings = findings
    audit.impact_check_date = impact_check_date
    audit.last_save_id = save_id[:64]
    audit.save(update_fields=["findings", "impact_check_date", "last_save_id", "updated_at"])
    _finish_report(audit, report, criteria)
    return audit


def _finish_report(audit: Audit, report: DraftReport, criteria) -> None:
    """Count what the draft now holds and add the warnings about it (``audits.checks``)."""
    records = list(audit.records.all())
    keys = {c.key for c in criteria}
    report.records = len(records)
    report.answers = sum(1 for r in records for k, v in r.answers.items() if k in keys and v)
    report.warnings = draft_warnings(
        audit=audit,
        refs=[r.record_ref for r in records],
        due_dates=[a.due_date for a in audit.actions_arising.filter(linked_at__isnull=True)],
        sampled=len(records),
        final=False,
    )
    audit.save_report = report


def _keep_by_position(model, audit: Audit, existing: list, wanted: list[dict], fields: list[str]) -> None:
    """Make the audit's ``existing`` rows (in order) hold ``wanted``, position by position:
    a row whose values changed is updated, missing ones are created, left-over ones deleted."""
    to_update, to_create = [], []
    for i, values in enumerate(wanted):
        if i < len(existing):
            row = existing[i]
            if any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                to_update.append(row)
        else:
            to_create.append(model(audit=audit, **values))
    if to_update:
        model.objects.bulk_update(to_update, fields)
    if to_create:
        model.objects.bulk_create(to_create)
    if len(existing) > len(wanted):
        model.objects.filter(pk__in=[row.pk for row in existing[len(wanted) :]]).delete()


def submission_errors(audit: Audit, keys: Sequence[str], records, arising, rules=None) -> dict[str, list[str]]:
    rules = rules or {}
    errors: dict[str, list[str]] = {}
    if not records:
        errors["records"] = ["Add at least one sampled record."]
    any_no = False
    for i, r in enumerate(records, 1):
        if not r.record_ref:
            errors.setdefault("records", []).append(f"Record {i}: enter its reference.")
        missing = [k for k in keys if not rules.get(k, comp.YES_NO_RULE).is_stored(r.answers.get(k, ""))]
        if missing:
            errors.setdefault("records", []).append(
                f"Record {i} ({r.record_ref or 'no reference'}): answer every criterion ({len(missing)} left)."
            )
        any_no = any_no or any(rules.get(k, comp.YES_NO_RULE).outcome(r.answers.get(k, "")) == comp.NO for k in keys)
    if any_no and not audit.findings.strip():
        errors["findings"] = ["Some answers are “No”: write what you found."]
    for i, a in enumerate(arising, 1):
        if a.linked_at:
            continue
        problems = []
        if not a.description.strip():
            problems.append("describe the action")
        if a.owner_id is None:
            problems.append("choose an owner")
        if a.due_date is None:
            problems.append("give a due date")
        if a.kind == AuditActionArising.Kind.NEW_ACTION and a.theme_id is None:
            problems.append("choose the theme it belongs to")
        if a.kind == AuditActionArising.Kind.STEP and a.action_id is None:
            problems.append("choose the action to add a step to")
        if problems:
            errors.setdefault("actions", []).append(f"Action {i}: {', '.join(problems)}.")
    if audit.impact_check_date and audit.impact_check_date < audit.period_start:
        errors["impact_check_date"] = ["The impact check comes after the audit period."]
    return errors


def _raise_actions(actor, audit: Audit, arising: Sequence[AuditActionArising], label: str) -> None:
    template = audit.template_version.template
    now = timezone.now()
    for a in arising:
        if a.linked_at:
            continue
        if a.kind == AuditActionArising.Kind.NEW_ACTION:
            a.action = plan.action_create(
                actor=actor,
                theme=a.theme,
                service=audit.service,
                title=a.description.strip().splitlines()[0][:200],
                baseline_issue=f"Found by the {template} audit ({label}): {a.description.strip()}",
                owner=a.owner,
                due_date=a.due_date,
                check_permission=False,
            )
        else:
            due = f"{a.due_date.day} {a.due_date:%b %Y}"
            a.step = plan.step_add(
                actor=actor,
                action=a.action,
                role=str(a.owner),
                what=f"{a.description.strip()} (due {due}; from the {template} audit, {label})",
                recorded_where=f"Audit record AU-{audit.pk}",
                check_permission=False,
            )
        a.linked_at = now
        a.save(update_fields=["action", "step", "linked_at"])


def _evidence_category() -> EvidenceCategory | None:
    return (
        EvidenceCategory.objects.filter(code="processes", version__status=FrameworkVersion.Status.CURRENT)
        .order_by("-version__published")
        .first()
    )


@transaction.atomic
def audit_submit(*, actor, audit: Audit, check_permission: bool = True) -> Audit:
    """Lock the draft; raise its actions; create its evidence item; feed linked measures."""
    audit = (
        Audit.objects.select_for_update(of=("self",))
        .select_related("template_version__template", "service", "provider", "amends")
        .get(pk=audit.pk)
    )
    _check_draft(actor, audit, check_permission)
    template = audit.template_version.template
    criteria = list(audit.template_version.criteria.all())
    keys = [c.key for c in criteria]
    rules = rules_of(criteria)
    records = list(audit.records.all())
    arising = list(audit.actions_arising.all())
    errors = submission_errors(audit, keys, records, arising, rules)
    if errors:
        raise ValidationError(errors)

    result = comp.compute([r.answers for r in records], keys, rules)
    gaps = comp.effectiveness_gaps(
        findings=audit.findings,
        no_answers=result.overall.no,
        actions_with_owner=sum(1 for a in arising if a.owner_id),
        has_impact_check=audit.impact_check_date is not None,
    )
    now = timezone.now()
    # The row is locked (select_for_update above), so two submits cannot both get here.
    previous = audit.amends
    if previous is not None:
        previous = Audit.objects.select_for_update().get(pk=previous.pk)
        if previous.status != Audit.Status.SUBMITTED:
            raise ValidationError("The audit this amends is no longer the current version.")

    label = period_label(template.frequency, audit.period_start, audit.period_end)
    _raise_actions(actor, audit, arising, label)

    today = timezone.localdate()
    overall = f"Overall compliance {result.percent:g}%." if result.percent is not None else "No yes/no answers."
    summary = [overall]
    summary.append(f"{len(records)} records sampled against {len(keys)} criteria.")
    for c in criteria:
        if not c.is_yes_no and c.standard():
            t = result.per_criterion[c.key]
            summary.append(f"{c.text} ({c.standard()}): {t.yes} of {t.answered} met the standard.")
    if audit.findings:
        summary.append(f"Findings: {audit.findings}")
    if previous is not None:
        summary.append(f"Amends an earlier submission: {audit.amendment_reason}")
    item = evidence_services.evidence_create(
        actor=actor,
        provider=audit.provider,
        service=audit.service,
        title=f"{template.title} audit – {label}{' (amended)' if previous else ''}",
        refers_to=min(audit.period_end, today),
        source_type=SourceType.AUDIT,
        category=_evidence_category(),
        recorded_in="Audit records in this system",
        description="\n".join(summary),
        framework_items=list(template.framework_items.all()),
        check_permission=False,
    )
    audit.evidence_item = item
    audit.status = Audit.Status.SUBMITTED
    audit.submitted_at = now
    audit.compliance = result.percent
    audit.is_effective = not gaps
    audit.effectiveness_gaps = gaps
    audit.save()  # one audit-trail entry: draft -> submitted, with the figures
    if previous is not None:
        previous.status = Audit.Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])

    feed_measures(actor=actor, audit=audit, keys=keys, result=result, previous=previous, label=label)
    audit.submit_warnings = draft_warnings(
        audit=audit, refs=[r.record_ref for r in records], due_dates=[a.due_date for a in arising]
    )
    # Submitted: its overdue-audit flag resolves; its answers may count towards a repeated finding.
    events.changed(audit, reason="audit_submitted")
    return audit


@transaction.atomic
def audit_amend(*, actor, audit: Audit, reason: str) -> Audit:
    """Start an amendment: a new draft copying the submitted audit. Returns the draft.

    The original stays submitted (and counts) until the amendment is submitted.
    """
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    policy.require(actor, policy.Verb.LOG_AUDIT, audit)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the submitted audit needs amending."})
    limits.check(Audit, amendment_reason=reason.strip(), report_as={"amendment_reason": "reason"})
    if audit.status != Audit.Status.SUBMITTED:
        raise ValidationError("Only the current submitted version of an audit can be amended.")
    pending = Audit.objects.filter(amends=audit).first()
    if pending is not None:
        raise ValidationError("An amendment of this audit is already in progress.")
    amendment = Audit.objects.create(
        provider_id=audit.provider_id,
        service_id=audit.service_id,
        template_id=audit.template_id,
        template_version_id=audit.template_version_id,
        period_start=audit.period_start,
        period_end=audit.period_end,
        auditor=actor,
        findings=audit.findings,
        impact_check_date=audit.impact_check_date,
        amends=audit,
        amendment_reason=reason.strip(),
    )
    AuditRecord.objects.bulk_create(
        AuditRecord(audit=amendment, order=r.order, record_ref=r.record_ref, answers=dict(r.answers), comment=r.comment)
        for r in audit.records.all()
    )
    AuditActionArising.objects.bulk_create(
        AuditActionArising(
            audit=amendment,
            order=a.order,
            description=a.description,
            owner_id=a.owner_id,
            due_date=a.due_date,
            kind=a.kind,
            theme_id=a.theme_id,
            action_id=a.action_id,
            step_id=a.step_id,
            linked_at=a.linked_at,
        )
        for a in audit.actions_arising.all()
    )
    events.changed(amendment, reason="audit_amended")
    return amendment
