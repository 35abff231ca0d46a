from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import permissions as policy
from . import selectors
from .forms import AccountForm, apply_errors
from .models import Provider
from .panels import account_links, provider_links, service_panels


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


@require_GET
def healthz(request):
    """Liveness for the container health check: the app answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    providers = selectors.providers_with_services(request.user)
    return render(request, "core/home.html", {"providers": providers})


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
    service_obj = selectors.service_for_slug(request.user, service)
    panels = service_panels(request, service_obj)
    return render(request, "core/service_detail.html", {"service": service_obj, "panels": panels})


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
    return render(
        request,
        "core/account.html",
        {"form": form, "memberships": memberships, "links": account_links(request.user)},
    )
