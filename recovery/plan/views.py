"""Pages for themes, leadership learning, actions and steps. Thin: look up, call a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import permissions as policy
from core.forms import apply_errors, posted
from core.models import Provider
from core.selectors import history_for, service_for_slug
from recovery.closure import services as closure_services
from recovery.models import FailureTheme, RecoveryAction
from recovery.plan import selectors as selectors
from recovery.plan import services as services
from recovery.plan.forms import (
    ActionForm,
    EvidenceLinkForm,
    LearningForm,
    LearningReviewForm,
    ReassignForm,
    StepDoneForm,
    StepForm,
    ThemeForm,
    ThemeMoveForm,
)

V = policy.Verb


def render_form(request, *, title: str, form, cancel_url: str, crumbs=(), intro: str = "", extra=None):
    """The shared form page: heading, short explanation, the crispy form, a way back."""
    context = {"title": title, "form": form, "cancel_url": cancel_url, "crumbs": crumbs, "intro": intro}
    context.update(extra or {})
    return render(request, "recovery/plan/form.html", context)


def theme_crumbs(theme: FailureTheme) -> list[tuple[str, str]]:
    where = theme.service or theme.provider
    return [(where.name, where.get_absolute_url()), (theme.title, theme.get_absolute_url())]


def action_crumbs(action: RecoveryAction) -> list[tuple[str, str]]:
    return [*theme_crumbs(action.theme), (f"{action.reference} {action.title}", action.get_absolute_url())]


# --- The service-page panel ---------------------------------------------------------------


def themes_panel(request, service) -> dict:
    user = request.user
    themes, provider_themes = selectors.service_and_provider_themes(user, service)
    return {
        "themes": themes,
        "provider_themes": provider_themes,
        "can_edit": policy.can(user, V.EDIT_PLAN, service),
        "can_edit_provider": policy.can(user, V.EDIT_PLAN, service.provider),
        "today": timezone.localdate(),
    }


# --- Themes -------------------------------------------------------------------------------


THEME_FIELDS = (*services.THEME_FIELDS,)


def _theme_create(request, *, provider: Provider, service):
    where = service or provider
    policy.require(request.user, V.EDIT_PLAN, where)
    owners = policy.users_with(V.VIEW, where)
    form = ThemeForm(posted(request), owners=owners, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            theme = services.theme_create(
                actor=request.user,
                provider=provider,
                service=service,
                framework_items=list(data["framework_items"]),
                **{name: data[name] for name in THEME_FIELDS},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Theme “{theme.title}” created. Add what leaders learned and the actions next.")
            return redirect(theme)
    return render_form(
        request,
        title="New provider-wide theme" if service is None else "New failure theme",
        intro="A weakness found at inspection or by your own checks, that the recovery plan must put right.",
        form=form,
        cancel_url=where.get_absolute_url(),
        crumbs=[(where.name, where.get_absolute_url())],
    )


@login_required
def theme_create(request, service: str):
    service_obj = service_for_slug(request.user, service)
    return _theme_create(request, provider=service_obj.provider, service=service_obj)


@login_required
def provider_theme_create(request, provider: str):
    provider_obj = policy.get_or_404(request.user, Provider.objects.all(), slug=provider)
    return _theme_create(request, provider=provider_obj, service=None)


@login_required
def theme_detail(request, pk: int):
    theme = selectors.theme_for(request.user, pk)
    user = request.user
    context = {
        "theme": theme,
        "crumbs": theme_crumbs(theme)[:-1],
        **selectors.theme_page(theme),
        "can_edit": policy.can(user, V.EDIT_PLAN, theme),
        "can_review_learning": policy.can(user, V.REVIEW_LEARNING, theme),
        "move_form": ThemeMoveForm(theme=theme),
        "regulation_labels": theme.regulation_labels(),
        "history": history_for(theme),
        "today": timezone.localdate(),
    }
    return render(request, "recovery/plan/theme_detail.html", context)


@login_required
def theme_edit(request, pk: int):
    theme = selectors.theme_for(request.user, pk, V.EDIT_PLAN)
    owners = policy.users_with(V.VIEW, theme.service or theme.provider)
    form = ThemeForm(
        posted(request),
        instance=theme,
        owners=owners,
        edit=True,
        initial={"framework_items": list(theme.framework_items.all())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in (*THEME_FIELDS, "keep_visible_override", "keep_visible_override_reason")}
        try:
            services.theme_update(
                actor=request.user, theme=theme, framework_items=list(data["framework_items"]), **fields
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Theme saved.")
            return redirect(theme)
    return render_form(
        request,
        title=f"Edit theme: {theme.title}",
        form=form,
        cancel_url=theme.get_absolute_url(),
        crumbs=theme_crumbs(theme),
    )


@login_required
@require_POST
def theme_move(request, pk: int):
    """One of the theme's allowed moves (a button each on the theme page), with the reason."""
    theme = selectors.theme_for(request.user, pk, V.EDIT_PLAN)
    form = ThemeMoveForm(request.POST, theme=theme)
    if form.is_valid():
        try:
            services.theme_move(actor=request.user, theme=theme, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"Theme is now {theme.get_status_display().lower()}.")
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(theme)


