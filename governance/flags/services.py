"""Flag scans and flag handling: raising, refreshing, resolving and acknowledging flags.

The rules live in ``governance/flags/rules.py`` (``compute_flags``: what should be open, no
writes). A scan here reconciles that answer with the flags already open, in a few bulk
statements. So a scan costs the same number of queries for ten actions or two thousand, and
running it twice (or two at once) changes nothing: the database constraint
``one_open_flag_per_cause`` lets only one open flag exist per cause, new flags are inserted
with "ignore conflicts", and a flag whose cause has cleared is resolved (kept as history,
never deleted).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.models import AuditTemplate
from core import events, limits
from core import permissions as policy
from core.audit import log_bulk_update
from core.models import Provider, Service
from governance.flags.rules import Scope, _d, compute_flags
from governance.models import Flag, FlagTrigger

K = Flag.Kind

# Rows per write statement when flags are raised or resolved in bulk.
WRITE_BATCH = 1000

__all__ = [
    "ScanResult",
    "Scope",
    "compute_flags",
    "flag_acknowledge",
    "flags_reevaluate",
    "flags_scan_all",
    "flags_scan_provider",
    "trigger_create",
    "trigger_delete",
    "trigger_update",
]


@dataclass
class ScanResult:
    """What one scan did, per kind: flags raised, still open (seen again) and resolved."""

    provider_id: int
    raised: Counter = field(default_factory=Counter)
    still_open: Counter = field(default_factory=Counter)
    resolved: Counter = field(default_factory=Counter)

    def merge(self, other: ScanResult) -> None:
        self.raised.update(other.raised)
        self.still_open.update(other.still_open)
        self.resolved.update(other.resolved)

    def rows(self) -> list[tuple[str, int, int, int]]:
        """(kind label, raised, still open, resolved) for every kind, in the model's order."""
        return [(label, self.raised[k], self.still_open[k], self.resolved[k]) for k, label in K.choices]


def _key(flag: Flag) -> tuple[str, str, int, str]:
    return (flag.kind, flag.subject_type, flag.subject_id, flag.cause)


def _lock_provider(provider: Provider) -> None:
    """Serialise the flag writers of one provider (the scan and event re-evaluations).

    Each computes what should be open and then reconciles; taking the provider's row lock
    first means a re-evaluation that starts while a scan runs waits for it and then reads the
    data as committed, instead of reconciling against a picture the scan is about to change.
    (SQLite has one writer anyway and ignores it.)
    """
    Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk", flat=True).first()


def _reconcile(*, provider: Provider, wanted: dict, open_qs, now: datetime.datetime) -> ScanResult:
    """Make the open flags in ``open_qs`` agree with ``wanted``: raise, refresh, resolve."""
    result = ScanResult(provider_id=provider.pk)
    open_flags = {
        _key(f): f
        for f in open_qs.only(
            "id",
            "kind",
            "subject_type",
            "subject_id",
            "cause",
            "service_id",
            "subject_label",
            "subject_url",
            "detail",
            "assignee_id",
        )
    }
    new = [
        Flag(
            provider=provider,
            service_id=spec.service_id,
            kind=spec.kind,
            subject_type=spec.subject_type,
            subject_id=spec.subject_id,
            subject_label=spec.label,
            subject_url=spec.url,
            cause=spec.cause,
            detail=spec.detail,
            assignee_id=spec.assignee_id,
        )
        for key, spec in wanted.items()
        if key not in open_flags
    ]
    gone = [f for key, f in open_flags.items() if key not in wanted]
    changed = []
    for key, flag in open_flags.items():
        spec = wanted.get(key)
        if spec is None:
            continue
        result.still_open[flag.kind] += 1
        fresh = (spec.service_id, spec.label, spec.url, spec.detail, spec.assignee_id)
        if (flag.service_id, flag.subject_label, flag.subject_url, flag.detail, flag.assignee_id) != fresh:
            flag.service_id, flag.subject_label, flag.subject_url, flag.detail, flag.assignee_id = fresh
            changed.append(flag)

    if new:
        # A concurrent writer may have inserted the same flag a moment ago: the partial unique
        # constraint turns our copy into a no-op instead of an error. Django batches the rows
        # (by 1,000 here; SQLite allows fewer per statement), so writes grow with new flags only.
        Flag.objects.bulk_create(new, ignore_conflicts=True, batch_size=WRITE_BATCH)
        result.raised.update(f.kind for f in new)
    for start in range(0, len(gone), WRITE_BATCH):
        chunk = [f.pk for f in gone[start : start + WRITE_BATCH]]
        Flag.objects.filter(pk__in=chunk, resolved_at__isnull=True).update(resolved_at=now)
    # The bulk UPDATE bypasses save(): write the audit entries for the resolved flags ourselves.
    log_bulk_update(gone, {"resolved_at": (None, now)}, batch_size=WRITE_BATCH)
    result.resolved.update(f.kind for f in gone)
    if changed:
        fields = ["service", "subject_label", "subject_url", "detail", "assignee"]
        Flag.objects.bulk_update(changed, fields, batch_size=WRITE_BATCH)
    # Everything still open was confirmed (or raised) by this pass.
    open_qs.update(last_seen_at=now)
    return result


