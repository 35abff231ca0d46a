"""Writes of the API app: tokens, and data points sent by other systems.

Data points go through ``recovery.measures.services.point_record``, the service the web form
uses, so validation, the stored summary and the audit trail are the same. What the API adds is
what a machine client needs: one value per (measure, period) answered idempotently, and an
``Idempotency-Key`` replay (``api/idempotency.py``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api import tokens
from api.models import ApiToken
from recovery.measures import services as measure_services
from recovery.models import DataPoint, OutcomeMeasure, PointCorrection

# --- Tokens -------------------------------------------------------------------------------


@transaction.atomic
def token_create(*, user, name: str, scope: str, actor=None) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the token string (shown once, never stored)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Name the token after what will use it, e.g. the rota system."
    if scope not in ApiToken.Scope.values:
        errors["scope"] = "Choose read only, or read and record data points."
    if not user.is_active:
        errors["user"] = f"{user.email} cannot sign in, so a token for them would not work."
    if errors:
        raise ValidationError(errors)
    prefix, token = tokens.new_token()
    with set_actor(actor):
        row = ApiToken.objects.create(
            user=user, name=name[:100], scope=scope, prefix=prefix, secret_hash=tokens.digest(token), created_by=actor
        )
    return row, token


@transaction.atomic
def token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token at once (the row stays, with when it was revoked)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        with set_actor(actor):
            token.save(update_fields=["revoked_at"])
    return token


# --- Data points -------------------------------------------------------------------------


class Conflict(Exception):
    """The period already has a different value (answered 409)."""

    def __init__(self, message: str, point: DataPoint) -> None:
        super().__init__(message)
        self.message = message
        self.point = point


@dataclass
class Recorded:
    point: DataPoint
    created: bool  # False: the identical point was already there (answered 200, nothing written)


def _same(point: DataPoint, *, numerator, denominator, plotted: float) -> bool:
    def eq(a, b) -> bool:
        return (a is None and b is None) or (a is not None and b is not None and float(a) == float(b))

    return eq(point.numerator, numerator) and eq(point.denominator, denominator) and eq(point.value, plotted)


def _conflict(period_date: datetime.date, existing: DataPoint) -> Conflict:
    source = " (from an audit)" if existing.source == DataPoint.Source.AUDIT else ""
    return Conflict(
        f"The period ending {period_date.isoformat()} already has a value{source}: {existing.value:g}. "
        "One value is kept per period; correct it on the measure's page instead of sending a new one.",
        existing,
    )


@transaction.atomic
def points_put(
    *, actor, items: list[tuple[OutcomeMeasure, dict]], remote_addr: str | None = None
) -> list[Recorded | Conflict | ValidationError]:
    """Record each (measure, fields) period's value, idempotently; one outcome per item, in order.

    The measures' rows are locked first, so two clients sending the same period at once are
    served one after the other. Each value is checked by the web form's rules
    (``validate_point``); a period that already has the same value gives back that point
    (nothing is written); a different value is a ``Conflict`` (correct it on the measure page,
    where the audit trail keeps the old value); anything else is written by ``point_record``,
    the web form's service. Each measure's stored summary is refreshed once, at the end.
    A caller wanting all or nothing rolls back when any outcome is not ``Recorded``.
    """
    measure_ids = sorted({m.pk for m, _ in items})
    list(OutcomeMeasure.objects.select_for_update(no_key=True).filter(pk__in=measure_ids).values_list("pk"))
    dates = {fields.get("period_date") for _, fields in items} - {None}
    existing: dict[tuple[int, datetime.date], DataPoint] = {}
    for point in DataPoint.objects.filter(measure_id__in=measure_ids, period_date__in=dates).order_by("-pk"):
        existing[(point.measure_id, point.period_date)] = point  # the oldest wins if there are several
    outcomes: list[Recorded | Conflict | ValidationError] = []
    written: dict[int, OutcomeMeasure] = {}
    with set_actor(actor, remote_addr=remote_addr):
        for measure, fields in items:
            period_date = fields.get("period_date")
            numbers = {name: fields.get(name) for name in ("numerator", "denominator", "value")}
            try:
                plotted = measure_services.validate_point(measure, period_date=period_date, **numbers)
            except ValidationError as exc:
                outcomes.append(exc)
                continue
            there = existing.get((measure.pk, period_date))
            if there is not None:
                same = _same(there, numerator=numbers["numerator"], denominator=numbers["denominator"], plotted=plotted)
                outcomes.append(Recorded(there, created=False) if same else _conflict(period_date, there))
                continue
            try:
                point = measure_services.point_record(
                    actor=actor,
                    measure=measure,
                    period_date=period_date,
                    note=fields.get("note", ""),
                    refresh_summary=False,
                    **numbers,
                )
            except ValidationError as exc:  # a rule of the service the checks above do not know
                outcomes.append(exc)
                continue
            existing[(measure.pk, period_date)] = point
            written[measure.pk] = measure
            outcomes.append(Recorded(point, created=True))
        for measure in written.values():
            measure_services.measure_refresh_summary(measure)
    return outcomes


def point_put(*, actor, measure: OutcomeMeasure, remote_addr: str | None = None, **fields) -> Recorded:
    """One period's value (see ``points_put``): the point, or raises ``Conflict`` / ``ValidationError``."""
    (outcome,) = points_put(actor=actor, items=[(measure, fields)], remote_addr=remote_addr)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@transaction.atomic
def point_correct(*, actor, point: DataPoint, remote_addr: str | None = None, **fields) -> DataPoint:
    """Correct a recorded value through the measure page's service (a reason is required)."""
    with set_actor(actor, remote_addr=remote_addr):
        return measure_services.point_correct(actor=actor, point=point, via=PointCorrection.Via.API, **fields)
