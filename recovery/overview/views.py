"""The recovery map (per service and provider-wide) and the service dashboard panel."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from core import exports
from core import permissions as policy
from core.access import AccessKind, records_access
from core.lazy import render_panel
from core.links import url_for_each
from core.models import Provider, Service
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


def _links(name: str, key: str = "pk", **kwargs):
    """``pk -> URL`` of the recovery page ``name`` (``key`` the pk's argument), reversing it once,
    not per row; "" for every row while the page does not exist (as ``link`` answers)."""
    try:
        return url_for_each(f"recovery:{name}", key, **kwargs)
    except NoReverseMatch:
        return lambda pk: ""


def _attach_links(theme_rows: list[selectors.ThemeRow]) -> None:
    theme_url, action_url, measure_url = _links("theme_detail"), _links("action_detail"), _links("measure_detail")
    for theme_row in theme_rows:
        theme_row.url = theme_url(theme_row.theme.pk)
        for row in theme_row.actions:
            row.url = action_url(row.action.pk)
            for s in row.measures:
                s.url = measure_url(s.measure.pk)


def _filter_fields(form: MapFilterForm) -> list[dict]:
    """The filters as the page draws them: label, options (markup, the chosen one selected) and errors.

    Drawn by the map's template rather than by crispy and the form's widget templates, which
    cost a template include per option (a quarter of the map page, once its rows were lazy).
    """
    fields = []
    for bound in form:
        current = bound.value()
        current = "" if current is None else str(current)
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if str(value) == current else ""}>{escape(label)}</option>'
            for value, label in bound.field.choices
        )
        options = mark_safe(options)  # noqa: S308 - every value and label is escaped
        fields.append({"name": bound.name, "id": bound.id_for_label, "label": bound.label, "options": options})
        fields[-1]["errors"] = bound.errors
    return fields


def _map_form(request, services_qs) -> MapFilterForm:
    return MapFilterForm(request.GET or None, services=services_qs, key_questions=selectors.key_question_choices())


EXPORT_FORMATS = ("xlsx", "csv", "docx")


def _export_urls(provider, service) -> dict[str, str]:
    if service is not None:
        return {f: link(f"plan_export_{f}", service=service.slug) for f in EXPORT_FORMATS}
    return {f: link(f"provider_plan_export_{f}", provider=provider.slug) for f in EXPORT_FORMATS}


# Themes of a page of the map drawn with their action rows; every other theme's rows load when
# scrolled to (map_theme_rows). None: one theme's rows cost the page about as much as its ten
# headers, and a browser's first screen (1024-1920 px wide) asks for the first one or two at once.
MAP_INLINE_THEMES = 0


def _filters(request, *, service, services_qs, themes=True) -> tuple[MapFilterForm, dict, Service | None, str]:
    """The map's filter form, its valid filters but the service, the service chosen (or the
    page's), and the filters as a query string (kept in the page links and theme rows' links).

    ``themes=False``: for one theme's rows, which the key question (a filter of themes) leaves
    as they are, so its choices are not read.
    """
    if themes:
        form = _map_form(request, services_qs)
    else:
        form = MapFilterForm(request.GET or None, services=services_qs)
        del form.fields["key_question"]
    filters = form.filters()
    chosen_service = filters.pop("service", None) or service
    query = request.GET.copy()
    query.pop("page", None)
    return form, filters, chosen_service, query.urlencode()


def _render_map(request, *, provider, service, services_qs):
    form, filters, chosen_service, query = _filters(request, service=service, services_qs=services_qs)
    recovery_map = selectors.recovery_map(
        request.user,
        provider=provider,
        service=chosen_service,
        page=request.GET.get("page"),
        today=timezone.localdate(),
        rows=MAP_INLINE_THEMES,
        summary=service is not None,  # provider-wide, the gaps over every action load after the page
        **filters,
    )
    gaps_url = ""
    if recovery_map.gap_counts is None:
        gaps_url = link("provider_map_gaps", provider=provider.slug)
        gaps_url = f"{gaps_url}?{query}" if query else gaps_url
    _attach_links(recovery_map.themes)
    if service is not None:
        rows_url = _links("map_theme_rows", "theme", service=service.slug)
    else:
        rows_url = _links("provider_map_theme_rows", "theme", provider=provider.slug)
    for t in recovery_map.themes:
        if not t.rows_loaded:  # a panel the size of the rows to come, which loads them when scrolled to
            t.rows_url = f"{rows_url(t.theme.pk)}?{query}" if query else rows_url(t.theme.pk)
            t.rows_label = f"the actions of {t.theme.title}"
            t.skeleton_lines = min(t.counts.actions, 9)
    return render(
        request,
        "recovery/overview/map.html",
        {
            "map": recovery_map,
            "gaps_url": gaps_url,
            "page": recovery_map.page,
            "query": query,
            "form": form,
            "filter_fields": _filter_fields(form),
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


def _render_theme_rows(request, *, provider, service, services_qs, theme: int, map_url: str):
    """One theme's action rows, as the map shows them (same filters and scope): the lazy part of the map."""
    _form, filters, chosen_service, query = _filters(request, service=service, services_qs=services_qs, themes=False)
    theme_row = selectors.map_theme_rows(
        request.user, theme, provider=provider, service=chosen_service, today=timezone.localdate(), **filters
    )
    _attach_links([theme_row])
    return render_panel(
        request,
        "recovery/overview/_map_theme_rows.html",
        {"t": theme_row, "service": service},
        title=f"Actions of {theme_row.theme.title}",
        back_url=f"{map_url}?{query}" if query else map_url,
        back_label="Back to the recovery map",
    )


