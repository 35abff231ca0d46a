"""Flag pages: lists per service and across a provider, a flag's detail, and acknowledging it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import limits
from core import permissions as policy
from core.forms import BoundedCharField, apply_errors
from core.models import Provider
from core.selectors import service_for_slug
from governance.flags import selectors as flag_selectors
from governance.flags.services import flag_acknowledge as acknowledge_service
from governance.models import Flag

PAGE_SIZE = 50


class AcknowledgeForm(forms.Form):
    note = BoundedCharField(
        label="What did you look at, and what did you do or decide?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. It stays with the flag as part of the record.",
        max_length=limits.NOTE,
    )


def _list_context(request, queryset, counts_queryset) -> dict:
    kind = request.GET.get("kind") or ""
    state = request.GET.get("state") or "open"
    if state not in flag_selectors.STATES:
        state = "open"
    if kind not in Flag.Kind.values:
        kind = ""
    flags = flag_selectors.filter_flags(queryset, kind=kind or None, state=state)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "flags": page.object_list,
        "kind": kind,
        "state": state,
        "kinds": Flag.Kind.choices,
        "states": list(flag_selectors.STATES.items()),
        "counts": flag_selectors.open_counts_by_kind(counts_queryset),
        "filtered": bool(kind) or state != "open",
    }


@login_required
def flag_list(request, service: str):
    service_obj = service_for_slug(request.user, service)
    qs = flag_selectors.flags_visible(request.user, service=service_obj)
    context = _list_context(request, qs, qs)
    context.update(service=service_obj, provider=service_obj.provider, scope_name=service_obj.name)
    return render(request, "governance/flags/list.html", context)


@login_required
def provider_flag_list(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    qs = flag_selectors.flags_visible(request.user, provider=provider_obj)
    context = _list_context(request, qs, qs)
    context.update(service=None, provider=provider_obj, scope_name=provider_obj.name)
    return render(request, "governance/flags/list.html", context)


def _detail(request, flag: Flag, form: AcknowledgeForm | None = None, status: int = 200):
    can_ack = flag.is_open and flag.acknowledged_at is None and policy.can(request.user, policy.Verb.HANDLE_FLAGS, flag)
    return render(
        request,
        "governance/flags/detail.html",
        {"flag": flag, "form": form or (AcknowledgeForm() if can_ack else None), "can_acknowledge": can_ack},
        status=status,
    )


@login_required
def flag_detail(request, pk: int):
    return _detail(request, flag_selectors.flag_for(request.user, pk))


@login_required
@require_POST
def flag_acknowledge(request, pk: int):
    flag = flag_selectors.flag_for(request.user, pk, policy.Verb.HANDLE_FLAGS)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            acknowledge_service(actor=request.user, flag=flag, note=form.cleaned_data["note"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                apply_errors(form, exc)
            else:
                messages.info(request, " ".join(exc.messages))
                return redirect(flag.get_absolute_url())
        else:
            messages.success(request, "Flag acknowledged. It stays open until its cause clears.")
            return redirect(flag.get_absolute_url())
    return _detail(request, flag, form, status=200)


def flag_panel_context(request, service) -> dict:
    """The service page's flag badges: open flags by kind (one query)."""
    counts = flag_selectors.open_counts_by_kind(Flag.objects.filter(service=service))
    return {"counts": counts, "total": sum(c["open"] for c in counts)}
