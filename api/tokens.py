"""Making and checking token strings (no database here).

A token is ``rg_<prefix>_<secret>``: the prefix (8 hex characters) finds the row, the
secret (32 random bytes) proves it. Only ``sha256(token)`` is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "rg_"  # noqa: S105 (the marker every token starts with, not a secret)


def new_token() -> tuple[str, str]:
    """(prefix, token): a fresh random token and the prefix it is looked up by."""
    prefix = secrets.token_hex(4)
    return prefix, f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prefix_of(token: str) -> str | None:
    """The lookup prefix of a well-formed token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(prefix) != 8 or not secret:
        return None
    return prefix


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(token), stored_hash)
