"""Writes for the second factor. Each change is on the audit trail as a change of the user
(``second factor``: off -> on, on -> off, reset by an admin; ``recovery codes``: regenerated),
never with a key or a code in it."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import log_update

from .policy import is_enrolled, required_reason

APP_DEVICE_NAME = "Authenticator app"
CODES_DEVICE_NAME = "Recovery codes"
TOTP_DIGITS = 6  # django-otp's default, which enrolment keeps
_SEPARATORS = re.compile(r"[\s-]+")


class CodeRefused(Exception):
    """The code was wrong (``wait`` False) or the device asks for a pause first (``wait`` True)."""

    def __init__(self, message: str, *, wait: bool = False):
        super().__init__(message)
        self.message = message
        self.wait = wait


def enrolment_device(*, user) -> TOTPDevice:
    """The app being set up: one unconfirmed device per person, kept until confirmed so the
    QR code and secret stay the same if the page is drawn again."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def _new_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=CODES_DEVICE_NAME)
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def enrolment_confirm(*, user, device: TOTPDevice, code: str) -> list[str]:
    """Turn the app on once it gives a right code; returns the new recovery codes (shown once).

    The code is checked outside the transaction below, so a wrong code's back-off is kept."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("This set-up has expired: start again.")
    _check(device, normalise(code))
    return _enrolment_complete(user, device)


@transaction.atomic
def _enrolment_complete(user, device: TOTPDevice) -> list[str]:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = _new_codes(user)
    log_update(user, {"second factor": ("off", "on")}, actor=user)
    return codes


def _check(device, code: str) -> None:
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise CodeRefused("Too many wrong codes in a row: wait a few seconds, then try again.", wait=True)
    if verify_token(device.user, device.persistent_id, code) is None:
        raise CodeRefused("That code is not right. Check the app's current code and try again.")


def normalise(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def second_factor_verify(*, user, code: str):
    """The device that accepts ``code``: the app's six digits, or one recovery code (used up).

    Raises ``CodeRefused``; a wrong code also counts on the device's own back-off (written by
    django-otp in its own transaction, so not atomic here: raising must not undo it)."""
    code = normalise(code)
    if code.isdigit() and len(code) == TOTP_DIGITS:  # recovery codes are eight characters
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise CodeRefused("That code is not right. Check the app's current code and try again.")
    _check(device, code)
    return device


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """New recovery codes (the old ones stop working); shown once."""
    if not is_enrolled(user):
        raise ValidationError("Set up an authenticator app first.")
    codes = _new_codes(user)
    log_update(user, {"recovery codes": ("previous set", "regenerated")}, actor=user)
    return codes


def _remove_devices(user) -> int:
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        count, _ = model.objects.filter(user=user).delete()
        removed += count
    return removed


@transaction.atomic
def second_factor_turn_off(*, user) -> None:
    """The person turns their own second factor off, when nothing requires it."""
    reason = required_reason(user)
    if reason:
        raise ValidationError(f"You cannot turn the second factor off: {reason}.")
    if not is_enrolled(user):
        raise ValidationError("Your second factor is already off.")
    _remove_devices(user)
    log_update(user, {"second factor": ("on", "off")}, actor=user)


@transaction.atomic
def second_factor_reset(*, user, by) -> bool:
    """An administrator removes a person's app and recovery codes (a lost phone). Their next
    sign-in sets a new app up if they must use one. Returns False if there was nothing to reset."""
    if not _remove_devices(user):
        return False
    log_update(user, {"second factor": ("on", f"reset by {by.email}")}, actor=by)
    return True
