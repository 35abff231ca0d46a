"""The closure workflow's pages: one form per transition, each calling its one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from core import permissions as policy
from recovery.closure import services as services
from recovery.closure.forms import ClosureDecisionForm, ConfirmForm, ProposeClosureForm, ReopenForm
from recovery.models import RecoveryAction
from recovery.plan import selectors as selectors
from recovery.plan.views import action_crumbs, apply_errors, posted, render_form

V = policy.Verb
S = RecoveryAction.Status


def _done(request, action: RecoveryAction, message: str):
    messages.success(request, message)
    return redirect(action)


def _page(request, action, form, *, title: str, intro: str = "", extra=None):
    return render_form(
        request,
        title=title,
        intro=intro,
        form=form,
        cancel_url=action.get_absolute_url(),
        crumbs=action_crumbs(action),
        extra={"action": action, **(extra or {})},
    )


@login_required
def action_open(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    form = ConfirmForm(posted(request), submit="Open action")
    if request.method == "POST" and form.is_valid():
        try:
            services.action_open(actor=request.user, action=action)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, action, f"{action.reference} is open.")
    return _page(
        request,
        action,
        form,
        title=f"Open {action.reference}",
        intro="Opening puts the action on the recovery plan. Work starts once its intended outcome is agreed.",
    )


@login_required
def action_start(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    form = ConfirmForm(posted(request), submit="Start work")
    if request.method == "POST" and form.is_valid():
        try:
            services.action_start(actor=request.user, action=action)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, action, f"Work on {action.reference} has started.")
    return _page(
        request,
        action,
        form,
        title=f"Start work on {action.reference}",
        intro=f"Intended outcome: {action.intended_outcome}"
        if action.intended_outcome
        else "This action has no intended outcome yet: edit the action and write it first.",
    )


@login_required
def action_propose(request, pk: int):
    action = selectors.action_for(request.user, pk, V.PROPOSE_CLOSURE)
    form = ProposeClosureForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.action_propose_closure(
                actor=request.user,
                action=action,
                note=form.cleaned_data["note"],
                justification=form.cleaned_data["justification"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, action, f"Closure of {action.reference} proposed. Someone else will decide it.")
    problems = services.closure_problems(action) if action.status == S.IN_PROGRESS else {}
    return _page(
        request,
        action,
        form,
        title=f"Propose closure of {action.reference}",
        intro="Closure needs impact evidence dated since work started, and every measure met "
        "(or a written justification).",
        extra={"problems": problems, "page": selectors.action_page(action), "show_checklist": True},
    )


@login_required
def action_decide(request, pk: int):
    action = selectors.action_for(request.user, pk)
    policy.require(request.user, services.decide_verb(action), action)
    own = action.proposed_by_id == request.user.pk
    if request.method == "POST":
        services.check_decider(request.user, action)  # the service's rule and words
    form = ClosureDecisionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.action_decide_closure(actor=request.user, action=action, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if data["decision"] == services.APPROVE:
                return _done(request, action, f"{action.reference} is closed.")
            return _done(request, action, f"Closure refused: {action.reference} is back in progress.")
    return _page(
        request,
        action,
        None if own else form,
        title=f"Decide closure of {action.reference}",
        intro="You proposed this closure, so someone else must decide it." if own else "",
        extra={"page": selectors.action_page(action), "show_proposal": True},
    )


@login_required
def action_reopen(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    form = ReopenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.action_reopen(actor=request.user, action=action, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _done(request, action, f"{action.reference} is reopened and back in progress.")
    return _page(request, action, form, title=f"Reopen {action.reference}")
