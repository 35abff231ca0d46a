"""Audit templates: list, editor (with a reorderable criteria list), detail, measure feeds."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import permissions as policy
from core.forms import apply_errors
from core.models import Provider
from core.selectors import history_for
from core.views import form_page, redrawn_status, saved

from .. import selectors
from ..forms import (
    CRITERIA_PREFIX,
    MAX_CRITERIA,
    FeedForm,
    TemplateForm,
    criteria_changed,
    criteria_formset,
    criteria_inputs,
    new_form,
)
from ..models import Audit, AuditTemplate
from ..services import feed_create as feed_create_service
from ..services import template_create as template_create_service
from ..services import template_update

EFFECTIVENESS_WEEKS = 12


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
        criteria_forms = criteria_formset(request.POST)
        if all([form.is_valid(), criteria_forms.is_valid()]):
            data = form.cleaned_data
            criteria = criteria_inputs(criteria_forms)
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
                    kept = template_create_service(actor=request.user, provider=provider, **fields)
                    messages.success(request, f"Template “{kept.title}” created.")
                else:
                    before = template.current_version()
                    version = template_update(
                        actor=request.user, template=template, change_note=data.get("change_note", ""), **fields
                    )
                    kept = template
                    if before is not None and version.pk != before.pk:
                        messages.success(
                            request,
                            f"Saved as version {version.number}. Audits already logged keep version {before.number}.",
                        )
                    else:
                        messages.success(request, "Template saved.")
                return redirect("audits:template_detail", pk=kept.pk)
            except ValidationError as e:
                criteria_errors = apply_errors(form, e, collect_unplaced=True).get("criteria", [])
    else:
        form = TemplateForm(instance=template, provider=provider)
        version = template.current_version() if template else None
        criteria_forms = criteria_formset(criteria=list(version.criteria.all()) if version else [])
    in_use = bool(template and template.current_version() and template.current_version().audits.exists())
    return render(
        request,
        "audits/template_form.html",
        {
            "form": form,
            "provider": provider,
            "template_obj": template,
            "criteria_forms": criteria_forms,
            "criteria_errors": criteria_errors + list(criteria_forms.non_form_errors()),
            "in_use": in_use,
        },
        status=redrawn_status(request),
    )


def _managed_provider(request, provider: str) -> Provider:
    return policy.get_or_404(request.user, Provider.objects.all(), policy.Verb.MANAGE_TEMPLATES, slug=provider)


@login_required
def criterion_row(request, provider: str):
    """One new, empty criterion at the end of the editor's list (htmx), with the new count."""
    provider_obj = _managed_provider(request, provider)
    if not request.htmx:
        return redirect("audits:template_list", provider=provider_obj.slug)
    total = request.GET.get(f"{CRITERIA_PREFIX}-TOTAL_FORMS", "")
    index = min(int(total), MAX_CRITERIA - 1) if total.isdigit() else 0
    form = new_form(criteria_formset(rows=[]), index)
    form.fields["text"].widget.attrs["autofocus"] = True
    return render(
        request,
        "audits/_criterion_added.html",
        {"form": form, "number": index + 1, "total": index + 1, "provider": provider_obj},
    )


@login_required
@require_POST
def criteria_change(request, provider: str):
    """Move a criterion up or down, or remove it, in what was posted; the list comes back (htmx).

    Nothing is saved until the template is. Without htmx there is no list to update.
    """
    provider_obj = _managed_provider(request, provider)
    if not request.htmx:
        return redirect("audits:template_list", provider=provider_obj.slug)
    formset, _, message = criteria_changed(criteria_formset(request.POST), request.POST.get("change", ""))
    return render(
        request, "audits/_criteria_list.html", {"criteria_forms": formset, "provider": provider_obj, "status": message}
    )


@login_required
def template_create(request, provider: str):
    provider_obj = _managed_provider(request, provider)
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
    return form_page(
        request,
        form,
        save=lambda data: feed_create_service(
            actor=request.user,
            template=template,
            measure=data["measure"],
            kind=data["kind"],
            criterion_keys=data["criterion_keys"],
        ),
        success=lambda _: saved(
            request,
            f"“{form.cleaned_data['measure']}” will get a data point from each submitted audit.",
            "audits:template_detail",
            pk=template.pk,
        ),
        render=lambda: render(
            request,
            "audits/feed_form.html",
            {"form": form, "template_obj": template, "has_measures": measures.exists()},
            status=redrawn_status(request),
        ),
    )
