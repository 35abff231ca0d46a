"""Audit templates: list, editor (with a reorderable criteria list), detail, measure feeds."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone

from core import permissions as policy
from core.models import Provider
from core.selectors import history_for

from .. import selectors
from ..forms import BLANK_TOKEN, CriterionRow, FeedForm, TemplateForm, criteria_rows_from, new_token, parse_criteria
from ..models import Audit, AuditTemplate
from ..services import feed_create as feed_create_service
from ..services import template_create as template_create_service
from ..services import template_update

EFFECTIVENESS_WEEKS = 12


def _apply_errors(form, error: ValidationError) -> dict:
    """Put a service's per-field errors on the form; return those the form has no field for."""
    other: dict[str, list[str]] = {}
    for name, messages_ in error.message_dict.items():
        if name in form.fields:
            for m in messages_:
                form.add_error(name, m)
        else:
            other.setdefault(name, []).extend(messages_)
    return other


@login_required
def template_list(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    templates = selectors.template_list(request.user, provider_obj)
    since = timezone.localdate() - datetime.timedelta(weeks=EFFECTIVENESS_WEEKS)
    visible = policy.objects_for(request.user, Audit.objects.filter(provider=provider_obj, period_end__gte=since))
    effective, submitted = selectors.effectiveness_share(visible)
    return render(
        request,
        "audits/template_list.html",
        {
            "provider": provider_obj,
            "templates": templates,
            "can_manage": policy.can(request.user, policy.Verb.MANAGE_TEMPLATES, provider_obj),
            "effective": effective,
            "submitted": submitted,
            "share": round(100 * effective / submitted) if submitted else None,
            "weeks": EFFECTIVENESS_WEEKS,
        },
    )


def _template_editor(request, *, provider, template: AuditTemplate | None):
    criteria_errors: list[str] = []
    if request.method == "POST":
        form = TemplateForm(request.POST, instance=template, provider=provider)
        rows, criteria = parse_criteria(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            fields = dict(
                title=data["title"],
                area=data["area"],
                frequency=data["frequency"],
                default_sample_size=data["default_sample_size"],
                criteria=criteria,
                framework_items=list(data["framework_items"]),
                services=list(data["services"]),
                is_active=data["is_active"],
            )
            try:
                if template is None:
                    saved = template_create_service(actor=request.user, provider=provider, **fields)
                    messages.success(request, f"Template “{saved.title}” created.")
                else:
                    before = template.current_version()
                    version = template_update(
                        actor=request.user, template=template, change_note=data.get("change_note", ""), **fields
                    )
                    saved = template
                    if before is not None and version.pk != before.pk:
                        messages.success(
                            request,
                            f"Saved as version {version.number}. Audits already logged keep version {before.number}.",
                        )
                    else:
                        messages.success(request, "Template saved.")
                return redirect("audits:template_detail", pk=saved.pk)
            except ValidationError as e:
                criteria_errors = _apply_errors(form, e).get("criteria", [])
    else:
        form = TemplateForm(instance=template, provider=provider)
        version = template.current_version() if template else None
        rows = criteria_rows_from(list(version.criteria.all())) if version else []
    if not rows:
        rows = [CriterionRow(token=new_token())]
    in_use = bool(template and template.current_version() and template.current_version().audits.exists())
    return render(
        request,
        "audits/template_form.html",
        {
            "form": form,
            "provider": provider,
            "template_obj": template,
            "rows": rows,
            "criteria_errors": criteria_errors,
            "in_use": in_use,
            "blank_row": CriterionRow(token=BLANK_TOKEN),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def template_create(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), policy.Verb.MANAGE_TEMPLATES, slug=provider)
    return _template_editor(request, provider=provider_obj, template=None)


@login_required
def template_edit(request, pk: int):
    template = selectors.template_for_user(request.user, pk, policy.Verb.MANAGE_TEMPLATES)
    return _template_editor(request, provider=template.provider, template=template)


@login_required
def template_detail(request, pk: int):
    template = selectors.template_for_user(request.user, pk)
    versions = list(template.versions.annotate(n_audits=Count("audits")).order_by("-number"))
    shown = versions[0] if versions else None
    wanted = request.GET.get("version")
    if wanted and wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), shown)
    return render(
        request,
        "audits/template_detail.html",
        {
            "template_obj": template,
            "versions": versions,
            "shown": shown,
            "criteria": list(shown.criteria.all()) if shown else [],
            "services": list(template.services.order_by("name")),
            "framework_items": list(template.framework_items.select_related("version").order_by("code")),
            "feeds": selectors.feeds_of(template),
            "can_manage": policy.can(request.user, policy.Verb.MANAGE_TEMPLATES, template),
            "can_feed": selectors.may_edit_plans_at(request.user, template.provider),
            "history": history_for(template),
        },
    )


@login_required
def feed_create(request, pk: int):
    template = selectors.template_for_user(request.user, pk)
    if not selectors.may_edit_plans_at(request.user, template.provider):
        raise PermissionDenied("Your role does not allow this.")
    version = template.current_version()
    criteria = list(version.criteria.all()) if version else []
    measures = selectors.editable_measures(request.user, template)
    form = FeedForm(request.POST or None, measures=measures, criteria=criteria)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                feed_create_service(
                    actor=request.user,
                    template=template,
                    measure=form.cleaned_data["measure"],
                    kind=form.cleaned_data["kind"],
                    criterion_keys=form.cleaned_data["criterion_keys"],
                )
                messages.success(
                    request, f"“{form.cleaned_data['measure']}” will get a data point from each submitted audit."
                )
                return redirect("audits:template_detail", pk=template.pk)
            except ValidationError as e:
                _apply_errors(form, e)
        status = 400
    return render(
        request,
        "audits/feed_form.html",
        {"form": form, "template_obj": template, "has_measures": measures.exists()},
        status=status,
    )
