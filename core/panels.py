"""Service-page panels contributed by higher layers.

The base app owns the service page but must not import the apps above it; each of those
registers a panel in its AppConfig.ready, and the page renders them in order. A read that
several panels show (the recovery dashboard) is declared with :func:`reads`, built once by
:func:`service_panels` and passed to each of those panels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    order: int
    template: str
    context: Callable[..., dict]  # (request, service, **reads) -> template context
    reads: dict[str, Callable[[Any, Any], Any]]  # keyword -> (request, service) -> value


_PANELS: list[Panel] = []


def reads(**builders: Callable[[Any, Any], Any]) -> Callable:
    """Declare the shared reads a panel's context function takes, as keyword arguments.

    ``@reads(dashboard=service_dashboard_for_page)`` above ``def panel(request, service, *,
    dashboard)``: the service page calls each distinct builder ``(request, service)`` once,
    before any panel, and passes the result to every panel that names that builder. Panels
    from different apps share one read this way, with no per-request cache behind it.
    """

    def declare(context: Callable) -> Callable:
        context.panel_reads = builders
        return context

    return declare


def register_service_panel(*, order: int, template: str, context: Callable[..., dict]) -> None:
    if any(p.template == template for p in _PANELS):
        return
    _PANELS.append(Panel(order, template, context, dict(getattr(context, "panel_reads", {}))))
    _PANELS.sort(key=lambda p: p.order)


# The service page shows the panels ordered before the first fold itself (the flags and the
# recovery dashboard). Each later part, the panels from one fold to the next, is a fragment of
# its own loaded when it scrolls into view (core/lazy.py), so it costs a request only when
# someone scrolls to it: (order where the part starts, what it holds, for the placeholder).
FOLDS = (
    (20, "themes"),
    (25, "shared learning, audits, evidence, reviews and packs"),
)


def part_of(panel: Panel) -> int:
    """0 for a panel above the fold, else the number of the fold it comes after (1, 2, ...)."""
    return sum(panel.order >= start for start, _ in FOLDS)


def service_panels(request, service, *, part: int | None = None) -> list[tuple[str, dict]]:
    """Each panel's template and context: the shared reads are built first, once each.

    ``part``: only the panels of that part of the page (0: above the fold; see ``FOLDS``), and
    only the reads they name; None for every panel.
    """
    panels = [p for p in _PANELS if part is None or part_of(p) == part]
    builders = list(dict.fromkeys(build for p in panels for build in p.reads.values()))
    built = {build: build(request, service) for build in builders}
    return [
        (p.template, p.context(request, service, **{name: built[build] for name, build in p.reads.items()}))
        for p in panels
    ]


def parts_below_fold() -> list[tuple[int, str]]:
    """(part, label) of each part below the fold that has a panel, in page order."""
    used = {part_of(p) for p in _PANELS}
    return [(n, label) for n, (_, label) in enumerate(FOLDS, start=1) if n in used]


@dataclass(frozen=True)
class Link:
    order: int
    label: str
    url_name: str
    visible: Callable[..., bool] | None  # (user, [provider]) -> bool; None: everyone signed in


_PROVIDER_LINKS: list[Link] = []
_NAV_LINKS: list[Link] = []
_ACCOUNT_LINKS: list[Link] = []


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


def register_account_link(*, order: int, label: str, url_name: str, visible=None) -> None:
    """A link on the account page (e.g. the API tokens page); ``url_name`` takes no arguments."""
    _add(_ACCOUNT_LINKS, Link(order, label, url_name, visible))


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


def account_links(user) -> list[tuple[str, str]]:
    from django.urls import reverse

    return [
        (link.label, reverse(link.url_name)) for link in _ACCOUNT_LINKS if link.visible is None or link.visible(user)
    ]
