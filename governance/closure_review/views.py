"""The closure-review screen: one proposal after another, with the evidence laid out for a decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.access import AccessKind, records_access
from core.views import form_page
from governance.closure_review import services as services
from governance.reviews import selectors as selectors
from governance.reviews.forms import EvidenceRequestForm
from recovery.closure.forms import ClosureDecisionForm
from recovery.closure.services import APPROVE, action_decide_closure, check_decider
from recovery.models import RecoveryAction
from recovery.plan.selectors import action_for


@login_required
def closure_queue(request):
    page, ids = selectors.closure_queue_page(request.user, request.GET.get("page"))
    for a in page.object_list:
        a.review_url = reverse("governance:closure_review", kwargs={"pk": a.pk})
    return render(
        request,
        "governance/closure/queue.html",
        {"page": page, "total": len(ids), "oldest_pk": ids[0] if ids else None, "query": ""},
    )


def _decidable(request, pk: int) -> RecoveryAction | None:
    """The proposal if this user may decide it; None if it has already been decided."""
    action = action_for(request.user, pk)
    if action.status != RecoveryAction.Status.CLOSURE_PROPOSED:
        return None
    check_decider(request.user, action)  # the closure service's rule and words
    return action


def _gone(request):
    messages.info(request, "That proposal has already been decided.")
    return redirect("governance:closure_queue")


def _render(request, action, *, decision_form=None, evidence_form=None, status=200):
    queue = selectors.closure_queue_ids(request.user)
    position, previous_pk, next_pk = selectors.queue_position(queue, action.pk)
    context = {
        "action": action,
        "proposal": selectors.proposal_for(action),
        "position": position,
        "total": len(queue),
        "previous_pk": previous_pk,
        "next_pk": next_pk,
        "decision_form": decision_form or ClosureDecisionForm(),
        "evidence_form": evidence_form or EvidenceRequestForm(),
    }
    return render(request, "governance/closure/review.html", context, status=status)


@login_required
@records_access(AccessKind.PAGE, label="Closure review")
def closure_review(request, pk: int):
    action = _decidable(request, pk)
    if action is None:
        return _gone(request)
    return _render(request, action)


def _go_on(request, pk: int, queue_ids: list[int]):
    remaining = set(selectors.closure_queue_ids(request.user))
    following = selectors.next_after(queue_ids, pk, remaining)
    if following is None:
        messages.info(request, "No other proposals are waiting for you.")
        return redirect("governance:closure_queue")
    return redirect(reverse("governance:closure_review", kwargs={"pk": following}))


def _on_proposal(request, pk: int, form_name: str, form_class, record, done):
    """What the reviewer does to the proposal in front of them: ``record`` it, say
    ``done(action, data)`` and go on to the next proposal; or this one again, with the errors."""
    action = _decidable(request, pk)
    if action is None:
        return _gone(request)
    queue_ids = selectors.closure_queue_ids(request.user)
    form = form_class(request.POST)

    def recorded(_):
        messages.success(request, done(action, form.cleaned_data))
        return _go_on(request, pk, queue_ids)

    return form_page(
        request,
        form,
        save=lambda data: record(actor=request.user, action=action, **data),
        success=recorded,
        render=lambda: _render(request, action, **{form_name: form}),
    )


def _decided(action, data) -> str:
    verb = "approved" if data["decision"] == APPROVE else "refused"
    return f"Closure of {action.reference} {action.title} {verb}."


def _requested(action, data) -> str:
    return f"Your request for further evidence on {action.reference} is recorded; it stays in the queue."


@login_required
@require_POST
def closure_decide(request, pk: int):
    return _on_proposal(request, pk, "decision_form", ClosureDecisionForm, action_decide_closure, _decided)


@login_required
@require_POST
def closure_request_evidence(request, pk: int):
    return _on_proposal(
        request, pk, "evidence_form", EvidenceRequestForm, services.closure_request_evidence, _requested
    )
