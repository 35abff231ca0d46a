"""The authorisation matrix's vocabulary. Each app lists its URLs in ``<app>/tests/matrix.py``.

A row says which personas may use a URL on an object of their own service or provider.
The test then checks every persona against the object where it lives:
- at the personas' own service: allowed -> success (< 400); other personas -> 403;
- at a sibling service of the same provider: service-level personas -> 404 (they have no
  role there), provider-level personas as above;
- at another provider's service: every Oakfield persona -> 404; the outsider -> 404 on ours;
- signed out: a redirect to sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL = frozenset({"rm", "deputy", "lead", "owner", "quality", "ni", "board", "viewer"})


def but(*names: str) -> frozenset[str]:
    return ALL - set(names)


def only(*names: str) -> frozenset[str]:
    return frozenset(names)


@dataclass(frozen=True)
class Row:
    name: str
    allowed: frozenset[str] = ALL
    # (world, service) -> URL kwargs for an object living at that service (or its provider)
    kwargs: Callable[[Any, Any], dict] = field(default=lambda w, s: {})
    method: str = "get"
    data: Callable[[Any, Any], dict] | None = None
    # "service": the object belongs to a service; "provider": to the provider as a whole;
    # "global": not tied to one object (home page, account; if roles are named, others get 403);
    # "public": no sign-in needed.
    scope: str = "service"
    headers: dict = field(default_factory=dict)


def post(name: str, allowed: frozenset[str], kwargs: Callable[[Any, Any], dict], data, **options) -> Row:
    """A POST row. ``data``: the form data, fixed (a dict) or made from (world, service)."""
    return Row(name, allowed, kwargs, method="post", data=data if callable(data) else (lambda w, s: data), **options)
