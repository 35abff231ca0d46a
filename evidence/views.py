"""Evidence pages. Thin: look up through the permission policy, call a selector or service."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core import exports
from core import permissions as policy
from core import selectors as core_selectors
from core.access import AccessKind, records_access
from core.files import FileUnavailable, open_stored
from core.lazy import render_panel
from core.models import Provider, Service
from core.views import form_page, saved

from . import selectors, services
from .forms import EvidenceForm, LibraryFilterForm, RemoveForm
from .models import EvidenceItem

logger = logging.getLogger(__name__)
V = policy.Verb
PAGE_SIZE = 25


def _item(request, pk: int, verb: V = V.VIEW) -> EvidenceItem:
    return policy.get_or_404(
        request.user,
        EvidenceItem.objects.select_related("provider", "service", "category", "created_by", "removed_by"),
        verb,
        pk=pk,
    )


def _provider_for_wide_role(request, slug: str) -> Provider:
    """The provider, for provider-level roles only (members with a service role get 403)."""
    provider = policy.get_or_404(request.user, Provider.objects.all(), slug=slug)
    if not selectors.is_provider_level(request.user, provider):
        raise PermissionDenied("The provider-wide library is for provider-level roles.")
    return provider


# --- the library ---------------------------------------------------------------------


def _library_context(
    request, provider: Provider, service: Service | None, *, coverage: bool = False
) -> tuple[LibraryFilterForm, object, selectors.LibraryFramework]:
    user = request.user
    if service is None:
        visible = policy.services(user).filter(provider=provider).order_by("name")
        service_choices = [("", "All services and provider-wide")]
        service_choices += list(visible.values_list("slug", "name"))
    else:
        service_choices = [("", f"{service.name} and provider-wide"), (service.slug, f"{service.name} only")]
    service_choices.append((selectors.PROVIDER_WIDE, "Provider-wide only"))
    framework = selectors.library_framework(key_questions=coverage)
    form = LibraryFilterForm(
        request.GET or None,
        service_choices=service_choices,
        categories=framework.categories,
        themes=selectors.theme_choices(user, provider=provider, service=service),
    )
    items = selectors.library_items(user, provider=provider, service=service, filters=form.filters())
    return form, items, framework


def _library_url(provider: Provider, service: Service | None) -> str:
    if service is not None:
        return reverse("evidence:library", kwargs={"service": service.slug})
    return reverse("evidence:provider_library", kwargs={"provider": provider.slug})


def _coverage_url(provider: Provider, service: Service | None) -> str:
    if service is not None:
        return reverse("evidence:coverage", kwargs={"service": service.slug})
    return reverse("evidence:provider_coverage", kwargs={"provider": provider.slug})


def _library(request, provider: Provider, service: Service | None):
    form, items, _framework = _library_context(request, provider, service)
    page = Paginator(items.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(selectors.library_page(page.object_list))
    for item in page.object_list:
        item.links_text = selectors.link_summary(item)
    query = request.GET.copy()
    query.pop("page", None)
    if service is not None:
        can_add = policy.can(request.user, V.ADD_EVIDENCE, service)
        add_query = f"service={service.slug}"
        export_urls = {f: reverse(f"evidence:export_{f}", kwargs={"service": service.slug}) for f in ("xlsx", "csv")}
    else:
        can_add = policy.can(request.user, V.ADD_EVIDENCE, provider)
        add_query = f"provider={provider.slug}"
        export_urls = {
            f: reverse(f"evidence:provider_export_{f}", kwargs={"provider": provider.slug}) for f in ("xlsx", "csv")
        }
    context = {
        "provider": provider,
        "service": service,
        "form": form,
        "page": page,
        "filtered": form.is_bound and any(v for k, v in request.GET.items() if k != "page"),
        "query": query.urlencode(),
        "coverage_url": _coverage_url(provider, service) + (f"?{query.urlencode()}" if query else ""),
        "can_add": can_add,
        "add_query": add_query,
        "export_urls": export_urls,
        "provider_level": selectors.is_provider_level(request.user, provider),
    }
    return render(request, "evidence/library.html", context)


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Evidence library")
def library(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service)
    return _library(request, service_obj.provider, service_obj)


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Evidence library")
def provider_library(request, provider: str):
    return _library(request, _provider_for_wide_role(request, provider), None)


def _coverage(request, provider: Provider, service: Service | None):
    """The library's coverage grid (same scope, same filters), loaded after the page: a summary
    over every matching item, it cost a fifth of the provider-wide library."""
    form, items, framework = _library_context(request, provider, service, coverage=True)
    context = {
        "coverage": selectors.coverage(items, framework=framework),
        "filtered": form.is_bound and any(v for k, v in request.GET.items() if k != "page"),
    }
    return render_panel(
        request,
        "evidence/includes/coverage.html",
        context,
        title="Evidence coverage by key question",
        back_url=_library_url(provider, service) + (f"?{request.GET.urlencode()}" if request.GET else ""),
        back_label="Back to the evidence library",
    )


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Evidence library coverage")
def coverage(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service)
    return _coverage(request, service_obj.provider, service_obj)


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Evidence library coverage")
def provider_coverage(request, provider: str):
    return _coverage(request, _provider_for_wide_role(request, provider), None)


def _export(request, provider: Provider, service: Service | None, fmt: str):
    """The library as the page shows it (same scope, same filters), as a download."""
    _form, items, _framework = _library_context(request, provider, service)
    table = selectors.library_table(items)
    name = exports.download_name("evidence", service.slug if service else provider.slug, ext=fmt)
    if fmt == "csv":
        return exports.csv_response(table, name)
    return exports.xlsx_response([table], name)


@login_required
@require_GET
@records_access(AccessKind.EXPORT, label="Evidence library export")
def export(request, service: str, fmt: str):
    service_obj = core_selectors.service_for_slug(request.user, service)
    return _export(request, service_obj.provider, service_obj, fmt)


@login_required
@require_GET
@records_access(AccessKind.EXPORT, label="Evidence library export")
def provider_export(request, provider: str, fmt: str):
    return _export(request, _provider_for_wide_role(request, provider), None, fmt)


# --- one item ------------------------------------------------------------------------


def _create_scope(request) -> tuple[Provider, Service | None]:
    """The provider (and preselected service) from ?service= or ?provider=."""
    user = request.user
    if slug := request.GET.get("service"):
        service = core_selectors.service_for_slug(user, slug)
        policy.require(user, V.ADD_EVIDENCE, service)
        return service.provider, service
    if slug := request.GET.get("provider"):
        return policy.get_or_404(user, Provider.objects.all(), slug=slug), None
    providers = list(policy.providers(user))
    if len(providers) != 1:
        raise Http404("Choose a service or provider first.")
    return providers[0], None


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    provider, preselected = _create_scope(request)
    services_allowed, provider_wide = selectors.services_for_adding(request.user, provider)
    if not services_allowed and not provider_wide:
        raise PermissionDenied("Your role does not allow adding evidence here.")
    form_kwargs = {"services": services_allowed, "provider_wide": provider_wide}
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES, **form_kwargs)
    else:
        initial = {"service": preselected.slug} if preselected else {}
        form = EvidenceForm(initial=initial, **form_kwargs)
    back = preselected.get_absolute_url() if preselected else provider.get_absolute_url()
    return form_page(
        request,
        form,
        save=lambda data: services.evidence_create(
            actor=request.user, provider=provider, service=data["service_obj"], **_item_fields(data)
        ),
        success=lambda item: saved(request, f"Evidence “{item.title}” was added.", item),
        render=lambda: render(
            request, "evidence/form.html", {"form": form, "provider": provider, "service": preselected, "back": back}
        ),
        refused=_service_refused,
    )


ITEM_FIELDS = (
    "title",
    "refers_to",
    "source_type",
    "category",
    "nature_override_reason",
    "recorded_in",
    "description",
    "framework_items",
)


def _item_fields(data: dict) -> dict:
    """What the evidence form says about an item, as the create and update services take it."""
    return {**{name: data[name] for name in ITEM_FIELDS}, "nature": data["nature"] or None, "upload": data.get("file")}


def _service_refused(form: EvidenceForm, exc: ValidationError) -> None:
    form.add_service_errors(exc)
    if form.files.get("file") and "file" in form.fields and "file" not in form.errors:
        form.add_error(
            "file", "Your file was fine, but files are not kept when a form has to be corrected: choose it again."
        )


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Evidence item")
def detail(request, pk: int):
    item = _item(request, pk)
    user = request.user
    context = {
        "item": item,
        "links": selectors.linked_objects(user, item),
        "framework_items": item.framework_items.select_related("version", "key_question").order_by(
            "version__published", "key_question__order", "order"
        ),
        "can_edit": not item.is_removed and policy.can(user, V.ADD_EVIDENCE, item),
        "can_remove": not item.is_removed and policy.can(user, V.REMOVE_EVIDENCE, item),
        "can_download": selectors.can_download(user, item),
        "history": core_selectors.history_for(item),
    }
    return render(request, "evidence/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    item = _item(request, pk, V.ADD_EVIDENCE)
    if item.is_removed:
        messages.error(request, "This evidence has been removed and can no longer be changed.")
        return redirect(item)
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES, item=item)
    else:
        form = EvidenceForm(
            item=item,
            initial={
                "title": item.title,
                "refers_to": item.refers_to,
                "category": item.category_id,
                "source_type": item.source_type,
                "nature": item.nature if item.nature_overridden else "",
                "nature_override_reason": item.nature_override_reason,
                "recorded_in": item.recorded_in,
                "description": item.description,
                "framework_items": list(item.framework_items.values_list("pk", flat=True)),
            },
        )
    return form_page(
        request,
        form,
        save=lambda data: services.evidence_update(actor=request.user, item=item, **_item_fields(data)),
        success=lambda _: saved(request, "Your changes were saved.", item),
        render=lambda: render(
            request,
            "evidence/form.html",
            {
                "form": form,
                "item": item,
                "provider": item.provider,
                "service": item.service,
                "back": item.get_absolute_url(),
            },
        ),
        refused=_service_refused,
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove(request, pk: int):
    item = _item(request, pk, V.REMOVE_EVIDENCE)
    if item.is_removed:
        messages.info(request, "This evidence was already removed.")
        return redirect(item)
    form = RemoveForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda data: services.evidence_remove(actor=request.user, item=item, reason=data["reason"]),
        success=lambda _: saved(
            request, f"Evidence “{item.title}” was removed. Its record and history are kept.", item
        ),
        render=lambda: render(
            request,
            "evidence/remove.html",
            {"item": item, "form": form, "links": selectors.linked_objects(request.user, item)},
        ),
        refused=lambda form, exc: form.add_error("reason" if hasattr(exc, "error_dict") else None, exc.messages),
    )


@login_required
@require_GET
@records_access(AccessKind.DOWNLOAD, label="Evidence file")
def download(request, pk: int):
    """Stream a stored file to someone allowed to see it. Never inline, never sniffed."""
    item = _item(request, pk)
    if not selectors.can_download(request.user, item):
        raise Http404("No file")
    try:
        handle = open_stored(request, item.file, what=f"evidence “{item.title}”", back_url=item.get_absolute_url())
    except FileUnavailable as unavailable:
        return unavailable.response
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.file_name or "evidence",
        content_type=item.file_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
