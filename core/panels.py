"""Service-page panels contributed by higher layers.

The base app owns the service page but must not import the apps above it; each of those
registers a panel in its AppConfig.ready, and the page renders them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    order: int
    template: str
    context: Callable[[Any, Any], dict]  # (request, service) -> template context


_PANELS: list[Panel] = []


def register_service_panel(*, order: int, template: str, context: Callable[[Any, Any], dict]) -> None:
    if any(p.template == template for p in _PANELS):
        return
    _PANELS.append(Panel(order, template, context))
    _PANELS.sort(key=lambda p: p.order)


def service_panels(request, service) -> list[tuple[str, dict]]:
    return [(p.template, p.context(request, service)) for p in _PANELS]


@dataclass(frozen=True)
class Link:
    order: int
    label: str
    url_name: str
    visible: Callable[..., bool] | None  # (user, [provider]) -> bool; None: everyone signed in


_PROVIDER_LINKS: list[Link] = []
_NAV_LINKS: list[Link] = []


def _add(links: list[Link], link: Link) -> None:
    if any(existing.url_name == link.url_name for existing in links):
        return
    links.append(link)
    links.sort(key=lambda item: item.order)


def register_provider_link(*, order: int, label: str, url_name: str, visible=None) -> None:
    """A link on the provider page; ``url_name`` takes the provider slug as ``provider``."""
    _add(_PROVIDER_LINKS, Link(order, label, url_name, visible))


def register_nav_link(*, order: int, label: str, url_name: str, visible=None) -> None:
    """A link in the main navigation; ``url_name`` takes no arguments."""
    _add(_NAV_LINKS, Link(order, label, url_name, visible))


def provider_links(user, provider) -> list[tuple[str, str]]:
    from django.urls import reverse

    return [
        (link.label, reverse(link.url_name, kwargs={"provider": provider.slug}))
        for link in _PROVIDER_LINKS
        if link.visible is None or link.visible(user, provider)
    ]


def nav_links(user) -> list[tuple[str, str]]:
    from django.urls import reverse

    return [(link.label, reverse(link.url_name)) for link in _NAV_LINKS if link.visible is None or link.visible(user)]
