"""Links from core's provider page into governance, shown only to people who may follow them."""

from django import template

from ..views.dashboard import may_see_dashboard

register = template.Library()


@register.inclusion_tag("governance/dashboard/_provider_links.html", takes_context=True)
def provider_governance_links(context, provider):
    user = context["request"].user
    return {"provider": provider, "show_dashboard": may_see_dashboard(user, provider)}
