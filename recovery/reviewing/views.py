"""Pages for review routes: record a review outside a meeting; add, edit and remove layers.

Thin: look the subject up through the policy (another provider's is a 404), bind a form, call
``recovery.reviewing.services``, redirect back to the subject's page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_POST

from core import permissions as policy
from core.forms import posted
from core.views import button, form_page, saved
from recovery.models import FailureTheme, RecoveryAction, ReviewLayer
from recovery.plan import selectors as plan_selectors
from recovery.plan.views import page_for
from recovery.reviewing import services
from recovery.reviewing.forms import LayerForm, ReviewRecordForm

V = policy.Verb


def _people(subject):
    return policy.users_with(V.VIEW, subject.service or subject.provider).order_by("first_name", "last_name", "pk")


def _back(subject) -> str:
    return f"{subject.get_absolute_url()}#reviews"


def _record(request, subject: RecoveryAction | FailureTheme):
    layers = [
        la
        for la in subject.review_layers.filter(retired_at__isnull=True)
        if services.may_record_review(request.user, la)
    ]
    if not layers:
        raise PermissionDenied("Your role does not review this.")
    choices = ReviewLayer.objects.filter(pk__in=[la.pk for la in layers]).select_related("reviewer")
    people = _people(subject)
    initial = {"reviewed_by": request.user if people.filter(pk=request.user.pk).exists() else None}
    if request.GET.get("layer", "").isdigit():
        initial["layer"] = int(request.GET["layer"])
    form = ReviewRecordForm(posted(request), layers=choices, people=people, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: services.review_record(actor=request.user, **data),
        success=lambda record: saved(
            request,
            f"{record.layer.name} recorded for {record.reviewed_on:%-d %b %Y}: {record.get_outcome_display().lower()}. "
            f"Next due {record.layer.next_due:%-d %b %Y}.",
            _back(subject),
        ),
        render=lambda: page_for(
            request,
            subject,
            form,
            title="Record a review",
            intro="A review that took place outside a meeting: who reviewed, when, and what they looked at. "
            "Decisions in a review meeting are recorded from the meeting's agenda.",
        ),
    )


@login_required
def review_record_action(request, pk: int):
    return _record(request, plan_selectors.action_for(request.user, pk))


@login_required
def review_record_theme(request, pk: int):
    return _record(request, plan_selectors.theme_for(request.user, pk))


def _layer_add(request, subject):
    form = LayerForm(posted(request), people=_people(subject))
    return form_page(
        request,
        form,
        save=lambda data: services.layer_add(actor=request.user, subject=subject, **data),
        success=lambda layer: saved(request, f"{layer.name} added to the review route.", _back(subject)),
        render=lambda: page_for(
            request,
            subject,
            form,
            title="Add a review layer",
            intro="Who reviews this and how often. Once work has started, the first review on a new layer is due "
            "one cadence from today.",
        ),
    )


@login_required
def layer_add_action(request, pk: int):
    return _layer_add(request, plan_selectors.action_for(request.user, pk, V.EDIT_PLAN))


@login_required
def layer_add_theme(request, pk: int):
    return _layer_add(request, plan_selectors.theme_for(request.user, pk, V.EDIT_PLAN))


def _layer_for(request, pk: int) -> ReviewLayer:
    qs = ReviewLayer.objects.filter(retired_at__isnull=True).select_related(
        "action__theme__service", "action__theme__provider", "theme__service", "theme__provider", "reviewer"
    )
    return policy.get_or_404(request.user, qs, V.EDIT_PLAN, pk=pk)


@login_required
def layer_edit(request, pk: int):
    layer = _layer_for(request, pk)
    subject = layer.subject
    initial = {"reviewer_role": layer.reviewer_role, "reviewer": layer.reviewer, "cadence": layer.cadence}
    form = LayerForm(posted(request), people=_people(subject), edit=True, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: services.layer_update(actor=request.user, layer=layer, **data),
        success=lambda saved_layer: saved(request, f"{saved_layer.name} saved.", _back(subject)),
        render=lambda: page_for(
            request,
            subject,
            form,
            title=f"Edit the {layer.name_in_sentence}",
            intro="A change of cadence moves the next due date: one cadence after the last review.",
        ),
    )


@login_required
@require_POST
def layer_remove(request, pk: int):
    layer = _layer_for(request, pk)
    subject = layer.subject
    return button(
        request,
        lambda: services.layer_retire(actor=request.user, layer=layer),
        done=f"{layer.name} taken off the review route. Its past reviews stay in the history.",
        to=_back(subject),
    )
