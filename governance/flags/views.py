"""Flag pages: lists per service and across a provider, a flag's detail, and acknowledging it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import limits
from core import permissions as policy
from core.forms import BoundedCharField, apply_errors, posted
from core.models import Provider
from core.selectors import service_for_slug
from core.views import button, form_page, redrawn_status, saved
from governance.flags import forms as trigger_forms
from governance.flags import selectors as flag_selectors
from governance.flags import services as trigger_services
from governance.flags.services import flag_acknowledge as acknowledge_service
from governance.models import Flag, FlagTrigger

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
    context.update(
        triggers=flag_selectors.triggers_at(service_obj),
        can_edit_triggers=policy.can(request.user, policy.Verb.EDIT_PLAN, service_obj),
    )
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


# --- Triggers -----------------------------------------------------------------------------

KIND_SLUGS = {"measure": FlagTrigger.Kind.MEASURE_THRESHOLD, "finding": FlagTrigger.Kind.REPEATED_FINDING}


def _trigger_page(request, *, service, kind: str, trigger: FlagTrigger | None = None):
    form_class = trigger_forms.FORMS[kind]
    form = form_class(posted(request), service=service, trigger=trigger)
    if trigger is None and request.method == "GET" and request.GET.get("measure", "").isdigit():
        form.initial["measure"] = int(request.GET["measure"])

    def save(_data):
        values = form.values()
        if trigger is None:
            return trigger_services.trigger_create(
                actor=request.user, provider=service.provider, service=service, kind=kind, **values
            )
        return trigger_services.trigger_update(actor=request.user, trigger=trigger, **values)

    return form_page(
        request,
        form,
        save=save,
        success=lambda t: saved(
            request, f"Trigger “{t.name}” saved. It is checked now and whenever its data changes.", _flags_url(service)
        ),
        render=lambda: render(
            request,
            "governance/flags/trigger_form.html",
            {
                "form": form,
                "service": service,
                "provider": service.provider,
                "trigger": trigger,
                "kind_label": FlagTrigger.Kind(kind).label,
            },
            status=redrawn_status(request),
        ),
    )


def _flags_url(service) -> str:
    return reverse("governance:flag_list", kwargs={"service": service.slug})


@login_required
def trigger_new(request, service: str, kind: str):
    service_obj = service_for_slug(request.user, service)
    policy.require(request.user, policy.Verb.EDIT_PLAN, service_obj)
    if kind not in KIND_SLUGS:
        raise Http404("No such kind of trigger.")
    return _trigger_page(request, service=service_obj, kind=KIND_SLUGS[kind])


def _trigger_for(user, pk: int) -> FlagTrigger:
    trigger = policy.get_or_404(
        user, FlagTrigger.objects.select_related("provider", "service", "person"), policy.Verb.EDIT_PLAN, pk=pk
    )
    if trigger.service is None:  # a trigger on a provider-wide measure: no service page to edit it on
        raise Http404("This trigger is not at a service.")
    return trigger


@login_required
def trigger_edit(request, pk: int):
    trigger = _trigger_for(request.user, pk)
    return _trigger_page(request, service=trigger.service, kind=trigger.kind, trigger=trigger)


@login_required
@require_POST
def trigger_remove(request, pk: int):
    trigger = _trigger_for(request.user, pk)
    service, name = trigger.service, trigger.name
    return button(
        request,
        lambda: trigger_services.trigger_delete(actor=request.user, trigger=trigger),
        done=f"Trigger “{name}” removed. Its open flag, if any, resolves.",
        to=_flags_url(service),
    )
