"""Pages for sharing a theme's learning with other services and answering shared learning."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

from core import permissions as policy
from core.forms import posted
from core.views import form_page, saved
from recovery.learning import selectors, services
from recovery.learning.forms import LearningShareForm, LearningShareResponseForm
from recovery.plan import selectors as plan_selectors
from recovery.plan.views import render_form, theme_crumbs

V = policy.Verb


@login_required
def learning_share(request, pk: int):
    learning = plan_selectors.learning_for(request.user, pk, V.EDIT_PLAN)
    theme = learning.theme
    form = LearningShareForm(posted(request), services=services.shareable_services(request.user, learning))

    def done(made):
        names = ", ".join(s.service.name for s in made)
        message = f"Learning shared with {names}." if made else "It was already shared with those services."
        return saved(request, message, theme)

    return form_page(
        request,
        form,
        save=lambda data: services.learning_share(
            actor=request.user, learning=learning, services=list(data["services"]), note=data["note"]
        ),
        success=done,
        render=lambda: render_form(
            request,
            title="Share this learning with other services",
            intro="Other services of the provider see it on their page and say whether it applies there.",
            form=form,
            cancel_url=theme.get_absolute_url(),
            crumbs=theme_crumbs(theme),
            extra={"learning": learning},
        ),
    )


@login_required
def learning_share_respond(request, pk: int):
    share = selectors.share_for(request.user, pk, V.EDIT_PLAN)
    service = share.service
    form = LearningShareResponseForm(posted(request))
    return form_page(
        request,
        form,
        save=lambda data: services.learning_share_respond(
            actor=request.user, share=share, applies=data["applies"], what_changed=data["what_changed"]
        ),
        success=lambda s: saved(request, f"Answer recorded: {s.outcome_label.lower()}.", service),
        render=lambda: render_form(
            request,
            title="Learning shared with us",
            intro=f"Shared by {share.shared_by} from {share.learning.service or share.learning.provider}"
            f" (theme: {share.learning.theme.title}). {share.note}",
            form=form,
            cancel_url=service.get_absolute_url(),
            crumbs=[(service.name, service.get_absolute_url())],
            extra={"learning": share.learning},
        ),
    )


def shared_with_us_panel(request, service) -> dict:
    """The service page's "Learning shared with us" panel."""
    shares = selectors.shared_with(request.user, service)
    return {"shares": shares, "can_answer": policy.can(request.user, V.EDIT_PLAN, service)}
