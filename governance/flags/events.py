"""Flags follow events: the listener behind ``core.events.changed``.

A service that changes something a flag may be about announces it inside its transaction.
Here that subject is turned into the part of its provider it can affect (a ``Scope``: its
service, or the provider-wide rows) and, once the transaction commits, one Celery task per
scope re-evaluates that part's flags (``flags_reevaluate``). Several announcements of one
scope in a transaction send one task. Nothing is sent for a rolled-back change.

Why the service and not the subject alone: the rules read across a service (an audit due at
the service, a review of it, a measure's theme under watch), and one service's data is a
twentieth of a large provider's, so the task is cheap; the daily scan stays the safety net.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, transaction
from kombu.exceptions import KombuError

from audits.models import AuditTemplate
from core import events
from core.models import Provider, Service
from evidence.models import EvidenceItem
from recovery.models import RecoveryAction

logger = logging.getLogger(__name__)

# A scope as a task argument: (provider id, service id or None, whole provider?)
ScopeKey = tuple[int, int | None, bool]

_PENDING_ATTR = "_flag_events_pending"


def _owner(subject):
    """The row that carries the provider and service for ``subject`` (itself, or its parent)."""
    seen = 0
    while subject is not None and seen < 4:
        if hasattr(subject, "provider_id") and not _is_template(subject):
            return subject
        for parent in ("measure", "action", "review", "audit", "theme", "item", "agenda_item", "challenge"):
            if hasattr(subject, f"{parent}_id") and getattr(subject, f"{parent}_id", None):
                subject = getattr(subject, parent)
                break
        else:
            return None
        seen += 1
    return None


def _is_template(subject) -> bool:
    # An audit template belongs to the provider but is due at any of its services.
    return isinstance(subject, AuditTemplate)


def scopes_for(subject) -> set[ScopeKey]:
    """The scopes whose flags ``subject`` can change (empty if it is not a provider's row)."""
    if isinstance(subject, Provider):
        return {(subject.pk, None, True)}
    if isinstance(subject, Service):
        return {(subject.provider_id, subject.pk, False)}
    if _is_template(subject):
        return {(subject.provider_id, None, True)}
    owner = _owner(subject)
    if owner is None or not owner.provider_id:
        return set()
    keys = {(owner.provider_id, getattr(owner, "service_id", None), False)}
    if isinstance(owner, EvidenceItem) and owner.pk:
        # Provider-wide evidence can support actions at any service: re-evaluate where it is linked.
        linked = RecoveryAction.objects.filter(evidence=owner).values_list("service_id", flat=True).distinct()
        keys |= {(owner.provider_id, service_id, False) for service_id in linked}
    return keys


# What a broker that is down or unreachable raises on publish (kombu wraps redis' errors).
BROKER_ERRORS = (KombuError, OSError)


def _send(key: ScopeKey) -> None:
    """Publish the re-evaluation: no retry, no result (a web request answers at once, as packs do).

    The change is committed whatever happens here; if the job cannot be sent (or, run eagerly
    without a broker, fails) the flags catch up at the next event or the daily scan.
    """
    from governance.flags.tasks import reevaluate_flags

    try:
        reevaluate_flags.apply_async(key, retry=False, ignore_result=True)
    except BROKER_ERRORS as exc:
        logger.warning("Flag re-evaluation for %s not sent (broker unavailable): %s", key, exc)
    except Exception:  # run eagerly in this process: a bug, but the saved change stands
        logger.exception("Flag re-evaluation for %s failed", key)


def _pending(using: str) -> dict:
    conn = transaction.get_connection(using)
    pending = getattr(conn, _PENDING_ATTR, None)
    if pending is None:
        pending = {}
        setattr(conn, _PENDING_ATTR, pending)
    return pending


def forget_pending(using: str = DEFAULT_DB_ALIAS) -> None:
    """Forget the callbacks waiting in the current transaction (tests: a transaction that never commits)."""
    _pending(using).clear()


def schedule(key: ScopeKey, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Send the re-evaluation of ``key`` after the current transaction commits, once.

    The debounce keeps, per connection, the callback registered for each scope; a scope whose
    callback is still waiting in ``run_on_commit`` is not registered again. A rollback (of the
    transaction or of the savepoint the callback was registered in) drops the callback, so the
    next announcement registers a fresh one.
    """
    conn = transaction.get_connection(using)
    if not conn.in_atomic_block:
        _send(key)
        return
    pending = _pending(using)
    waiting = pending.get(key)
    if waiting is not None and any(entry[1] is waiting for entry in conn.run_on_commit):
        return

    def callback() -> None:
        if pending.get(key) is callback:
            del pending[key]
        _send(key)

    pending[key] = callback
    transaction.on_commit(callback, using=using)


def on_changed(subject, *, reason: str) -> None:
    """The listener registered with ``core.events.listen`` (GovernanceConfig.ready)."""
    for key in scopes_for(subject):
        schedule(key)


def register() -> None:
    events.listen(on_changed)
