"""Logging audits: start, the grid (formsets, htmx rows and autosave), submit, detail, amend, schedule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from core import exports
from core import permissions as policy
from core.access import AccessKind, records_access
from core.forms import apply_errors
from core.selectors import history_for, service_for_slug
from core.views import form_page, redrawn_status, saved

from .. import compliance as comp
from .. import selectors
from ..checks import draft_warnings
from ..forms import ACTIONS_PREFIX, MAX_ROWS, RECORDS_PREFIX, AmendForm, AuditGrid, StartForm
from ..models import Audit, rules_of
from ..periods import period_label
from ..services import audit_amend, audit_save_draft
from ..services import audit_start as audit_start_service
from ..services import audit_submit as submit
from ..services.audit import RECORD_REF_HELP, DraftConflict


@login_required
@records_access(AccessKind.PAGE, label="Audits")
def audit_list(request, service: str):
    service_obj = service_for_slug(request.user, service)
    audits = list(selectors.audit_list(service_obj))
    return render(
        request,
        "audits/audit_list.html",
        {
            "service": service_obj,
            "audits": audits,
            "can_log": policy.can(request.user, policy.Verb.LOG_AUDIT, service_obj),
            "ineffective": sum(1 for a in audits if a.status == Audit.Status.SUBMITTED and a.is_effective is False),
            "export_urls": {f: reverse(f"audits:export_{f}", args=[service_obj.slug]) for f in ("xlsx", "csv")},
        },
    )


@login_required
@require_GET
@records_access(AccessKind.EXPORT, label="Audits export")
def audit_export(request, service: str, fmt: str):
    """The service's audits, as the list shows them, with answers, compliance and actions arising."""
    service_obj = service_for_slug(request.user, service)
    audits = selectors.audits_for_export(service_obj)
    name = exports.download_name("audits", service_obj.slug, ext=fmt)
    if fmt == "csv":
        return exports.csv_response(selectors.audits_table(audits), name)
    return exports.xlsx_response(selectors.audit_tables(audits), name)


@login_required
def audit_start(request, service: str):
    service_obj = service_for_slug(request.user, service, policy.Verb.LOG_AUDIT)
    templates = selectors.applicable_templates(service_obj)
    initial = {}
    if request.GET.get("template", "").isdigit():
        initial["template"] = int(request.GET["template"])
    if request.GET.get("on"):
        initial["on"] = request.GET["on"]
    form = StartForm(request.POST or None, templates=templates, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: audit_start_service(
            actor=request.user, template=data["template"], service=service_obj, on=data["on"]
        ),
        success=lambda audit: redirect("audits:audit_edit", pk=audit.pk),
        render=lambda: render(
            request,
            "audits/audit_start.html",
            {"service": service_obj, "form": form, "has_templates": templates.exists()},
            status=redrawn_status(request),
        ),
        refused=lambda form, e: apply_errors(form, e, rename={"period": "on"}, default="template"),
    )


def _grid(audit: Audit, data=None, initial=None) -> AuditGrid:
    """The logging screen's forms, with the choices every row shares read once."""
    return AuditGrid(
        audit,
        criteria=selectors.criteria_of(audit),
        owners=list(selectors.owner_choices(audit.service)),
        themes=selectors.theme_choices(audit.service),
        actions=selectors.action_choices(audit.service),
        data=data,
        initial=initial,
        blank_rows=audit.template_version.template.default_sample_size,
    )


def _render_edit(request, audit: Audit, grid: AuditGrid, status: int = 200):
    template = audit.template_version.template
    records = list(audit.records.all())
    warnings = draft_warnings(
        audit=audit,
        refs=[r.record_ref for r in records],
        due_dates=[a.due_date for a in audit.actions_arising.filter(linked_at__isnull=True)],
        sampled=len(records),
        final=False,
    )
    return render(
        request,
        "audits/audit_edit.html",
        {
            "audit": audit,
            "template_obj": template,
            "service": audit.service,
            "grid": grid,
            "criteria": grid.criteria,
            "result": grid.compliance(),
            "errors": grid.error_summary(),
            "has_targets": bool(grid.themes or grid.actions_to_step),
            "raised": list(audit.actions_arising.filter(linked_at__isnull=False).select_related("owner", "action")),
            "period": period_label(template.frequency, audit.period_start, audit.period_end),
            "ref_help": RECORD_REF_HELP,
            "answers": ANSWER_CHOICES,
            "warnings": warnings,
        },
        status=status,
    )


