"""Panels loaded after the page: the one way a page defers a heavy part of itself.

A page writes ``{% include "includes/lazy_panel.html" with url=... label=... %}`` where the part
would be: a skeleton the size of the part, which htmx swaps for the fragment when it scrolls into
view (``hx-trigger="revealed"``; ``trigger="load"`` for a part at the top). The fragment's view
answers with :func:`render_panel`: the bare fragment to htmx, and the fragment inside a whole page
to anything else, so the panel's link works without JavaScript and when the swap fails (app.js then
shows the link in place of the skeleton).

The fragment's view checks permissions exactly as the page does: it is a page of its own.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_panel(
    request: HttpRequest,
    template_name: str,
    context: dict,
    *,
    title: str,
    back_url: str = "",
    back_label: str = "",
) -> HttpResponse:
    """The fragment alone for htmx; the fragment in a page of its own (titled ``title``) otherwise."""
    if getattr(request, "htmx", False):
        return render(request, template_name, context)
    page = {**context, "panel_template": template_name, "panel_title": title}
    page.update(back_url=back_url, back_label=back_label or "Back")
    return render(request, "core/panel_page.html", page)
