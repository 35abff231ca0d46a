"""The recovery map (per service and provider-wide) and the service dashboard panel."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import exports
from core import permissions as policy
from core.access import AccessKind, records_access
from core.models import Provider
from core.panels import reads
from core.selectors import service_for_slug
from recovery.measures.views import link
from recovery.models import RecoveryAction
from recovery.overview import export as plan_export
from recovery.overview import selectors as selectors
from recovery.overview.dashboard import Dashboard, service_dashboard_for_page
from recovery.overview.document import plan_document
from recovery.overview.forms import MapFilterForm
from recovery.templatetags.recovery_plan import action_link


def _attach_links(recovery_map: selectors.RecoveryMap) -> None:
    for theme_row in recovery_map.themes:
        theme_row.url = link("theme_detail", pk=theme_row.theme.pk)
        for row in theme_row.actions:
            row.url = link("action_detail", pk=row.action.pk)
            for s in row.measures:
                s.url = link("measure_detail", pk=s.measure.pk)


def _map_form(request, services_qs) -> MapFilterForm:
    return MapFilterForm(request.GET or None, services=services_qs, key_questions=selectors.key_question_choices())


EXPORT_FORMATS = ("xlsx", "csv", "docx")


def _export_urls(provider, service) -> dict[str, str]:
    if service is not None:
        return {f: link(f"plan_export_{f}", service=service.slug) for f in EXPORT_FORMATS}
    return {f: link(f"provider_plan_export_{f}", provider=provider.slug) for f in EXPORT_FORMATS}


def _render_map(request, *, provider, service, services_qs):
    form = _map_form(request, services_qs)
    filters = form.filters()
    chosen_service = filters.pop("service", None) or service
    recovery_map = selectors.recovery_map(
        request.user,
        provider=provider,
        service=chosen_service,
        page=request.GET.get("page"),
        today=timezone.localdate(),
        **filters,
    )
    _attach_links(recovery_map)
    query = request.GET.copy()  # the filters, kept in the page links
    query.pop("page", None)
    return render(
        request,
        "recovery/overview/map.html",
        {
            "map": recovery_map,
            "page": recovery_map.page,
            "query": query.urlencode(),
            "form": form,
            "provider": provider,
            "service": service,
            "filtered": bool(filters) or chosen_service is not service,
            "export_urls": _export_urls(provider, service),
            "theme_create_url": (
                link("theme_create", service=service.slug)
                if service and policy.can(request.user, policy.Verb.EDIT_PLAN, service)
                else ""
            ),
        },
    )


@login_required
@records_access(AccessKind.PAGE, label="Recovery map")
def map_service(request, service: str):
    service_obj = service_for_slug(request.user, service)
    return _render_map(request, provider=service_obj.provider, service=service_obj, services_qs=None)


@login_required
@records_access(AccessKind.PAGE, label="Recovery map")
def map_provider(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    visible = policy.services(request.user).filter(provider=provider_obj).order_by("name")
    return _render_map(request, provider=provider_obj, service=None, services_qs=visible)


def _filter_labels(form: MapFilterForm, filters: dict) -> dict[str, str]:
    """The chosen filters as "label: value" words, for the document's header."""
    labels = {}
    for name, value in filters.items():
        field = form.fields[name]
        choices = dict(getattr(field, "choices", ()))
        labels[str(field.label)] = str(getattr(value, "name", None) or choices.get(value, value))
    return labels


def _export(request, *, provider, service, services_qs, fmt: str):
    """The recovery map as the page shows it (same scope and filters, every page) as a download."""
    form = _map_form(request, services_qs)
    filters = form.filters()
    labels = _filter_labels(form, filters)
    chosen_service = filters.pop("service", None) or service
    plan = plan_export.action_plan(request.user, provider=provider, service=chosen_service, filters=labels, **filters)
    name = exports.download_name("action-plan", (chosen_service or provider).slug, ext=fmt)
    if fmt == "csv":
        return exports.csv_response(plan_export.actions_table(plan), name)
    if fmt == "docx":
        return exports.docx_response(plan_document(plan, exported_by=request.user), name)
    return exports.xlsx_response(plan_export.plan_tables(plan), name)


@login_required
@require_GET
@records_access(AccessKind.EXPORT, label="Action plan export")
def plan_export_service(request, service: str, fmt: str):
    service_obj = service_for_slug(request.user, service)
    return _export(request, provider=service_obj.provider, service=service_obj, services_qs=None, fmt=fmt)


@login_required
@require_GET
@records_access(AccessKind.EXPORT, label="Action plan export")
def plan_export_provider(request, provider: str, fmt: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    visible = policy.services(request.user).filter(provider=provider_obj).order_by("name")
    return _export(request, provider=provider_obj, service=None, services_qs=visible, fmt=fmt)


@reads(dashboard=service_dashboard_for_page)
def dashboard_panel_context(request, service, *, dashboard: Dashboard) -> dict:
    """Context for the dashboard panel on the service page (registered in RecoveryConfig.ready).

    ``dashboard`` is the page's one read of it, shared with the next-review panel.
    """
    action_url, measure_url = _pk_link("action_detail"), _pk_link("measure_detail")
    for a in {id(x): x for x in _dashboard_actions(dashboard)}.values():
        a.url = action_url(a.pk)
        a.link = action_link(a)  # once per action, however many of the lists show it
    for s in [*dashboard.attention, *dashboard.needs_me.my_stale_measures]:
        s.url = measure_url(s.measure.pk)
    map_url = link("map_service", service=service.slug)
    proposed_url = f"{map_url}?{urlencode({'status': RecoveryAction.Status.CLOSURE_PROPOSED})}" if map_url else ""
    return {"dashboard": dashboard, "map_url": map_url, "proposed_url": proposed_url}


_PK = 987654321  # a stand-in pk, reversed once and replaced by each row's


def _pk_link(name: str):
    """``link(name, pk=pk)`` for many rows at the cost of one reverse (the dashboard links up to a
    few dozen actions and measures): the pk goes into the path reversed for a stand-in."""
    pattern = link(name, pk=_PK)
    marker = str(_PK)
    return lambda pk: pattern.replace(marker, str(pk)) if pattern else ""


def _dashboard_actions(d: Dashboard):
    yield from d.overdue
    yield from d.needs_me.proposals
    yield from d.needs_me.high_risk_proposals
    yield from d.needs_me.my_overdue
    for item in d.needs_me.my_open:
        yield item.action
    for s in [*d.attention, *d.needs_me.my_stale_measures]:
        yield s.measure.action
