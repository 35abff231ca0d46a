"""Small template helpers for the recovery pages."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def maybe_url(name: str, *args, **kwargs) -> str:
    """The URL, or "" while the page it names does not exist yet (another app may add it)."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


# Each status chip's colours are the product's own (static/css/app.css, ``.status-*``), each at
# least 6:1 against its text, so no state of an action page fails WCAG 2.2 AA contrast
# (tests/test_contrast.py computes them from the stylesheet).
STATUS_STYLE = {
    "draft": "status-draft",
    "open": "status-open",
    "in_progress": "status-in_progress",
    "closure_proposed": "status-closure_proposed",
    "closed": "status-closed",
    "refused": "status-refused",
    "reopened": "status-reopened",
    "monitoring": "status-monitoring",
}


@register.simple_tag
def status_badge(obj) -> SafeString:
    """A status chip with its label in words (never colour alone). A simple tag rather than an
    inclusion tag: lists show one per row, and a template per chip cost more than the row."""
    return format_html(
        '<span class="badge {}">{}</span>', STATUS_STYLE.get(obj.status, "status-open"), obj.get_status_display()
    )


@register.simple_tag
def risk_badge(obj) -> SafeString:
    """The risk chip (a simple tag, as ``status_badge``)."""
    return format_html('<span class="badge risk-{}">{} risk</span>', obj.risk_level, obj.get_risk_level_display())


@register.filter
def evidence_type_label(code: str) -> str:
    from evidence.models import SourceType

    return SourceType(code).label if code in SourceType.values else code


TIMELINE_LABELS = {
    "baseline": "Concern",
    "step": "Step",
    "evidence": "Evidence",
    "point": "Data point",
    "transition": "Decision",
    "challenge": "Challenge",
    "review": "Review decision",
    "imported": "From the imported plan",
}


@register.filter
def timeline_label(kind: str) -> str:
    return TIMELINE_LABELS.get(kind, kind)


@register.simple_tag
def action_link(a) -> SafeString:
    """ "A-12 Title" linked to the action when the view set ``a.url``; a high-risk chip after it.

    A tag rather than an include: the dashboard lists up to a few hundred of these.
    """
    label = format_html("{} {}", a.reference, a.title)
    url = getattr(a, "url", "")
    html = format_html('<a href="{}">{}</a>', url, label) if url else label
    if a.is_high_risk:
        html = format_html('{} <span class="badge risk-high">High risk</span>', html)
    return html


DEADLINE_BADGES = {
    "overdue": ("text-bg-danger", "overdue"),
    "due_soon": ("text-bg-warning", "due soon"),
}


@register.simple_tag
def deadline_badge(action, today=None, deadline=None) -> SafeString:
    """The action's "overdue" / "due soon" chip, from ``RecoveryAction.deadline`` (the one rule).

    Pass ``deadline`` when a selector already worked it out for the row; otherwise ``today``.
    Templates never compare due dates themselves.
    """
    if deadline is None and today is not None:
        deadline = action.deadline(today)
    style = DEADLINE_BADGES.get(deadline or "")
    if style is None:
        return ""
    return format_html('<span class="badge {}">{}</span>', *style)
