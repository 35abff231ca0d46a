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
