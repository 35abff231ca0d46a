"""The code page after the password, the enrolment page, and the account page's buttons."""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from . import services, session
from .forms import CodeForm
from .policy import Step, is_enrolled, required_reason


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    hosts = {request.get_host()}
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, hosts, request.is_secure()):
        return target
    return "core:home"


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def _complete(request, device) -> None:
    """The code was right: the session is verified (a fresh session key), and this account's
    failed attempts from this address are cleared, as a password-only sign-in clears them."""
    otp_login(request, device)
    request.session.cycle_key()
    session.forget(request)
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, _credentials(request.user))


def _locked_out(request, user):
    """Signed out, with the same page and pause as too many wrong passwords."""
    credentials = _credentials(user)
    logout(request)
    request.axes_locked_out = True
    request.axes_credentials = credentials
    return get_lockout_response(request, credentials=credentials)


@login_required
def verify(request):
    """After the password: the code from the app, or a recovery code."""
    user = request.user
    if session.owed(request) != Step.VERIFY:
        return redirect(_next(request))
    if AxesProxyHandler.is_locked(request, _credentials(user)):
        return _locked_out(request, user)
    form = CodeForm(
        request.POST or None,
        button="Verify",
        help_text="The six digits your authenticator app shows now, or one of your recovery codes.",
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device = services.second_factor_verify(user=user, code=form.cleaned_data["code"])
            except services.CodeRefused as refused:
                form.add_error("code", refused.message)
                if not refused.wait:
                    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
                    if getattr(request, "axes_locked_out", False):
                        return _locked_out(request, user)
            else:
                _complete(request, device)
                if device.model_label() == "otp_static.staticdevice":
                    left = services.recovery_codes_left(user=user)
                    messages.warning(
                        request,
                        f"You used a recovery code; {left} left. Make new ones from your account page "
                        "if you are running out.",
                    )
                return redirect(_next(request))
    return render(request, "core/mfa/verify.html", {"form": form, "next": _next_field(request)}, status=status)


def _next_field(request) -> str:
    target = _next(request)
    return "" if target == "core:home" else target


def _qr_svg(device) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    # Our own markup from qrcode (no user input): drawn inline, so no image request and no CDN.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _secret(device) -> str:
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def enrol(request):
    """Set an authenticator app up: a QR code and the secret as text, then one code to prove it."""
    user = request.user
    if is_enrolled(user):
        messages.info(request, "Your authenticator app is already set up.")
        return redirect("core:account")
    device = services.enrolment_device(user=user)
    form = CodeForm(request.POST or None, button="Turn on", help_text="The six digits the app shows now.")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = services.enrolment_confirm(user=user, device=device, code=form.cleaned_data["code"])
            except (services.CodeRefused, ValidationError) as refused:
                form.add_error("code", getattr(refused, "message", None) or " ".join(refused.messages))
            else:
                _complete(request, device)
                return _show_codes(request, codes, enrolled=True)
    context = {
        "form": form,
        "qr": _qr_svg(device),
        "secret": _secret(device),
        "reason": required_reason(user),
        "next": _next_field(request),
    }
    return render(request, "core/mfa/enrol.html", context, status=status)


def _show_codes(request, codes: list[str], *, enrolled: bool):
    """The recovery codes, this once: they are not shown again (the page is never cached)."""
    context = {"codes": codes, "enrolled": enrolled, "next": _next(request)}
    return render(request, "core/mfa/recovery_codes.html", context)


@login_required
@require_POST
def recovery_codes(request):
    try:
        codes = services.recovery_codes_regenerate(user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:account")
    return _show_codes(request, codes, enrolled=False)


@login_required
@require_POST
def turn_off(request):
    try:
        services.second_factor_turn_off(user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your second factor is off. You sign in with your password alone.")
    return redirect("core:account")