# (value, label, what a sighted user sees on the button)
ANSWER_CHOICES = [(comp.YES, "Yes", "Yes"), (comp.NO, "No", "No"), (comp.NA, "Not applicable", "N/A")]


def _draft(request, pk: int) -> Audit:
    return selectors.audit_for_user(request.user, pk, policy.Verb.LOG_AUDIT)


def _save(request, audit: Audit) -> tuple[AuditGrid, Audit | None]:
    """Bind the posted grid and save every valid field of it as the draft.

    Returns the grid (with its errors) and the saved audit, whose ``save_report`` says what
    was and was not saved; None when nothing could be saved (the audit was locked meanwhile,
    or the grid came without its row counts). A copy based on an older version of the draft
    raises ``DraftConflict``.
    """
    grid = _grid(audit, request.POST)
    grid.is_valid()
    if not grid.can_save():
        return grid, None
    try:
        saved_audit = audit_save_draft(actor=request.user, audit=audit, **grid.inputs())
    except DraftConflict:
        raise
    except ValidationError as e:
        grid.add_service_errors(e)
        return grid, None
    grid.rebase(saved_audit.draft_version)  # shown again, it goes on from the version just saved
    return grid, saved_audit


def _at() -> str:
    return f"{timezone.localtime():%H:%M}"


def _changed_at(audit: Audit) -> str:
    audit.refresh_from_db(fields=["updated_at"])
    at = timezone.localtime(audit.updated_at)
    return f"{at:%H:%M} on {at.day} {at:%b}"


def _render_conflict(request, audit: Audit, doing: str):
    """The draft changed since this copy was made: show the copy again, with the choice."""
    grid = _grid(audit, request.POST)
    grid.is_valid()
    when = _changed_at(audit)
    grid.rebase(audit.draft_version)
    grid.add_error(
        f"Not {doing}: this draft was changed elsewhere at {when}, after you opened it. What you typed is "
        "still here: save again to replace that version with this one, or open the audit again to see it."
    )
    return _render_edit(request, audit, grid, status=409)


@login_required
@records_access(AccessKind.PAGE, label="Audit being logged")
def audit_edit(request, pk: int):
    audit = _draft(request, pk)
    if audit.is_locked:
        messages.info(request, "This audit was submitted and is locked. Amend it to change it.")
        return redirect(audit)
    if request.method == "POST":
        try:
            grid, saved_audit = _save(request, audit)
        except DraftConflict:
            return _render_conflict(request, audit, "saved")
        if saved_audit is not None and saved_audit.save_report.complete:
            answers = saved_audit.save_report.answers
            messages.success(request, f"Draft saved at {_at()}: {answers} answer{'' if answers == 1 else 's'}.")
            for warning in saved_audit.save_report.warnings:
                messages.warning(request, warning)
            return redirect("audits:audit_edit", pk=audit.pk)
        if _submitted_meanwhile(audit):
            return _already_submitted(request, audit)
        if saved_audit is None:
            grid.add_error("The draft was not saved. Correct the marked fields; everything you typed is still here.")
        else:
            grid.add_error(
                f"Draft partly saved. {saved_audit.save_report.summary(_at())} Correct the marked fields; "
                "everything you typed is still here."
            )
        return _render_edit(request, audit, grid, status=400)
    return _render_edit(request, audit, _grid(audit))


@login_required
@require_POST
def audit_autosave(request, pk: int):
    """Save the whole grid as a draft; answer with the status line the page shows.

    The page script reads two headers: ``Audit-Version`` (the draft's version now, which the
    next save is based on) and ``Audit-Conflict`` (the copy was based on an older version:
    nothing was saved, and the auditor chooses which to keep).
    """
    audit = _draft(request, pk)
    if audit.is_locked:
        return _status(request, "Not saved: this audit has been submitted and is locked.", 409)
    try:
        grid, saved_audit = _save(request, audit)
    except DraftConflict:
        when = _changed_at(audit)
        response = _status(
            request, f"Not sent: this draft was changed elsewhere at {when}, after this copy was made.", 409
        )
        response["Audit-Conflict"] = "changed"
        response["Audit-Version"] = audit.draft_version
        return response
    if saved_audit is None and _submitted_meanwhile(audit):
        return _status(request, "Not saved: this audit has been submitted and is locked.", 409)
    if saved_audit is None:
        return _status(request, f"Not saved: {grid.first_problem()}", 422)
    report = saved_audit.save_report
    response = _status(request, report.message(_at()))
    response["Audit-Version"] = saved_audit.draft_version
    # How many fields the server left out: the device keeps what was typed until they are fixed.
    response["Audit-Not-Saved"] = str(len(report.not_saved))
    return response