# --- Learning -----------------------------------------------------------------------------


@login_required
def learning_add(request, pk: int):
    theme = selectors.theme_for(request.user, pk, V.EDIT_PLAN)
    form = LearningForm(posted(request), evidence=selectors.evidence_for_theme(request.user, theme))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.learning_add(
                actor=request.user,
                theme=theme,
                factors=data["factors"],
                why_it_happened=data["why_it_happened"],
                governance_change=data["governance_change"],
                how_tested=data["how_tested"],
                evidence=list(data["evidence"]),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Learning recorded. The nominated individual will review it.")
            return redirect(theme)
    return render_form(
        request,
        title="Record leadership learning",
        intro="Why leaders let this happen, what governance changed, and how you will know the change works.",
        form=form,
        cancel_url=theme.get_absolute_url(),
        crumbs=theme_crumbs(theme),
    )


@login_required
def learning_review(request, pk: int):
    learning = selectors.learning_for(request.user, pk, V.REVIEW_LEARNING)
    theme = learning.theme
    form = LearningReviewForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.learning_review(actor=request.user, learning=learning, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Review recorded.")
            return redirect(theme)
    return render_form(
        request,
        title="Review leadership learning",
        form=form,
        cancel_url=theme.get_absolute_url(),
        crumbs=theme_crumbs(theme),
        extra={"learning": learning},
    )


# --- Actions ------------------------------------------------------------------------------


@login_required
def action_create(request, pk: int):
    theme = selectors.theme_for(request.user, pk, V.EDIT_PLAN)
    owners = policy.users_with(V.VIEW, theme.service or theme.provider)
    initial = {"risk_level": theme.risk_level, "owner": request.user}
    form = ActionForm(posted(request), owners=owners, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.action_create(
                actor=request.user, theme=theme, **{name: data[name] for name in services.ACTION_FIELDS}
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"{action.reference} created as a draft. Add its steps and measures, then open it."
            )
            return redirect(action)
    return render_form(
        request,
        title="New recovery action",
        intro="Say what is wrong now and what will be different for people. The intended outcome must be "
        "written before work starts.",
        form=form,
        cancel_url=theme.get_absolute_url(),
        crumbs=theme_crumbs(theme),
    )


@login_required
def action_detail(request, pk: int):
    action = selectors.action_for(request.user, pk)
    user = request.user
    page = selectors.action_page(action)
    S = RecoveryAction.Status
    context = {
        "action": action,
        "crumbs": action_crumbs(action)[:-1],
        "page": page,
        "can_edit": policy.can(user, V.EDIT_PLAN, action) and action.status != S.CLOSED,
        "can_pack": policy.can(user, V.GENERATE_PACK, action),
        "can_record": policy.can(user, V.RECORD_DATA, action),
        "can_evidence": policy.can(user, V.ADD_EVIDENCE, action),
        "can_open": action.status == S.DRAFT and policy.can(user, V.EDIT_PLAN, action),
        "can_start": action.status == S.OPEN and policy.can(user, V.EDIT_PLAN, action),
        "can_propose": action.status == S.IN_PROGRESS and policy.can(user, V.PROPOSE_CLOSURE, action),
        "can_decide": closure_services.can_decide(user, action),
        "can_reopen": action.status == S.CLOSED and policy.can(user, V.EDIT_PLAN, action),
        "step_done_form": StepDoneForm(),
        "history": history_for(action),
        "today": timezone.localdate(),
    }
    return render(request, "recovery/plan/action_detail.html", context)


@login_required
def action_edit(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    owners = policy.users_with(V.VIEW, action.service or action.provider)
    form = ActionForm(posted(request), instance=action, owners=owners, edit=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.action_update(
                actor=request.user, action=action, **{name: data[name] for name in services.ACTION_FIELDS}
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Action saved.")
            return redirect(action)
    return render_form(
        request,
        title=f"Edit {action.reference}",
        form=form,
        cancel_url=action.get_absolute_url(),
        crumbs=action_crumbs(action),
    )


@login_required
def action_reassign(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    owners = policy.users_with(V.VIEW, action.service or action.provider).exclude(pk=action.owner_id)
    form = ReassignForm(posted(request), owners=owners)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_reassign(actor=request.user, action=action, owner=form.cleaned_data["owner"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{action.reference} now belongs to {action.owner}.")
            return redirect(action)
    return render_form(
        request,
        title=f"Reassign {action.reference}",
        intro=f"Currently owned by {action.owner}.",
        form=form,
        cancel_url=action.get_absolute_url(),
        crumbs=action_crumbs(action),
    )


# --- Steps --------------------------------------------------------------------------------


@login_required
def step_add(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    form = StepForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            step = services.step_add(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Step {step.order} added.")
            if "another" in request.POST:
                return redirect("recovery:step_add", pk=action.pk)
            return redirect(f"{action.get_absolute_url()}#steps")
    return render_form(
        request,
        title=f"Add a step to {action.reference}",
        intro="One operational step: who does it, what they do, and where it is written down.",
        form=form,
        cancel_url=action.get_absolute_url(),
        crumbs=action_crumbs(action),
    )


@login_required
@require_POST
def step_done(request, pk: int):
    step = selectors.step_for(request.user, pk, V.RECORD_DATA)
    action = step.action
    form = StepDoneForm(request.POST)
    if form.is_valid():
        try:
            services.step_complete(actor=request.user, step=step, done_on=form.cleaned_data["done_on"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Step {step.order} marked done.")
            return redirect(f"{action.get_absolute_url()}#steps")
    return render_form(
        request,
        title=f"Mark step {step.order} done",
        intro=step.what,
        form=form,
        cancel_url=action.get_absolute_url(),
        crumbs=action_crumbs(action),
    )


# --- Evidence -----------------------------------------------------------------------------


@login_required
def action_evidence(request, pk: int):
    """Link evidence already in the library to the action, or unlink it."""
    action = selectors.action_for(request.user, pk, V.ADD_EVIDENCE)
    if request.method == "POST" and "unlink" in request.POST:
        item = action.evidence.filter(pk=request.POST["unlink"]).first() if request.POST["unlink"].isdigit() else None
        if item is None:
            messages.error(request, "That evidence is not linked to this action.")
        else:
            try:
                services.action_evidence_unlink(actor=request.user, action=action, item=item)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"“{item.title}” unlinked from {action.reference}.")
        return redirect("recovery:action_evidence", pk=action.pk)
    items = selectors.linkable_evidence(request.user, action)
    form = EvidenceLinkForm(posted(request), items=items)
    if request.method == "POST" and form.is_valid():
        item = form.cleaned_data["item"]
        try:
            services.action_evidence_link(actor=request.user, action=action, item=item)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"“{item.title}” linked to {action.reference}.")
            return redirect(f"{action.get_absolute_url()}#evidence")
    linked = list(action.evidence.order_by("-refers_to", "-pk"))
    context = {
        "action": action,
        "form": form,
        "linked": linked,
        "has_choices": items.exists(),
        "crumbs": action_crumbs(action),
        "can_unlink": action.status != RecoveryAction.Status.CLOSURE_PROPOSED,
    }
    return render(request, "recovery/plan/action_evidence.html", context)