@transaction.atomic
def flags_scan_provider(*, provider: Provider, today: datetime.date | None = None) -> ScanResult:
    """Raise, refresh and resolve one provider's flags. Idempotent and safe to run concurrently."""
    _lock_provider(provider)
    now = timezone.now()
    today = today or timezone.localdate(now)
    wanted = compute_flags(provider, today, now)
    open_qs = Flag.objects.filter(provider=provider, resolved_at__isnull=True)
    return _reconcile(provider=provider, wanted=wanted, open_qs=open_qs, now=now)


@transaction.atomic
def flags_reevaluate(*, provider: Provider, scope: Scope | None, today: datetime.date | None = None) -> ScanResult:
    """Re-evaluate the flags of one part of a provider after an event (``scope``; None: all of it).

    The same rules as the scan over the scope's rows only, reconciled with the open flags at
    the scope's service (provider-wide flags for ``Scope(None)``); nothing else is read or
    touched. Idempotent: a repeat changes nothing, and concurrent runs cannot duplicate a flag.
    """
    if scope is None:
        return flags_scan_provider(provider=provider, today=today)
    _lock_provider(provider)
    now = timezone.now()
    today = today or timezone.localdate(now)
    wanted = compute_flags(provider, today, now, scope=scope)
    open_qs = Flag.objects.filter(provider=provider, service_id=scope.service_id, resolved_at__isnull=True)
    return _reconcile(provider=provider, wanted=wanted, open_qs=open_qs, now=now)


def flags_scan_all(*, today: datetime.date | None = None) -> ScanResult:
    """Scan every provider, each in its own transaction. Returns the combined counts."""
    total = ScanResult(provider_id=0)
    for provider in Provider.objects.order_by("pk"):
        total.merge(flags_scan_provider(provider=provider, today=today))
    return total


@transaction.atomic
def flag_acknowledge(*, actor, flag: Flag, note: str) -> Flag:
    """Record that ``actor`` has looked at an open flag, with a note of what they did or decided."""
    policy.require(actor, policy.Verb.HANDLE_FLAGS, flag)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write a note: what you looked at, and what you did or decided."})
    limits.check(Flag, acknowledgement_note=note, report_as={"acknowledgement_note": "note"})
    locked = Flag.objects.select_for_update().get(pk=flag.pk)
    if locked.resolved_at is not None:
        raise ValidationError("This flag has already been resolved; there is nothing to acknowledge.")
    if locked.acknowledged_at is not None:
        when = _d(timezone.localdate(locked.acknowledged_at))
        raise ValidationError(f"Already acknowledged by {locked.acknowledged_by} on {when}.")
    locked.acknowledged_by = actor
    locked.acknowledged_at = timezone.now()
    locked.acknowledgement_note = note
    locked.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_note"])
    return locked


# --- Triggers: rules written as data ------------------------------------------------------

T = FlagTrigger.Kind
TRIGGER_FIELDS = {
    T.MEASURE_THRESHOLD: ("name", "person", "what_to_do", "measure", "comparison", "threshold", "periods"),
    T.REPEATED_FINDING: ("name", "person", "what_to_do", "template", "criterion_key", "count", "weeks"),
}
MAX_PERIODS, MAX_COUNT, MAX_WEEKS = 52, 52, 104


def trigger_criteria(template: AuditTemplate | None) -> list[tuple[str, str]]:
    """(key, text) of the criteria of ``template``'s current version, for the form's choices."""
    version = template.current_version() if template is not None else None
    return [(c.key, c.text) for c in version.criteria.all()] if version else []