def _status(request, text: str, status: int = 200):
    return render(request, "audits/_autosave_status.html", {"text": text}, status=status)


def _autofocus(form) -> None:
    """htmx moves focus to the element marked ``autofocus`` in what it swaps in."""
    form.fields[next(iter(form.fields))].widget.attrs["autofocus"] = True


def _new_row(request, pk: int, prefix: str, template: str):
    """One new, empty row at the end of a list (htmx); the page's row count goes with it."""
    audit = _draft(request, pk)
    if not request.htmx:
        return redirect("audits:audit_edit", pk=audit.pk)
    grid = _grid(audit, initial=({}, [], []))
    total = request.GET.get(f"{prefix}-TOTAL_FORMS", "")
    index = min(int(total), MAX_ROWS - 1) if total.isdigit() else 0
    form = grid.new_form(prefix, index)
    _autofocus(form)
    return render(
        request,
        "audits/_row_added.html",
        {
            "row_template": template,
            "form": form,
            "number": index + 1,
            "prefix": prefix,
            "total": index + 1,
            "audit": audit,
            "answers": ANSWER_CHOICES,
        },
    )


@login_required
def record_row(request, pk: int):
    return _new_row(request, pk, RECORDS_PREFIX, "audits/_record_row.html")


@login_required
def action_row(request, pk: int):
    return _new_row(request, pk, ACTIONS_PREFIX, "audits/_arising_row.html")


@login_required
@require_POST
def remove_row(request, pk: int):
    """Drop one row from what was posted and show the list again, renumbered (htmx), unsaved.

    The response asks the page to autosave (``audit-grid-changed``). Without htmx the whole
    screen is shown again.
    """
    audit = _draft(request, pk)
    if audit.is_locked:
        return redirect(audit)
    removed = request.POST.get("remove", "")
    grid = _grid(audit, request.POST).without_row(removed)
    if not request.htmx:
        return _render_edit(request, audit, grid)
    prefix, _, index = removed.rpartition("-")
    records = prefix == RECORDS_PREFIX
    rows = list(grid.records if records else grid.arising)
    focus = int(index) if index.isdigit() else 0
    if rows:
        _autofocus(rows[min(focus, len(rows) - 1)])
    response = render(
        request,
        "audits/_records_grid.html" if records else "audits/_arising_list.html",
        {
            "audit": audit,
            "grid": grid,
            "criteria": grid.criteria,
            "result": grid.compliance(),
            "answers": ANSWER_CHOICES,
            "has_targets": bool(grid.themes or grid.actions_to_step),
            "focus_add": not rows,
        },
    )
    return trigger_client_event(response, "audit-grid-changed")


@login_required
@require_POST
def audit_submit(request, pk: int):
    audit = _draft(request, pk)
    if audit.is_locked:
        messages.info(request, "This audit was already submitted.")
        return redirect(audit)
    try:
        grid, saved_audit = _save(request, audit)
    except DraftConflict:
        return _render_conflict(request, audit, "submitted")
    if saved_audit is None or not saved_audit.save_report.complete:
        if _submitted_meanwhile(audit):
            return _already_submitted(request, audit)
        if saved_audit is None:
            grid.add_error("The audit was not submitted, and the draft was not saved. Correct the marked fields.")
        else:
            grid.add_error(
                f"The audit was not submitted. {saved_audit.save_report.summary(_at())} "
                "The rest is in the draft; correct the marked fields and submit again."
            )
        return _render_edit(request, audit, grid, status=400)
    try:
        submitted = submit(actor=request.user, audit=audit)
    except ValidationError as e:
        if _submitted_meanwhile(audit):
            return _already_submitted(request, audit)
        grid.add_service_errors(e)
        report = saved_audit.save_report
        grid.add_error(
            f"The audit was not submitted. Your answers are saved as a draft ({report.answers} "
            f"answer{'' if report.answers == 1 else 's'}, at {_at()})."
        )
        return _render_edit(request, audit, grid, status=400)
    messages.success(request, "Audit submitted. It is now locked; amend it if something was wrong.")
    for warning in submitted.submit_warnings:
        messages.warning(request, warning)
    return redirect("audits:detail", pk=audit.pk)


