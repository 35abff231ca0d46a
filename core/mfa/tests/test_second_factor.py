"""The second factor, as the people who use it meet it: who must set it up, the code after the
password, recovery codes, lockout after wrong codes, turning it off and an admin's reset.

Test settings require it of nobody; each test here says who must (``require``)."""

from __future__ import annotations

import re

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from core.mfa import services
from core.mfa.middleware import SecondFactorMiddleware
from core.tests.factories import UserFactory
from core.tests.test_rendered_pages import PageParser, _header_problems

HOME = reverse("core:home")
ENROL = reverse("core:mfa_enrol")
VERIFY = reverse("core:mfa_verify")
ACCOUNT = reverse("core:account")


@pytest.fixture
def require(settings):
    """``require("nominated_individual", ...)``: those roles must use a second factor."""
    # The devices' own back-off is tested on its own (test_the_device_backs_off_after_a_wrong_code).
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0

    def _require(*roles):
        settings.MFA_REQUIRED_ROLES = list(roles)

    return _require


def sign_in(client, user, password=PASSWORD):
    return client.post(reverse("login"), {"username": user.email, "password": password})


def code_for(device: TOTPDevice, *, ahead: int = 0) -> str:
    """The app's code now (``ahead`` steps later: a code not used yet, as the next sign-in has)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, digits=device.digits, drift=device.drift + ahead):06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = services.enrolment_device(user=user)
    codes = services.enrolment_confirm(user=user, device=device, code=code_for(device))
    device.refresh_from_db()
    return device, codes


def test_a_role_that_requires_it_must_set_it_up_before_any_other_page(world, client, require):
    require("nominated_individual")
    response = sign_in(client, world.ni)
    assert response.status_code == 302
    for url in (HOME, ACCOUNT, reverse("core:service_detail", kwargs={"service": world.service.slug}), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(ENROL), url
    page = client.get(ENROL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "your role as nominated individual requires it" in html
    assert "<svg" in html and "data-secret" in html


def test_a_role_not_named_signs_in_with_the_password_alone(world, client, require):
    require("nominated_individual", "quality_lead", "board_member", "staff")
    sign_in(client, world.rm)
    assert client.get(HOME).status_code == 200


def test_staff_are_named_by_staff(world, client, require):
    require("staff")
    admin = UserFactory(email="admin@example.test", is_staff=True, is_superuser=True)
    sign_in(client, admin)
    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_a_service_can_require_it_of_everyone_who_reaches_it(world, client, require):
    require()
    world.service.mfa_required = True
    world.service.save()
    for persona in ("rm", "viewer", "ni"):
        client.logout()
        sign_in(client, world.users[persona])
        assert client.get(HOME)["Location"].startswith(ENROL), persona
        assert f"{world.service.name} requires it for everyone" in client.get(ENROL).content.decode()
    # Someone with no role at that service is not affected.
    client.logout()
    sign_in(client, world.outsider)
    assert client.get(HOME).status_code == 200


def test_enrolment_with_the_right_code_shows_recovery_codes_once_and_opens_the_site(world, client, require):
    require("quality_lead")
    sign_in(client, world.quality)
    html = client.get(ENROL).content.decode()
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", html).group(1)
    device = TOTPDevice.objects.get(user=world.quality)
    from base64 import b32decode

    assert b32decode(secret.replace(" ", "")) == device.bin_key
    wrong = client.post(ENROL, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()
    assert client.get(HOME)["Location"].startswith(ENROL)

    done = client.post(ENROL, {"code": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"data-recovery-code>(\w+)<", done.content.decode())
    assert len(codes) == 10
    assert client.get(HOME).status_code == 200
    # Shown once: the set-up page now sends them to their account, which shows no codes.
    assert client.get(ENROL)["Location"] == ACCOUNT
    assert not any(code in client.get(ACCOUNT).content.decode() for code in codes)
    entry = LogEntry.objects.get_for_object(world.quality).latest("timestamp")
    assert entry.changes == {"second factor": ["off", "on"]} and entry.actor == world.quality


def test_an_enrolled_person_gives_the_code_after_the_password(world, client, require):
    require()
    device, _ = enrolled(world.rm)  # turned on by choice: asked for the code all the same
    sign_in(client, world.rm)
    assert client.get(HOME)["Location"] == VERIFY
    target = reverse("core:service_detail", kwargs={"service": world.service.slug})
    assert client.get(target)["Location"] == f"{VERIFY}?next={target.replace('/', '%2F')}"
    wrong = client.post(VERIFY, {"code": "12345x", "next": target})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert client.get(ACCOUNT).status_code == 302  # still not verified
    right = client.post(VERIFY, {"code": code_for(device, ahead=1), "next": target})
    assert right.status_code == 302 and right["Location"] == target
    assert client.get(target).status_code == 200


def test_a_recovery_code_works_once(world, client, require):
    require()
    _, codes = enrolled(world.rm)
    sign_in(client, world.rm)
    response = client.post(VERIFY, {"code": codes[0].upper()[:4] + "-" + codes[0][4:]})
    assert response.status_code == 302 and response["Location"] == HOME
    assert "9 left" in client.get(HOME).content.decode()
    client.logout()
    sign_in(client, world.rm)
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 400
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_wrong_codes_lock_the_account_like_wrong_passwords(world, client, require, settings):
    require()
    enrolled(world.rm)
    sign_in(client, world.rm)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(VERIFY, {"code": "000001"}).status_code == 400
    locked = client.post(VERIFY, {"code": "000001"})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # Signed out, and the password alone cannot start again until the pause is over.
    assert client.get(HOME)["Location"].startswith(reverse("login"))
    assert sign_in(client, world.rm).status_code == 429


def test_a_right_password_between_wrong_codes_does_not_clear_them(world, client, require, settings):
    require()
    device, _ = enrolled(world.rm)
    sign_in(client, world.rm)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(VERIFY, {"code": "000001"})
    client.logout()
    sign_in(client, world.rm)
    assert client.post(VERIFY, {"code": "000001"}).status_code == 429


def test_a_right_code_clears_the_failures(world, client, require, settings):
    require()
    device, _ = enrolled(world.rm)
    sign_in(client, world.rm)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(VERIFY, {"code": "000001"})
    assert client.post(VERIFY, {"code": code_for(device, ahead=1)}).status_code == 302
    client.logout()
    sign_in(client, world.rm)
    assert client.post(VERIFY, {"code": "000001"}).status_code == 400


def test_the_device_backs_off_after_a_wrong_code(world, client, require, settings):
    require()
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device, _ = enrolled(world.rm)
    sign_in(client, world.rm)
    client.post(VERIFY, {"code": "000001"})
    response = client.post(VERIFY, {"code": code_for(device, ahead=1)})
    assert response.status_code == 400
    assert "wait a few seconds" in response.content.decode()


def test_people_cannot_turn_it_off_while_their_role_requires_it(world, client, require):
    require("board_member")
    enrolled(world.board)
    client.force_login(world.board)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=world.board).persistent_id
    session.save()
    assert "You cannot turn it off" in client.get(ACCOUNT).content.decode()
    client.post(reverse("core:mfa_turn_off"))
    assert TOTPDevice.objects.filter(user=world.board).exists()


def test_people_may_turn_it_off_when_nothing_requires_it(world, client, require):
    require()
    device, _ = enrolled(world.rm)
    sign_in(client, world.rm)
    client.post(VERIFY, {"code": code_for(device, ahead=1)})
    client.post(reverse("core:mfa_turn_off"))
    assert not TOTPDevice.objects.filter(user=world.rm).exists()
    assert client.get(HOME).status_code == 200
    assert LogEntry.objects.get_for_object(world.rm).latest("timestamp").changes == {"second factor": ["on", "off"]}


def test_new_recovery_codes_replace_the_old_ones(world, client, require):
    require()
    device, old = enrolled(world.rm)
    sign_in(client, world.rm)
    client.post(VERIFY, {"code": code_for(device, ahead=1)})
    response = client.post(reverse("core:mfa_recovery_codes"))
    new = re.findall(r"data-recovery-code>(\w+)<", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=world.rm).values_list("token", flat=True)) == set(new)


def test_an_admin_resets_a_lost_phone_on_the_audit_trail(world, client, require):
    require("nominated_individual")
    device, _ = enrolled(world.ni)
    sign_in(client, world.ni)
    client.post(VERIFY, {"code": code_for(device, ahead=1)})
    assert client.get(HOME).status_code == 200

    admin = UserFactory(email="admin@example.test", is_staff=True, is_superuser=True)
    admin_client = client.__class__()
    admin_client.force_login(admin)
    response = admin_client.post(
        reverse("admin:core_user_changelist"), {"action": "reset_second_factor", "_selected_action": [world.ni.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.ni).exists()
    entry = LogEntry.objects.get_for_object(world.ni).latest("timestamp")
    assert entry.changes == {"second factor": ["on", "reset by admin@example.test"]}
    assert entry.actor == admin
    # Their session is no longer verified, and their role requires a new app.
    assert client.get(HOME)["Location"].startswith(ENROL)


def test_the_new_pages_keep_the_security_headers_and_no_inline_script(world, client, require):
    require("nominated_individual")
    sign_in(client, world.ni)
    pages = [client.get(ENROL)]
    device = TOTPDevice.objects.get(user=world.ni)
    pages.append(client.post(ENROL, {"code": code_for(device)}))
    client.logout()
    sign_in(client, world.ni)
    pages.append(client.get(VERIFY))
    problems = []
    for response in pages:
        parser = PageParser()
        parser.feed(response.content.decode())
        problems += parser.inline + parser.leaks + _header_problems(response, signed_in=True)
    assert not problems, problems


def test_a_typo_in_the_required_roles_stops_the_app(settings):
    settings.MFA_REQUIRED_ROLES = ["nominated_individul"]
    with pytest.raises(SystemCheckError, match="nominated_individul"):
        call_command("check")


def test_htmx_requests_are_redirected_by_header(world, client, require):
    require("nominated_individual")
    sign_in(client, world.ni)
    response = client.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == ENROL
    assert SecondFactorMiddleware._open(VERIFY)


def test_after_the_code_only_a_page_of_this_site_is_next(world, client, require):
    require()
    device, _ = enrolled(world.rm)
    sign_in(client, world.rm)
    response = client.post(VERIFY, {"code": code_for(device, ahead=1), "next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_a_role_given_during_a_session_takes_effect_at_the_next_recheck(world, client, require, monkeypatch):
    require("viewer")
    sign_in(client, world.rm)
    assert client.get(HOME).status_code == 200
    world.service.memberships.create(user=world.rm, provider=world.provider, role="viewer")
    assert client.get(HOME).status_code == 200  # what the session owes was worked out at sign-in
    monkeypatch.setattr("core.mfa.session.RECHECK_SECONDS", -1)
    assert client.get(HOME)["Location"].startswith(ENROL)


def test_production_requires_it_of_the_provider_level_roles_and_admins():
    from core.tests.test_settings import _run

    key = "k" * 20 + "9f8e7d6c5b4a3210ZYXWVUTSRQponmlkjihgfedcba"
    script = "from django.conf import settings; print(','.join(settings.MFA_REQUIRED_ROLES))"
    result = _run(["shell", "-c", script], DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=key)
    printed = result.stdout.strip().splitlines()[-1:]
    assert printed == ["nominated_individual,quality_lead,board_member,staff"], result.stderr