@login_required
@records_access(AccessKind.PAGE, label="Recovery map")
def map_service(request, service: str):
    service_obj = service_for_slug(request.user, service)
    return _render_map(request, provider=service_obj.provider, service=service_obj, services_qs=None)


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Recovery map")
def map_theme_rows(request, service: str, theme: int):
    service_obj = service_for_slug(request.user, service)
    return _render_theme_rows(
        request,
        provider=service_obj.provider,
        service=service_obj,
        services_qs=None,
        theme=theme,
        map_url=link("map_service", service=service),
    )


def _filter_services(request, provider):
    """The services the provider's map can be narrowed to: those the user sees (their names and slugs)."""
    visible = policy.services(request.user).filter(provider=provider).select_related(None)
    return visible.only("id", "provider_id", "name", "slug").order_by("name")


@login_required
@records_access(AccessKind.PAGE, label="Recovery map")
def map_provider(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    return _render_map(
        request, provider=provider_obj, service=None, services_qs=_filter_services(request, provider_obj)
    )


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Recovery map")
def provider_map_theme_rows(request, provider: str, theme: int):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    return _render_theme_rows(
        request,
        provider=provider_obj,
        service=None,
        services_qs=_filter_services(request, provider_obj),
        theme=theme,
        map_url=link("map_provider", provider=provider),
    )


@login_required
@require_GET
@records_access(AccessKind.PAGE, label="Recovery map")
def provider_map_gaps(request, provider: str):
    """The provider-wide map's gap counts over every action (same filters and scope): loaded
    after the page, whose own counts cover only its themes."""
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    services_qs = _filter_services(request, provider_obj)
    _form, filters, chosen_service, query = _filters(request, service=None, services_qs=services_qs)
    counts = selectors.map_gaps(
        request.user, provider=provider_obj, service=chosen_service, today=timezone.localdate(), **filters
    )
    map_url = link("map_provider", provider=provider)
    return render_panel(
        request,
        "recovery/overview/_map_gaps.html",
        {"gaps": selectors.gap_summary(counts)},
        title=f"Gaps across the recovery map of {provider_obj.name}",
        back_url=f"{map_url}?{query}" if query else map_url,
        back_label="Back to the recovery map",
    )


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
    action_url, measure_url = _links("action_detail"), _links("measure_detail")
    for a in {id(x): x for x in _dashboard_actions(dashboard)}.values():
        a.url = action_url(a.pk)
        a.link = action_link(a)  # once per action, however many of the lists show it
    for s in [*dashboard.attention, *dashboard.needs_me.my_stale_measures]:
        s.url = measure_url(s.measure.pk)
    map_url = link("map_service", service=service.slug)
    proposed_url = f"{map_url}?{urlencode({'status': RecoveryAction.Status.CLOSURE_PROPOSED})}" if map_url else ""
    return {"dashboard": dashboard, "map_url": map_url, "proposed_url": proposed_url}


def _dashboard_actions(d: Dashboard):
    yield from d.overdue
    yield from d.needs_me.proposals
    yield from d.needs_me.high_risk_proposals
    yield from d.needs_me.my_overdue
    for item in d.needs_me.my_open:
        yield item.action
    for s in [*d.attention, *d.needs_me.my_stale_measures]:
        yield s.measure.action
