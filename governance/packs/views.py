"""Evidence pack pages: list, generate, progress, download.

Rendering never happens in the request: generating records the pack and queues the job
after commit (in-process when there is no broker). The detail page polls a small status
partial until the pack is ready or has failed. Downloads are streamed by a view that asks
the permission policy first; MEDIA_ROOT is never served.

The views that send a job run outside the request-wide transaction (``non_atomic_requests``):
their service commits, the job is sent, and the page already knows whether the broker took
it. A broker that is down never fails the request: the pack is kept, queued, with a note.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core import permissions as policy
from core import selectors as core_selectors
from core.access import AccessKind, record_access
from core.files import FileUnavailable, open_stored
from core.models import Provider
from governance.models import EvidencePack
from governance.packs import selectors, services, stuck
from governance.packs.forms import PackForm
from governance.packs.models import RENDERER_UNAVAILABLE
from recovery.models import RecoveryAction

RECENT = 5


def pack_panel_context(request, service) -> dict:
    """The "Evidence packs" panel on the service page."""
    return {
        "can_generate": policy.can(request.user, policy.Verb.GENERATE_PACK, service),
        "packs": list(selectors.packs_for_service(request.user, service)[:RECENT]),
    }


@login_required
@require_GET
def pack_list(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service)
    return render(
        request,
        "governance/packs/list.html",
        {
            "service": service_obj,
            "provider": service_obj.provider,
            "packs": selectors.packs_for_service(request.user, service_obj),
            "can_generate": policy.can(request.user, policy.Verb.GENERATE_PACK, service_obj),
            "create_url_name": "governance:pack_create",
        },
    )


@login_required
@require_GET
def provider_pack_list(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    return render(
        request,
        "governance/packs/list.html",
        {
            "provider": provider_obj,
            "packs": selectors.packs_for_provider(request.user, provider_obj),
            "can_generate": policy.can(request.user, policy.Verb.GENERATE_PACK, provider_obj),
        },
    )


def _queued_message(request, pack: EvidencePack, text: str) -> None:
    pack.refresh_from_db(fields=["status", "progress_note"])
    if pack.renderer_unavailable:
        messages.warning(request, RENDERER_UNAVAILABLE)
    else:
        messages.info(request, text)


def _generate(request, *, provider, origin_service):
    choices = policy.services(request.user, policy.Verb.GENERATE_PACK).filter(provider=provider).order_by("name")
    initial = [origin_service] if origin_service else list(choices)
    form = PackForm(request.POST or None, services_qs=choices, initial_services=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pack = services.pack_request(
            user=request.user,
            provider=provider,
            service=origin_service,
            services=list(data["services"]),
            kind=data["kind"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            key_questions=data["key_questions"],
            sections=data["sections"],
        )
        _queued_message(request, pack, "Your pack is being prepared. This page shows its progress.")
        return redirect(pack)
    return render(
        request,
        "governance/packs/form.html",
        {"form": form, "provider": provider, "service": origin_service},
        status=400 if request.method == "POST" else 200,
    )


@transaction.non_atomic_requests
@login_required
def pack_create(request, service: str):
    service_obj = core_selectors.service_for_slug(request.user, service, policy.Verb.GENERATE_PACK)
    return _generate(request, provider=service_obj.provider, origin_service=service_obj)


@transaction.non_atomic_requests
@login_required
def provider_pack_create(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), policy.Verb.GENERATE_PACK, slug=provider)
    return _generate(request, provider=provider_obj, origin_service=None)


@transaction.non_atomic_requests
@login_required
@require_POST
def action_pack_create(request, pk: int):
    qs = RecoveryAction.objects.select_related("provider", "service")
    action = policy.get_or_404(request.user, qs, policy.Verb.GENERATE_PACK, pk=pk)
    pack = services.pack_request(
        user=request.user, provider=action.provider, services=[], action=action, kind=EvidencePack.Kind.ACTION
    )
    _queued_message(request, pack, f"A concern-to-outcome PDF for {action.reference} is being prepared.")
    return redirect(pack)


def _status_context(request, pack: EvidencePack) -> dict:
    """The pack, and whether this user gets the "Try again" button (failed or stuck, may generate)."""
    return {"pack": pack, "can_retry": pack.is_stuck() and stuck.pack_may_generate(request.user, pack)}


@login_required
@require_GET
def pack_detail(request, pk: int):
    pack = selectors.pack_for(request.user, pk)
    return render(request, "governance/packs/detail.html", _status_context(request, pack))


@login_required
@require_GET
def pack_status(request, pk: int):
    """The polling partial: progress while queued or rendering, the result once finished."""
    pack = selectors.pack_for(request.user, pk)
    response = render(request, "governance/packs/_status.html", _status_context(request, pack))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def pack_download(request, pk: int):
    pack = selectors.pack_for(request.user, pk)
    if pack.status != EvidencePack.Status.DONE or not pack.file:
        raise Http404("This pack has no file.")
    try:
        handle = open_stored(request, pack.file, what="this evidence pack", back_url=pack.get_absolute_url())
    except FileUnavailable as unavailable:
        return unavailable.response
    record_access(request, kind=AccessKind.PACK, subject=pack, label="Evidence pack")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=pack.file.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@transaction.non_atomic_requests
@login_required
@require_POST
def pack_retry(request, pk: int):
    """Start a failed or stuck pack again (the pack-creation permission, checked by the service)."""
    pack = selectors.pack_for(request.user, pk)
    try:
        pack = stuck.pack_retry(user=request.user, pack=pack)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
        return redirect(pack)
    _queued_message(request, pack, "The pack is being prepared again. This page shows its progress.")
    return redirect(pack)