def _submitted_meanwhile(audit: Audit) -> bool:
    """Whether another request (a second click, a colleague) submitted the audit after this one
    loaded it: the services refuse to touch a locked audit, and this says why."""
    return Audit.objects.filter(pk=audit.pk).exclude(status=Audit.Status.DRAFT).exists()


def _already_submitted(request, audit: Audit):
    messages.info(request, "This audit was already submitted (a second click, or someone else). It is locked now.")
    return redirect("audits:detail", pk=audit.pk)


@login_required
@records_access(AccessKind.PAGE, label="Audit")
def detail(request, pk: int):
    audit = selectors.audit_for_user(request.user, pk)
    criteria = selectors.criteria_of(audit)
    keys = [c.key for c in criteria]
    records = list(audit.records.all())
    result = comp.compute([r.answers for r in records], keys, rules_of(criteria))
    arising = list(audit.actions_arising.select_related("owner", "action", "theme", "step"))
    gaps = audit.effectiveness_gap_labels()
    if audit.status == Audit.Status.DRAFT:
        gaps = [
            comp.GAP_LABELS[g]
            for g in comp.effectiveness_gaps(
                findings=audit.findings,
                no_answers=result.overall.no,
                actions_with_owner=sum(1 for a in arising if a.owner_id),
                has_impact_check=audit.impact_check_date is not None,
            )
        ]
    template = audit.template_version.template
    amendment = selectors.amendment_of(audit)
    can_log = policy.can(request.user, policy.Verb.LOG_AUDIT, audit)
    return render(
        request,
        "audits/audit_detail.html",
        {
            "audit": audit,
            "template_obj": template,
            "service": audit.service,
            "criteria": criteria,
            "rows": [(r, [c.rule.display(r.answers.get(c.key, "")) for c in criteria]) for r in records],
            "result": result,
            "per_criterion": [(c, result.per_criterion[c.key]) for c in criteria],
            "arising": arising,
            "gaps": gaps,
            "amendment": amendment,
            "chain": selectors.version_chain(audit) if (audit.amends_id or amendment) else [],
            "can_amend": can_log and audit.status == Audit.Status.SUBMITTED,
            "can_edit": can_log and audit.status == Audit.Status.DRAFT,
            "period": period_label(template.frequency, audit.period_start, audit.period_end),
            "data_points": list(audit.data_points.select_related("measure", "data_point")),
            "warnings": draft_warnings(
                audit=audit,
                refs=[r.record_ref for r in records],
                due_dates=[a.due_date for a in arising if not a.linked_at or audit.is_locked],
                final=audit.is_locked,
            ),
            "history": history_for(audit),
        },
    )


@login_required
def amend(request, pk: int):
    audit = selectors.audit_for_user(request.user, pk, policy.Verb.LOG_AUDIT)
    pending = selectors.amendment_of(audit)
    if pending is not None and pending.status == Audit.Status.DRAFT:
        messages.info(request, "An amendment of this audit is already in progress.")
        return redirect("audits:audit_edit", pk=pending.pk)
    if audit.status != Audit.Status.SUBMITTED:
        messages.info(request, "Only the current submitted version of an audit can be amended.")
        return redirect(audit)
    form = AmendForm(request.POST or None)
    template = audit.template_version.template
    return form_page(
        request,
        form,
        save=lambda data: audit_amend(actor=request.user, audit=audit, reason=data["reason"]),
        success=lambda amendment: saved(
            request,
            "Amendment started. The submitted version stays in force until you submit this one.",
            "audits:audit_edit",
            pk=amendment.pk,
        ),
        render=lambda: render(
            request,
            "audits/amend.html",
            {
                "audit": audit,
                "form": form,
                "service": audit.service,
                "template_obj": template,
                "period": period_label(template.frequency, audit.period_start, audit.period_end),
            },
            status=redrawn_status(request),
        ),
        refused=lambda form, e: form.add_error(None, e),
    )


@login_required
def schedule(request, service: str):
    service_obj = service_for_slug(request.user, service)
    today = timezone.localdate()
    return render(
        request,
        "audits/schedule.html",
        {
            "service": service_obj,
            "rows": selectors.schedule(service_obj, today),
            "today": today,
            "can_log": policy.can(request.user, policy.Verb.LOG_AUDIT, service_obj),
        },
    )
