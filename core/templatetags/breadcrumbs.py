"""Breadcrumbs: one partial (``includes/breadcrumbs.html``) fed by one block tag.

Usage, in a page's ``breadcrumbs`` block::

    {% load breadcrumbs %}
    {% block breadcrumbs %}{% breadcrumbs %}
      {% crumb provider.name provider.get_absolute_url %}
      {% if service %}{% crumb service.name service.get_absolute_url %}{% endif %}
      {% crumb "Flags" %}
    {% endbreadcrumbs %}{% endblock %}

- "Home" (``core:home``) always comes first; pages name only what follows it.
- ``{% crumb label url %}`` adds one (label, url) pair; ``url`` is optional.
- The last crumb is the current page: never a link, marked ``aria-current="page"``.
  An earlier crumb without a url is shown as plain text.
- A crumb whose label is empty (``None``, ``""``) is left out, so
  ``{% crumb service.name service.get_absolute_url %}`` is harmless when there is no service.
- Nothing else inside the block is output, so ``{% if %}``, ``{% for %}``, ``{% with %}`` and
  ``{% url ... as name %}`` can be used to work the crumbs out from the page's own context:
  no view has to build them (a view may still pass a list: ``{% for label, url in crumbs %}
  {% crumb label url %}{% endfor %}``).

The partial renders ``<nav aria-label="Breadcrumb"><ol class="breadcrumb">`` (Bootstrap's markup).
"""

from django import template
from django.urls import reverse

register = template.Library()

TEMPLATE = "includes/breadcrumbs.html"
_KEY = "_breadcrumbs_trail"


class BreadcrumbsNode(template.Node):
    def __init__(self, nodelist: template.NodeList):
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        trail: list[tuple[str, str | None]] = [("Home", reverse("core:home"))]
        with context.push(**{_KEY: trail}):
            self.nodelist.render(context)  # only {% crumb %} has an effect: it appends to the trail
        partial = context.template.engine.get_template(TEMPLATE)
        return partial.render(context.new({"crumbs": trail}))


@register.tag("breadcrumbs")
def do_breadcrumbs(parser, token):
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% breadcrumbs %} takes no arguments; add {% crumb %}s inside it.")
    nodelist = parser.parse(("endbreadcrumbs",))
    parser.delete_first_token()
    return BreadcrumbsNode(nodelist)


@register.simple_tag(takes_context=True)
def crumb(context: template.Context, label, url=None) -> str:
    """Add (label, url) to the enclosing ``{% breadcrumbs %}``; outputs nothing."""
    trail = context.get(_KEY)
    if trail is None:
        raise template.TemplateSyntaxError("{% crumb %} is only allowed inside {% breadcrumbs %}.")
    if label not in (None, ""):
        trail.append((label, url or None))
    return ""