def _trigger_problems(trigger: FlagTrigger) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not (trigger.name or "").strip():
        problems["name"] = "Give the trigger a short name (it is shown on the flag)."
    if trigger.person_id is None:
        problems["person"] = "Choose who must act when it fires."
    elif not policy.can(trigger.person, policy.Verb.VIEW, trigger.service or trigger.provider):
        problems["person"] = "Choose someone with access to this service."
    if trigger.kind == T.MEASURE_THRESHOLD:
        m = trigger.measure
        if m is None:
            problems["measure"] = "Choose the measure."
        elif m.provider_id != trigger.provider_id or (trigger.service_id and m.service_id != trigger.service_id):
            problems["measure"] = "Choose a measure of this service."
        if trigger.comparison not in FlagTrigger.Comparison.values:
            problems["comparison"] = "Choose below or above."
        if trigger.threshold is None or not (-1e9 < trigger.threshold < 1e9):
            problems["threshold"] = "Enter the value it is compared with."
        if not trigger.periods or not 1 <= trigger.periods <= MAX_PERIODS:
            problems["periods"] = f"Enter a number of consecutive periods from 1 to {MAX_PERIODS}."
    else:
        t = trigger.template
        if t is None or t.provider_id != trigger.provider_id:
            problems["template"] = "Choose the audit."
        elif trigger.criterion_key not in {key for key, _text in trigger_criteria(t)}:
            problems["criterion_key"] = "Choose one of this audit's criteria."
        if trigger.service_id is None:
            problems["template"] = "A repeated finding is counted at one service."
        if not trigger.count or not 2 <= trigger.count <= MAX_COUNT:
            problems["count"] = f"Enter how many audits (2 to {MAX_COUNT})."
        if not trigger.weeks or not 1 <= trigger.weeks <= MAX_WEEKS:
            problems["weeks"] = f"Enter a number of weeks from 1 to {MAX_WEEKS}."
    problems.update(limits.problems(FlagTrigger, what_to_do=(trigger.what_to_do or "").strip()))
    return problems


def _trigger_save(trigger: FlagTrigger, fields: dict) -> FlagTrigger:
    for name in TRIGGER_FIELDS[trigger.kind]:
        if name in fields:
            setattr(trigger, name, fields[name])
    trigger.name = (trigger.name or "").strip()
    trigger.what_to_do = (trigger.what_to_do or "").strip()
    if trigger.kind == T.MEASURE_THRESHOLD and trigger.measure is not None:
        trigger.service_id = trigger.measure.service_id  # where the measure is, the trigger is
    problems = _trigger_problems(trigger)
    if problems:
        raise ValidationError(problems)
    trigger.full_clean(exclude=["created_by", "person", "measure", "template"])
    trigger.save()
    events.changed(trigger, reason="trigger")  # it may fire (or stop firing) at once
    return trigger


@transaction.atomic
def trigger_create(*, actor, provider: Provider, service: Service | None, kind: str, **fields) -> FlagTrigger:
    """A new trigger at ``service`` (audit-trailed). ``fields``: those of ``TRIGGER_FIELDS[kind]``."""
    policy.require(actor, policy.Verb.EDIT_PLAN, service or provider)
    if kind not in TRIGGER_FIELDS:
        raise ValidationError("Choose a measure threshold or a repeated finding.")
    if service is not None and service.provider_id != provider.pk:
        raise ValidationError("The service does not belong to this provider.")
    trigger = FlagTrigger(provider=provider, service=service, kind=kind, created_by=actor)
    return _trigger_save(trigger, fields)


@transaction.atomic
def trigger_update(*, actor, trigger: FlagTrigger, **fields) -> FlagTrigger:
    policy.require(actor, policy.Verb.EDIT_PLAN, trigger)
    fresh = FlagTrigger.objects.select_for_update().get(pk=trigger.pk)
    old_service = fresh.service_id
    saved = _trigger_save(fresh, fields)
    if saved.service_id != old_service:
        events.changed(fresh.service or fresh.provider, reason="trigger")
    return saved


@transaction.atomic
def trigger_delete(*, actor, trigger: FlagTrigger) -> None:
    """Remove a trigger (the trail keeps it); its open flag resolves at the re-evaluation."""
    policy.require(actor, policy.Verb.EDIT_PLAN, trigger)
    trigger.delete()
    events.changed(trigger, reason="trigger")  # the deleted row still says where it was
