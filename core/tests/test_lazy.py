"""core/lazy.py: a deferred panel is its bare fragment to htmx and a page of its own otherwise."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from core.lazy import render_panel

FRAGMENT = "includes/lazy_panel.html"  # any fragment will do; this one needs only url and label
CONTEXT = {"url": "/somewhere/", "label": "the actions of this theme"}


def _request(**headers):
    request = RequestFactory().get("/panel/", headers=headers)
    request.user = AnonymousUser()
    request.htmx = bool(headers.get("HX-Request"))
    return request


def test_htmx_gets_the_bare_fragment():
    html = render_panel(_request(**{"HX-Request": "true"}), FRAGMENT, CONTEXT, title="Actions").content.decode()
    assert "<html" not in html
    assert 'hx-get="/somewhere/"' in html


def test_anything_else_gets_the_fragment_in_a_page_with_its_title_and_way_back():
    response = render_panel(
        _request(), FRAGMENT, CONTEXT, title="Actions of a theme", back_url="/map/", back_label="Back to the map"
    )
    html = response.content.decode()
    assert "<html" in html
    assert '<h1 class="h3">Actions of a theme</h1>' in html
    assert 'href="/map/">Back to the map</a>' in html
    assert 'hx-get="/somewhere/"' in html


def test_the_skeleton_says_what_is_loading_and_keeps_a_link_for_when_loading_fails():
    html = render_panel(_request(**{"HX-Request": "true"}), FRAGMENT, CONTEXT, title="x").content.decode()
    assert 'aria-busy="true"' in html
    assert "Loading the actions of this theme" in html
    assert "The actions of this theme could not be loaded" in html
    assert '<noscript><a href="/somewhere/">Show the actions of this theme</a></noscript>' in html
