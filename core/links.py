"""One URL pattern's address for many rows, at the cost of one ``reverse()``.

A list of a few dozen rows, each linking to its own page, spent more on ``reverse()`` (or a
``{% url %}`` per row) than on the rest of the row. :func:`url_for_each` reverses the pattern
once with a stand-in value and returns ``value -> URL``; the values put in are primary keys and
slugs, which need no quoting in a path.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import NoReverseMatch, reverse

# Stand-ins an ``<int:...>`` and a ``<slug:...>`` converter accept, tried in this order.
_STAND_INS = (987654321, "stand-in-for-a-slug")


def url_for_each(name: str, key: str = "pk", **kwargs) -> Callable[[object], str]:
    """``value -> reverse(name, kwargs={key: value, **kwargs})``, reversing once.

    Raises ``NoReverseMatch`` when no stand-in fits, as ``reverse`` would."""
    for stand_in in _STAND_INS:
        try:
            pattern = reverse(name, kwargs={**kwargs, key: stand_in})
        except NoReverseMatch:
            continue
        head, _, tail = pattern.rpartition(str(stand_in))
        return lambda value: f"{head}{value}{tail}"
    raise NoReverseMatch(f"No URL named {name!r} takes {key}={_STAND_INS}")
