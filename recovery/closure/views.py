"""The closure workflow's pages: one form per transition, each calling its one service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

from core import permissions as policy
from core.forms import posted
from core.views import form_page, saved
from recovery.closure import conditions
from recovery.closure import services as services
from recovery.closure.forms import ClosureDecisionForm, ConfirmForm, ProposeClosureForm, ReopenForm
from recovery.models import RecoveryAction
from recovery.plan import selectors as selectors
from recovery.plan.forms import ClosureConditionsForm
from recovery.plan.views import page_for

V = policy.Verb
S = RecoveryAction.Status


def _transition(request, action, form, save, *, done, title: str, intro: str = "", extra=dict, show_form=True):
    """One move of the action: on success say ``done`` (words, or a function of the form's
    data) and go back to the action; else the form page again (without the form when
    ``show_form`` is false). ``extra()``: more for the page."""
    return form_page(
        request,
        form,
        save=save,
        success=lambda _: saved(request, done(form.cleaned_data) if callable(done) else done, action),
        render=lambda: page_for(
            request,
            action,
            form if show_form else None,
            title=title,
            intro=intro,
            extra={"action": action, **extra()},
        ),
    )


@login_required
def action_open(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    return _transition(
        request,
        action,
        ConfirmForm(posted(request), submit="Open action"),
        lambda _: services.action_open(actor=request.user, action=action),
        done=f"{action.reference} is open.",
        title=f"Open {action.reference}",
        intro="Opening puts the action on the recovery plan. Work starts once its intended outcome is agreed.",
    )


@login_required
def action_start(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    if action.intended_outcome:
        intro = f"Intended outcome: {action.intended_outcome}"
    else:
        intro = "This action has no intended outcome yet: edit the action and write it first."
    return _transition(
        request,
        action,
        ConfirmForm(posted(request), submit="Start work"),
        lambda _: services.action_start(actor=request.user, action=action),
        done=f"Work on {action.reference} has started.",
        title=f"Start work on {action.reference}",
        intro=intro,
    )


@login_required
def action_propose(request, pk: int):
    action = selectors.action_for(request.user, pk, V.PROPOSE_CLOSURE)
    return _transition(
        request,
        action,
        ProposeClosureForm(posted(request)),
        lambda data: services.action_propose_closure(
            actor=request.user, action=action, note=data["note"], justification=data["justification"]
        ),
        done=f"Closure of {action.reference} proposed. Someone else will decide it.",
        title=f"Propose closure of {action.reference}",
        intro="Closure needs impact evidence dated since work started and every closure condition met; "
        "with a condition unmet, write a justification: the decider sees it beside the conditions.",
        extra=lambda: _proposal_extra(action),
    )


def _proposal_extra(action):
    page = selectors.action_page(action)
    problems = services.closure_problems(action, checklist=page.checklist) if action.status == S.IN_PROGRESS else {}
    problems.pop("justification", None)  # the checklist itself shows what is unmet
    return {"problems": problems, "page": page, "show_checklist": True}


@login_required
def action_conditions(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    measures = list(action.measures.order_by("pk"))
    wanted = conditions.effective_conditions(action, measures)
    form = ClosureConditionsForm(
        posted(request),
        action=action,
        measures=measures,
        periods=wanted["periods"],
        initial={"steps": wanted["steps"], "evidence_required": wanted["evidence"]},
    )
    return form_page(
        request,
        form,
        save=lambda data: services.action_set_closure_conditions(
            actor=request.user,
            action=action,
            steps=data["steps"],
            periods=form.periods(),
            evidence_required=data["evidence_required"],
            reason=data.get("reason", ""),
        ),
        success=lambda _: saved(request, f"Closure conditions of {action.reference} saved.", action),
        render=lambda: page_for(
            request,
            action,
            form,
            title=f"Closure conditions of {action.reference}",
            intro="What must be true before this action can close. "
            + (
                "Work has started: a change needs a reason, and the decider will see it."
                if action.started_on
                else "Set them before work starts; they are fixed when it does."
            )
            + (
                " As a high-risk action, its closure also needs the nominated individual."
                if action.is_high_risk
                else ""
            ),
        ),
    )


@login_required
def action_decide(request, pk: int):
    action = selectors.action_for(request.user, pk)
    policy.require(request.user, services.decide_verb(action), action)
    own = action.proposed_by_id == request.user.pk
    if request.method == "POST":
        services.check_decider(request.user, action)  # the service's rule and words
    form = ClosureDecisionForm(posted(request))
    return _transition(
        request,
        action,
        form,
        lambda data: services.action_decide_closure(actor=request.user, action=action, **data),
        done=lambda data: (
            f"{action.reference} is closed."
            if data["decision"] == services.APPROVE
            else f"Closure refused: {action.reference} is back in progress."
        ),
        title=f"Decide closure of {action.reference}",
        intro="You proposed this closure, so someone else must decide it." if own else "",
        extra=lambda: {"page": selectors.action_page(action), "show_proposal": True},
        show_form=not own,
    )


@login_required
def action_reopen(request, pk: int):
    action = selectors.action_for(request.user, pk, V.EDIT_PLAN)
    return _transition(
        request,
        action,
        ReopenForm(posted(request)),
        lambda data: services.action_reopen(actor=request.user, action=action, reason=data["reason"]),
        done=f"{action.reference} is reopened and back in progress.",
        title=f"Reopen {action.reference}",
    )
