"""core/links.py: one reverse() gives every row's address, the same as reversing each."""

import pytest
from django.urls import NoReverseMatch, reverse

from core.links import url_for_each


def test_a_pk_pattern_gives_what_reverse_gives_for_each_pk():
    detail = url_for_each("evidence:detail")
    for pk in (1, 7, 987654321, 12345678901):
        assert detail(pk) == reverse("evidence:detail", kwargs={"pk": pk})


def test_a_slug_pattern_and_fixed_arguments():
    page = url_for_each("core:service_detail", "service")
    assert page("oak-house") == reverse("core:service_detail", kwargs={"service": "oak-house"})
    rows = url_for_each("recovery:map_theme_rows", "theme", service="oak-house")
    assert rows(42) == reverse("recovery:map_theme_rows", kwargs={"service": "oak-house", "theme": 42})


def test_a_missing_route_says_so_as_reverse_does():
    with pytest.raises(NoReverseMatch):
        url_for_each("core:no_such_page")
