"""Links on a measure's page that upper layers add (their AppConfig.ready), e.g. "Add a trigger".

Recovery cannot import the apps above it, so a page of theirs about a measure is linked from
here through ``register_measure_link``: a label, the URL for a measure, and who sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureLink:
    order: int
    label: str
    url: Callable  # (measure) -> str
    visible: Callable  # (user, measure) -> bool


_LINKS: list[MeasureLink] = []


def register_measure_link(*, order: int, label: str, url: Callable, visible: Callable) -> None:
    if not any(link.label == label for link in _LINKS):
        _LINKS.append(MeasureLink(order, label, url, visible))
        _LINKS.sort(key=lambda link: link.order)


def measure_links(user, measure) -> list[dict]:
    """[{label, url}] of the links ``user`` may follow from ``measure``'s page."""
    return [{"label": link.label, "url": link.url(measure)} for link in _LINKS if link.visible(user, measure)]
