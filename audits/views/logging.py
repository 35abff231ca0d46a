"""Logging audits: start, the grid (with autosave and htmx rows), submit, detail, amend, schedule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import permissions as policy
from core.selectors import history_for, service_for_slug

from .. import compliance as comp
from .. import selectors
from ..forms import (
    BLANK_TOKEN,
    RECORD_REF_HELP,
    AmendForm,
    ArisingRow,
    AuditFormState,
    RecordRow,
    StartForm,
    live_compliance,
    new_token,
    parse_audit_post,
    state_from_audit,
    to_inputs,
)
from ..models import Audit
from ..periods import period_label
from ..services import audit_amend, audit_save_draft
from ..services import audit_start as audit_start_service
from ..services import audit_submit as submit


@login_required
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
        },
    )


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
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                audit = audit_start_service(
                    actor=request.user,
                    template=form.cleaned_data["template"],
                    service=service_obj,
                    on=form.cleaned_data["on"],
                )
                return redirect("audits:audit_edit", pk=audit.pk)
            except ValidationError as e:
                for name, errs in e.message_dict.items():
                    for m in errs:
                        form.add_error("on" if name == "period" else "template", m)
        status = 400
    return render(
        request,
        "audits/audit_start.html",
        {"service": service_obj, "form": form, "has_templates": templates.exists()},
        status=status,
    )


def _choices(audit: Audit):
    owners = list(selectors.owner_choices(audit.service))
    themes = selectors.theme_choices(audit.service)
    actions = selectors.action_choices(audit.service)
    for t in themes:
        t.target_value = f"theme:{t.pk}"
    for a in actions:
        a.target_value = f"action:{a.pk}"
    return owners, themes, actions


def _render_edit(request, audit: Audit, state: AuditFormState, status: int = 200):
    criteria = selectors.criteria_of(audit)
    keys = [c.key for c in criteria]
    owners, themes, actions = _choices(audit)
    template = audit.template_version.template
    return render(
        request,
        "audits/audit_edit.html",
        {
            "audit": audit,
            "template_obj": template,
            "service": audit.service,
            "criteria": criteria,
            "state": state,
            "result": live_compliance(state, keys),
            "owners": owners,
            "themes": themes,
            "actions": actions,
            "raised": list(audit.actions_arising.filter(linked_at__isnull=False).select_related("owner", "action")),
            "period": period_label(template.frequency, audit.period_start, audit.period_end),
            "ref_help": RECORD_REF_HELP,
            "blank_arising": ArisingRow(token=BLANK_TOKEN),
            "answers": ANSWER_CHOICES,
        },
        status=status,
    )


ANSWER_CHOICES = [(comp.YES, "Yes", "Y"), (comp.NO, "No", "N"), (comp.NA, "Not applicable", "N/A")]


def _draft_or_redirect(request, pk):
    audit = selectors.audit_for_user(request.user, pk, policy.Verb.LOG_AUDIT)
    return audit


def _save_from_post(request, audit: Audit) -> tuple[AuditFormState, bool]:
    """Parse and save the posted grid as a draft. Returns the state and whether it was saved."""
    keys = [c.key for c in selectors.criteria_of(audit)]
    state = parse_audit_post(request.POST, keys)
    owners, themes, actions = _choices(audit)
    records, arising = to_inputs(
        state,
        owners={str(u.pk): u for u in owners},
        themes={str(t.pk): t for t in themes},
        actions={str(a.pk): a for a in actions},
    )
    row_errors = [r for r in state.records if r.error] + [a for a in state.arising if a.error]
    if row_errors or state.errors:
        return state, False
    try:
        audit_save_draft(
            actor=request.user,
            audit=audit,
            records=records,
            findings=state.findings,
            impact_check_date=_parse_date(state.impact_check_date),
            actions=arising,
        )
    except ValidationError as e:
        for name, errs in e.message_dict.items():
            state.errors.setdefault(name, []).extend(errs)
        return state, False
    return state, True


def _parse_date(value: str):
    import datetime

    return datetime.date.fromisoformat(value) if value else None


@login_required
def audit_edit(request, pk: int):
    audit = _draft_or_redirect(request, pk)
    if audit.is_locked:
        messages.info(request, "This audit was submitted and is locked. Amend it to change it.")
        return redirect(audit)
    if request.method == "POST":
        state, saved = _save_from_post(request, audit)
        if saved:
            messages.success(request, f"Draft saved at {timezone.localtime():%H:%M}.")
            return redirect("audits:audit_edit", pk=audit.pk)
        return _render_edit(request, audit, state, status=400)
    state = state_from_audit(audit, blank_rows=audit.template_version.template.default_sample_size)
    return _render_edit(request, audit, state)


@login_required
@require_POST
def audit_autosave(request, pk: int):
    """Save the whole form as a draft; answer with a short status for the page."""
    audit = _draft_or_redirect(request, pk)
    if audit.is_locked:
        return HttpResponse("Not saved: this audit has been submitted and is locked.", status=409)
    state, saved = _save_from_post(request, audit)
    if not saved:
        problems = [r.error for r in state.records if r.error] + [a.error for a in state.arising if a.error]
        problems += [m for errs in state.errors.values() for m in errs]
        return HttpResponse(f"Not saved: {problems[0]}", status=422)
    return HttpResponse(f"Saved {timezone.localtime():%H:%M}")


@login_required
def record_row(request, pk: int):
    """One new, empty sampled-record row for the grid (htmx)."""
    audit = _draft_or_redirect(request, pk)
    token = request.GET.get("token", "")
    from ..forms import clean_token

    token = clean_token(token) or new_token()
    return render(
        request,
        "audits/_record_row.html",
        {
            "row": RecordRow(token=token),
            "criteria": selectors.criteria_of(audit),
            "number": request.GET.get("number", ""),
            "answers": ANSWER_CHOICES,
            "ref_help": RECORD_REF_HELP,
            "audit": audit,
        },
    )


@login_required
@require_POST
def audit_submit(request, pk: int):
    audit = _draft_or_redirect(request, pk)
    if audit.is_locked:
        messages.info(request, "This audit was already submitted.")
        return redirect(audit)
    state, saved = _save_from_post(request, audit)
    if saved:
        try:
            submit(actor=request.user, audit=audit)
        except ValidationError as e:
            for name, errs in e.message_dict.items():
                state.errors.setdefault(name, []).extend(errs)
        else:
            messages.success(request, "Audit submitted. It is now locked; amend it if something was wrong.")
            return redirect("audits:detail", pk=audit.pk)
    state.errors.setdefault("__all__", []).insert(0, "The audit was not submitted. Your answers are saved as a draft.")
    return _render_edit(request, audit, state, status=400)


@login_required
def detail(request, pk: int):
    audit = selectors.audit_for_user(request.user, pk)
    criteria = selectors.criteria_of(audit)
    keys = [c.key for c in criteria]
    records = list(audit.records.all())
    result = comp.compute([r.answers for r in records], keys)
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
            "rows": [(r, [r.answers.get(k, "") for k in keys]) for r in records],
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
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                amendment = audit_amend(actor=request.user, audit=audit, reason=form.cleaned_data["reason"])
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(
                    request, "Amendment started. The submitted version stays in force until you submit this one."
                )
                return redirect("audits:audit_edit", pk=amendment.pk)
        status = 400
    template = audit.template_version.template
    return render(
        request,
        "audits/amend.html",
        {
            "audit": audit,
            "form": form,
            "service": audit.service,
            "template_obj": template,
            "period": period_label(template.frequency, audit.period_start, audit.period_end),
        },
        status=status,
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
