from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import permissions as policy
from . import selectors, work
from .forms import AccessRecordFilterForm, AccountForm, apply_errors
from .lazy import render_panel
from .mfa import policy as mfa_policy
from .mfa import services as mfa_services
from .models import Provider
from .panels import account_links, parts_below_fold, provider_links, service_panels


def form_page(
    request,
    form,
    *,
    save: Callable,
    success: Callable,
    render: Callable,
    refused: Callable = apply_errors,
):
    """The one shape of a page with a form: on a POST whose form is valid, ``save(cleaned_data)``
    calls the service; its result goes to ``success`` (usually ``saved``: a message and a
    redirect). A ValidationError the service raises goes onto the form (``refused``, by default
    ``apply_errors``) and, like a GET or invalid input, the page is drawn again by ``render()``
    with what was typed."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            refused(form, exc)
        else:
            return success(result)
    return render()


def button(request, do: Callable, *, done: str, to):
    """A button with nothing to fill in: ``do()`` calls the service; say what was done, or the
    service's reason it was not (a ValidationError), and go on to ``to`` either way."""
    try:
        do()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(to)


def redrawn_status(request) -> int:
    """The status of a form page drawn by ``form_page``'s ``render``: after a POST the input was
    refused (400); on a GET it is just the page (200)."""
    return 400 if request.method == "POST" else 200


def saved(request, message: str, to, *args, **kwargs):
    """Say what was done and go on to ``to`` (anything ``redirect`` takes)."""
    messages.success(request, message)
    return redirect(to, *args, **kwargs)


@login_required
def home(request):
    """My work: what waits for this person, from every source registered in ``core.work``."""
    sections = work.my_work(request.user, timezone.localdate())
    return render(
        request,
        "core/home.html",
        {
            "sections": sections,
            "waiting": work.waiting(sections),
            "has_role": bool(policy.access_for(request.user).memberships),
        },
    )


@login_required
def overview(request):
    """The providers and services the person may see, with their CQC ratings."""
    providers = selectors.providers_with_services(request.user)
    return render(request, "core/overview.html", {"providers": providers})


@login_required
def provider_detail(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    services = policy.services(request.user).filter(provider=provider_obj).order_by("name")
    links = provider_links(request.user, provider_obj)
    return render(
        request, "core/provider_detail.html", {"provider": provider_obj, "services": services, "links": links}
    )


@login_required
def service_detail(request, service: str):
    """The service page: the panels above the fold; each part below it loads when scrolled to."""
    service_obj = selectors.service_for_slug(request.user, service)
    panels = service_panels(request, service_obj, part=0)
    below = [
        (reverse("core:service_panels_below", kwargs={"service": service_obj.slug, "part": n}), label)
        for n, label in parts_below_fold()
    ]
    return render(request, "core/service_detail.html", {"service": service_obj, "panels": panels, "below": below})


@login_required
@require_GET
def service_panels_below(request, service: str, part: int):
    """One part of the service page below the fold (core.panels.FOLDS), loaded when it scrolls
    into view (core/lazy.py); a page of its own without JavaScript. Checked as the page is."""
    service_obj = selectors.service_for_slug(request.user, service)
    label = dict(parts_below_fold()).get(part)
    if label is None:
        raise Http404("Not found")
    return render_panel(
        request,
        "core/_service_panels.html",
        {"service": service_obj, "panels": service_panels(request, service_obj, part=part)},
        title=f"{service_obj.name}: {label}",
        back_url=service_obj.get_absolute_url(),
        back_label=f"Back to {service_obj.name}",
    )


@login_required
def service_history(request, service: str):
    service_obj = selectors.service_for_slug(request.user, service)
    return render(
        request,
        "core/service_history.html",
        {"service": service_obj, "history": selectors.history_for(service_obj)},
    )


@login_required
def account(request):
    if request.method == "POST":
        form = AccountForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your details were saved.")
            return redirect("core:account")
    else:
        form = AccountForm(instance=request.user)
    memberships = request.user.memberships.select_related("provider", "service")
    enrolled = mfa_policy.is_enrolled(request.user)
    second_factor = {
        "enrolled": enrolled,
        "required": mfa_policy.required_reason(request.user),
        "codes_left": mfa_services.recovery_codes_left(user=request.user) if enrolled else 0,
    }
    context = {
        "form": form,
        "memberships": memberships,
        "second_factor": second_factor,
        "links": account_links(request.user),
    }
    return render(request, "core/account.html", context)


ACCESS_PAGE_SIZE = 50


@login_required
@require_GET
def access_records(request):
    """Who looked at what: reads and exports of the services the reader leads, newest first."""
    user = request.user
    policy.require(user, policy.Verb.VIEW_ACCESS_RECORDS)
    form = AccessRecordFilterForm(
        request.GET or None,
        people=selectors.access_record_people(user),
        services=selectors.access_record_services(user),
    )
    if not form.is_bound:
        records = selectors.access_records(user, selectors.AccessFilters())
    elif form.is_valid():
        data = form.cleaned_data
        filters = selectors.AccessFilters(
            person=data["person"],
            service=data["service"],
            kind=data["kind"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
        records = selectors.access_records(user, filters)
    else:
        records = selectors.access_records(user, selectors.AccessFilters()).none()
    page = Paginator(records, ACCESS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "retention_days": settings.ACCESS_RECORD_RETENTION_DAYS,
    }
    return render(request, "core/access_records.html", context)
