"""Pages for themes, leadership learning, actions and steps. Thin: look up, call a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import permissions as policy
from core.access import AccessKind, records_access
from core.forms import posted
from core.models import Provider
from core.selectors import history_for, service_for_slug
from core.views import button, form_page, saved
from recovery.closure import services as closure_services
from recovery.learning import selectors as learning_selectors
from recovery.models import FailureTheme, RecoveryAction
from recovery.plan import selectors as selectors
from recovery.plan import services as services
from recovery.plan.forms import (
    ActionForm,
    EvidenceLinkForm,
    LearningForm,
    LearningReviewForm,
    ReassignForm,
    RiskForm,
    StepDoneForm,
    StepForm,
    StepNotNeededForm,
    ThemeForm,
    ThemeMoveForm,
)
from recovery.reviewing import services as review_services
from recovery.reviewing.selectors import route_page

V = policy.Verb


def render_form(request, *, title: str, form, cancel_url: str, crumbs=(), intro: str = "", extra=None):
    """The shared form page: heading, short explanation, the crispy form, a way back."""
    context = {"title": title, "form": form, "cancel_url": cancel_url, "crumbs": crumbs, "intro": intro}
    context.update(extra or {})
    return render(request, "recovery/plan/form.html", context)


def page_for(request, obj: FailureTheme | RecoveryAction, form, *, title: str, intro: str = "", extra=None):
    """The form page for something done to a theme or an action: back to it, under its crumbs."""
    crumbs = action_crumbs(obj) if isinstance(obj, RecoveryAction) else theme_crumbs(obj)
    return render_form(
        request, title=title, intro=intro, form=form, cancel_url=obj.get_absolute_url(), crumbs=crumbs, extra=extra
    )


def theme_crumbs(theme: FailureTheme) -> list[tuple[str, str]]:
    where = theme.service or theme.provider
    return [(where.name, where.get_absolute_url()), (theme.title, theme.get_absolute_url())]


def action_crumbs(action: RecoveryAction) -> list[tuple[str, str]]:
    return [*theme_crumbs(action.theme), (f"{action.reference} {action.title}", action.get_absolute_url())]


def _route_context(user, subject, subject_type: str) -> dict:
    """The review route panel: layers, history, and what this person may do with them."""
    route = route_page(subject)
    return {
        "route": route,
        "subject": subject,
        "subject_type": subject_type,
        "can_edit_route": policy.can(user, V.EDIT_PLAN, subject),
        "can_record_review": any(review_services.may_record_review(user, s.layer) for s in route.layers),
    }


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
    return form_page(
        request,
        form,
        save=lambda data: services.theme_create(
            actor=request.user,
            provider=provider,
            service=service,
            framework_items=list(data["framework_items"]),
            **{name: data[name] for name in THEME_FIELDS},
        ),
        success=lambda theme: saved(
            request, f"Theme “{theme.title}” created. Add what leaders learned and the actions next.", theme
        ),
        render=lambda: render_form(
            request,
            title="New provider-wide theme" if service is None else "New failure theme",
            intro="A weakness found at inspection or by your own checks, that the recovery plan must put right.",
            form=form,
            cancel_url=where.get_absolute_url(),
            crumbs=[(where.name, where.get_absolute_url())],
        ),
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
@records_access(AccessKind.PAGE, label="Theme")
def theme_detail(request, pk: int):
    theme = selectors.theme_for(request.user, pk)
    user = request.user
    context = {
        "theme": theme,
        "crumbs": theme_crumbs(theme)[:-1],
        **selectors.theme_page(theme),
        "can_edit": policy.can(user, V.EDIT_PLAN, theme),
        "can_share_learning": policy.can(user, V.EDIT_PLAN, theme),
        "can_review_learning": policy.can(user, V.REVIEW_LEARNING, theme),
        "move_form": ThemeMoveForm(theme=theme),
        "regulation_labels": theme.regulation_labels(),
        **_route_context(user, theme, "theme"),
        "history": history_for(theme),
        "today": timezone.localdate(),
    }
    shares = learning_selectors.shares_of_learning(lr.pk for lr in context["learning"])
    for lr in context["learning"]:
        lr.share_list = shares.get(lr.pk, [])
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
    fields = (*THEME_FIELDS, "keep_visible_override", "keep_visible_override_reason")
    return form_page(
        request,
        form,
        save=lambda data: services.theme_update(
            actor=request.user,
            theme=theme,
            framework_items=list(data["framework_items"]),
            **{name: data[name] for name in fields},
        ),
        success=lambda _: saved(request, "Theme saved.", theme),
        render=lambda: page_for(request, theme, form, title=f"Edit theme: {theme.title}"),
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
    return form_page(
        request,
        form,
        save=lambda data: services.learning_add(
            actor=request.user,
            theme=theme,
            factors=data["factors"],
            why_it_happened=data["why_it_happened"],
            governance_change=data["governance_change"],
            how_tested=data["how_tested"],
            evidence=list(data["evidence"]),
        ),
        success=lambda _: saved(request, "Learning recorded. The nominated individual will review it.", theme),
        render=lambda: page_for(
            request,
            theme,
            form,
            title="Record leadership learning",
            intro="Why leaders let this happen, what governance changed, and how you will know the change works.",
        ),
    )


@login_required
def learning_review(request, pk: int):
    learning = selectors.learning_for(request.user, pk, V.REVIEW_LEARNING)
    theme = learning.theme
    form = LearningReviewForm(posted(request))
    return form_page(
        request,
        form,
        save=lambda data: services.learning_review(actor=request.user, learning=learning, note=data["note"]),
        success=lambda _: saved(request, "Review recorded.", theme),
        render=lambda: page_for(request, theme, form, title="Review leadership learning", extra={"learning": learning}),
    )


# --- Actions ------------------------------------------------------------------------------


@login_required
def action_create(request, pk: int):
    theme = selectors.theme_for(request.user, pk, V.EDIT_PLAN)
    owners = policy.users_with(V.VIEW, theme.service or theme.provider)
    initial = {"risk_level": theme.risk_level, "owner": request.user}
    form = ActionForm(posted(request), owners=owners, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: services.action_create(
            actor=request.user, theme=theme, **{name: data[name] for name in services.ACTION_FIELDS}
        ),
        success=lambda action: saved(
            request, f"{action.reference} created as a draft. Add its steps and measures, then open it.", action
        ),
        render=lambda: page_for(
            request,
            theme,
            form,
            title="New recovery action",
            intro="Say what is wrong now and what will be different for people. The intended outcome must be "
            "written before work starts.",
        ),
    )


@login_required
@records_access(AccessKind.PAGE, label="Action")
def action_detail(request, pk: int):
    action = selectors.action_for(request.user, pk)
    user = request.user
    page = selectors.action_page(action)
    S = RecoveryAction.Status
    context = {
        "action": action,
        "crumbs": action_crumbs(action)[:-1],
        "page": page,
        # While a closure proposal waits, what the decision rests on is locked (services.PROPOSAL_LOCK).
        "plan_locked": action.status == S.CLOSURE_PROPOSED,
        "can_edit": policy.can(user, V.EDIT_PLAN, action) and action.status not in (S.CLOSED, S.CLOSURE_PROPOSED),
        "can_add_step": policy.can(user, V.EDIT_PLAN, action) and action.status != S.CLOSED,
        "can_set_conditions": policy.can(user, V.EDIT_PLAN, action)
        and action.status not in (S.CLOSED, S.CLOSURE_PROPOSED),
        "can_pack": policy.can(user, V.GENERATE_PACK, action),
        "can_record": policy.can(user, V.RECORD_DATA, action),
        "can_evidence": policy.can(user, V.ADD_EVIDENCE, action),
        "can_open": action.status == S.DRAFT and policy.can(user, V.EDIT_PLAN, action),
        "can_start": action.status == S.OPEN and policy.can(user, V.EDIT_PLAN, action),
        "can_propose": action.status == S.IN_PROGRESS and policy.can(user, V.PROPOSE_CLOSURE, action),
        "can_decide": closure_services.can_decide(user, action),
        "can_reopen": action.status == S.CLOSED and policy.can(user, V.EDIT_PLAN, action),
        "step_done_form": StepDoneForm(),
        **_route_context(user, action, "action"),
        "history": history_for(action),
        "today": timezone.localdate(),
    }
    return render(request, "recovery/plan/action_detail.html", context)


@login_required
def action_edit(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    if request.method == "GET" and action.status == RecoveryAction.Status.CLOSURE_PROPOSED:
        messages.info(request, services.PROPOSAL_LOCK)  # a save would be refused by the service
        return redirect(action)
    owners = policy.users_with(V.VIEW, action.service or action.provider)
    form = ActionForm(posted(request), instance=action, owners=owners, edit=True)
    return form_page(
        request,
        form,
        save=lambda data: services.action_update(
            actor=request.user,
            action=action,
            risk_reason=data.get("risk_reason", ""),
            **{name: data[name] for name in services.ACTION_FIELDS if name in data},
        ),
        success=lambda _: saved(request, "Action saved.", action),
        render=lambda: page_for(request, action, form, title=f"Edit {action.reference}"),
    )


@login_required
def action_reassign(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    owners = policy.users_with(V.VIEW, action.service or action.provider).exclude(pk=action.owner_id)
    form = ReassignForm(posted(request), owners=owners)
    return form_page(
        request,
        form,
        save=lambda data: services.action_reassign(actor=request.user, action=action, owner=data["owner"]),
        success=lambda _: saved(request, f"{action.reference} now belongs to {action.owner}.", action),
        render=lambda: page_for(
            request, action, form, title=f"Reassign {action.reference}", intro=f"Currently owned by {action.owner}."
        ),
    )


# --- Steps --------------------------------------------------------------------------------


@login_required
def step_add(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    form = StepForm(posted(request), owners=policy.users_with(V.VIEW, action.service or action.provider))
    next_url = (
        reverse("recovery:step_add", kwargs={"pk": action.pk})
        if "another" in request.POST
        else f"{action.get_absolute_url()}#steps"
    )
    return form_page(
        request,
        form,
        save=lambda data: services.step_add(actor=request.user, action=action, **data),
        success=lambda step: saved(request, f"Step {step.order} added.", next_url),
        render=lambda: page_for(
            request,
            action,
            form,
            title=f"Add a step to {action.reference}",
            intro="One operational step: who does it (a named person or a role), what they do, how often, and "
            "where it is written down.",
        ),
    )


@login_required
def step_not_needed(request, pk: int):
    step = selectors.step_for(request.user, pk, V.EDIT_PLAN)
    action = step.action
    form = StepNotNeededForm(posted(request))
    return form_page(
        request,
        form,
        save=lambda data: services.step_mark_not_needed(actor=request.user, step=step, reason=data["reason"]),
        success=lambda _: saved(request, f"Step {step.order} marked not needed.", f"{action.get_absolute_url()}#steps"),
        render=lambda: page_for(
            request, action, form, title=f"Step {step.order} is not needed", intro=f"{step.who}: {step.what}"
        ),
    )


@login_required
def risk_add(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    form = RiskForm(posted(request))
    return form_page(
        request,
        form,
        save=lambda data: services.risk_add(actor=request.user, action=action, **data),
        success=lambda _: saved(request, "Risk added.", f"{action.get_absolute_url()}#risks"),
        render=lambda: page_for(
            request,
            action,
            form,
            title=f"Add a risk to {action.reference}",
            intro="What could go wrong, the early-warning signs to watch for, and who acts on them and how.",
        ),
    )


@login_required
@require_POST
def step_done(request, pk: int):
    step = selectors.step_for(request.user, pk, V.RECORD_DATA)
    action = step.action
    form = StepDoneForm(request.POST)
    return form_page(
        request,
        form,
        save=lambda data: services.step_complete(actor=request.user, step=step, done_on=data["done_on"]),
        success=lambda _: saved(request, f"Step {step.order} marked done.", f"{action.get_absolute_url()}#steps"),
        render=lambda: page_for(request, action, form, title=f"Mark step {step.order} done", intro=step.what),
    )


# --- Evidence -----------------------------------------------------------------------------


@login_required
def action_evidence(request, pk: int):
    """Link evidence already in the library to the action, or unlink it."""
    action = selectors.action_for(request.user, pk, V.ADD_EVIDENCE)
    if request.method == "POST" and "unlink" in request.POST:
        item = action.evidence.filter(pk=request.POST["unlink"]).first() if request.POST["unlink"].isdigit() else None
        back = reverse("recovery:action_evidence", kwargs={"pk": action.pk})
        if item is None:
            messages.error(request, "That evidence is not linked to this action.")
            return redirect(back)
        return button(
            request,
            lambda: services.action_evidence_unlink(actor=request.user, action=action, item=item),
            done=f"“{item.title}” unlinked from {action.reference}.",
            to=back,
        )
    items = selectors.linkable_evidence(request.user, action)
    form = EvidenceLinkForm(posted(request), items=items)

    def link(data):
        services.action_evidence_link(actor=request.user, action=action, item=data["item"])
        return data["item"]

    def page():
        context = {
            "action": action,
            "form": form,
            "linked": list(action.evidence.order_by("-refers_to", "-pk")),
            "has_choices": items.exists(),
            "crumbs": action_crumbs(action),
            "can_unlink": action.status != RecoveryAction.Status.CLOSURE_PROPOSED,
        }
        return render(request, "recovery/plan/action_evidence.html", context)

    return form_page(
        request,
        form,
        save=link,
        success=lambda item: saved(
            request, f"“{item.title}” linked to {action.reference}.", f"{action.get_absolute_url()}#evidence"
        ),
        render=page,
    )
