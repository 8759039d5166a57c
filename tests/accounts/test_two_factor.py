"""The second factor: enrolment with a QR code, codes at login, recovery codes, resets, and
which roles must use it."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from base64 import b32encode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TwoFactorRule
from accounts.roles import two_factor_required
from accounts.services import recovery_codes_replace
from assessments.models import Membership
from tests.accounts.helpers import password_login, totp_code

VERIFY = reverse("accounts:verify")
ENROL = reverse("accounts:enrol")
PAGE = reverse("criteria:set_list")  # a page every logged-in person may see


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed app and its recovery codes, as after the enrolment page."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device, recovery_codes_replace(user=user)


def unthrottle(device) -> None:
    """As if the few seconds a wrong code costs had passed."""
    type(device).objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)


def codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li class=\"col\">([a-z2-7]{4}-[a-z2-7]{4})</li>", html)


# -- enrolment -----------------------------------------------------------------------------------


def test_a_leader_enrols_at_the_first_login(client, demo, enforced):
    response = client.post(
        reverse("login"),
        {"username": "lanhdao", "password": "demo12345", "next": PAGE},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{ENROL}?next=%2Fbo-tieu-chi%2F"
    html = response.content.decode()
    assert "Bật xác thực hai lớp" in html and "Tài khoản của bạn cần xác thực hai lớp" in html
    device = TOTPDevice.objects.get(user__username="lanhdao", confirmed=False)

    # The secret for typing in, as the QR code carries it.
    secret = b32encode(device.bin_key).decode()
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert shown.replace(" ", "") == secret

    qr = client.get(reverse("accounts:qr"))
    assert qr["Content-Type"] == "image/svg+xml" and "no-store" in qr["Cache-Control"]
    assert ET.fromstring(qr.content).tag.endswith("svg")
    assert f"secret={secret}" in device.config_url and "issuer=Ch%C3%ADnh" in device.config_url

    # Everything else waits for the enrolment.
    assert client.get(reverse("home")).url == f"{ENROL}?next=%2F"

    wrong = client.post(ENROL, {"code": "000000", "next": PAGE})
    assert "Mã không đúng" in wrong.content.decode()
    too_soon = client.post(ENROL, {"code": totp_code(device), "next": PAGE})
    assert "Đã nhập sai nhiều lần. Hãy đợi đến" in too_soon.content.decode()
    unthrottle(device)
    response = client.post(ENROL, {"code": totp_code(device), "next": PAGE})
    assert response.status_code == 302
    assert response.url == reverse("accounts:codes") + "?next=%2Fbo-tieu-chi%2F"
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(response.url).content.decode()
    codes = codes_on_page(codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(
        StaticToken.objects.filter(device__user=device.user).values_list("token", flat=True)
    )
    assert {code.replace("-", "") for code in codes} == stored

    download = client.get(reverse("accounts:codes_download"))
    assert download["Content-Disposition"] == 'attachment; filename="ma-khoi-phuc.txt"'
    text = download.content.decode("utf-8")
    assert all(code in text for code in codes) and "lanhdao" in text

    done = client.post(reverse("accounts:codes"), {"next": PAGE})
    assert done.url == PAGE
    # Shown once only.
    assert client.get(reverse("accounts:codes")).url == reverse("accounts:security")
    assert client.get(reverse("accounts:codes_download")).status_code == 404
    assert client.get(PAGE).status_code == 200


def test_reloading_the_enrolment_page_keeps_the_secret(client, demo, enforced):
    password_login(client, "lanhdao")
    client.get(ENROL)
    first = TOTPDevice.objects.get(user__username="lanhdao").key
    client.get(ENROL)
    assert list(
        TOTPDevice.objects.filter(user__username="lanhdao").values_list("key", flat=True)
    ) == [first]


def test_someone_with_only_the_password_cannot_enrol_a_new_phone(client, demo, enforced, leader):
    enrolled(leader)
    password_login(client, "lanhdao")
    assert client.get(ENROL).url == VERIFY
    assert client.post(ENROL, {"code": "123456"}).url == VERIFY
    assert TOTPDevice.objects.filter(user__username="lanhdao").count() == 1
    assert client.get(reverse("accounts:qr")).status_code == 404


# -- logging in with the second factor --------------------------------------------------------


def test_login_asks_for_the_code_before_anything_else(client, demo, enforced, leader):
    device, _ = enrolled(leader)
    response = client.post(
        reverse("login"), {"username": "lanhdao", "password": "demo12345", "next": PAGE}
    )
    assert response.url == PAGE
    assert client.get(PAGE).url == f"{VERIFY}?next=%2Fbo-tieu-chi%2F"
    session_before = client.session.session_key
    response = client.post(VERIFY, {"code": totp_code(device), "next": PAGE})
    assert response.url == PAGE
    assert client.session.session_key != session_before  # a new key once the code is given
    assert client.get(PAGE).status_code == 200


def test_a_wrong_code_is_refused_and_slows_the_next_try(client, demo, enforced, leader):
    device, _ = enrolled(leader)
    password_login(client, "lanhdao")
    first = client.post(VERIFY, {"code": "000000"}).content.decode()
    assert "Mã không đúng hoặc đã được dùng." in first
    second = client.post(VERIFY, {"code": totp_code(device)}).content.decode()
    assert "Đã nhập sai nhiều lần. Hãy đợi đến" in second  # even the right code waits
    assert client.get(reverse("home")).url.startswith(VERIFY)
    unthrottle(device)
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    assert client.get(PAGE).status_code == 200


def test_a_code_is_accepted_once(client, demo, enforced, leader):
    device, _ = enrolled(leader)
    code = totp_code(device)
    password_login(client, "lanhdao")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = Client()
    password_login(other, "lanhdao")
    assert "Mã không đúng" in other.post(VERIFY, {"code": code}).content.decode()


def test_a_recovery_code_works_once(client, demo, enforced, leader):
    _, codes = enrolled(leader)
    password_login(client, "lanhdao")
    typed = f"{codes[3][:4].upper()}-{codes[3][4:].upper()}"  # as read from paper
    response = client.post(VERIFY, {"code": typed, "next": PAGE}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == PAGE
    assert "Bạn vừa dùng một mã khôi phục; còn 9 mã." in response.content.decode()
    again = Client()
    password_login(again, "lanhdao")
    assert (
        "Mã không đúng hoặc đã được dùng."
        in again.post(VERIFY, {"code": codes[3]}).content.decode()
    )
    assert again.get(reverse("home")).url.startswith(VERIFY)


def test_the_admin_needs_the_second_factor_too(client, demo, enforced, administrator):
    device, _ = enrolled(administrator)
    response = client.post(
        reverse("admin:login"), {"username": "admin", "password": "demo12345", "next": "/admin/"}
    )
    assert response.url == "/admin/"
    assert client.get("/admin/").url == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 302
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get("/admin/").status_code == 200


def test_an_administrator_without_the_app_enrols_before_the_admin(client, demo, enforced):
    client.post(reverse("admin:login"), {"username": "admin", "password": "demo12345"})
    assert client.get("/admin/").url == f"{ENROL}?next=%2Fadmin%2F"


def test_logout_is_always_reachable(client, demo, enforced):
    password_login(client, "lanhdao")
    response = client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_an_app_removed_behind_the_sessions_back_does_not_trap_it(
    client, demo, settings, own_staff
):
    device, _ = enrolled(own_staff)
    password_login(client, "vhxh")
    assert client.get(PAGE).url.startswith(VERIFY)
    TOTPDevice.objects.all().delete()
    StaticDevice.objects.all().delete()
    response = client.get(f"{VERIFY}?next={PAGE}")
    assert response.url == PAGE  # staff need no second factor
    assert client.get(PAGE).status_code == 200


def test_htmx_requests_are_sent_to_the_code_page_with_a_full_load(client, demo, enforced, leader):
    enrolled(leader)
    password_login(client, "lanhdao")
    response = client.get(reverse("home"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(VERIFY)


# -- which roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "required"),
    [
        ("lanhdao", True),
        ("chutich", True),
        ("vanthu", True),
        ("admin", True),
        ("vhxh", False),
        # The city's roles have no rule yet: the safe default, required.
        ("sonoivu", True),
        ("hoidong1", True),
        ("chutichhd", True),
        ("quantritp", True),
    ],
)
def test_default_rules(demo, username, required):
    assert two_factor_required(demo.user(username)) is required


def test_staff_go_straight_in_but_may_enrol(client, demo, enforced):
    password_login(client, "vhxh")
    assert client.get(PAGE).status_code == 200
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Chưa bật" in page and "Không bắt buộc với vai trò của bạn" in page
    assert client.get(ENROL).status_code == 200


def test_an_administrator_changes_the_rule_for_a_role(client, demo, enforced, administrator):
    admin_device, _ = enrolled(administrator)
    admin = verified_client(administrator, admin_device)
    rules = reverse("admin:accounts_twofactorrule_changelist")
    listing = admin.get(rules).content.decode()
    assert "Quy định xác thực hai lớp" in listing and "Cán bộ, công chức" in listing
    staff_rule = TwoFactorRule.objects.get(role_key="staff")
    response = admin.post(
        reverse("admin:accounts_twofactorrule_change", args=[staff_rule.pk]),
        {"role_key": "staff", "required": "on"},
    )
    assert response.status_code == 302
    password_login(client, "vhxh")
    assert client.get(reverse("home")).url.startswith(ENROL)

    leader_rule = TwoFactorRule.objects.get(role_key="leader")
    admin.post(
        reverse("admin:accounts_twofactorrule_change", args=[leader_rule.pk]),
        {"role_key": "leader"},  # unchecked: not required
    )
    leader = Client()
    password_login(leader, "lanhdao")
    assert leader.get(PAGE).status_code == 200


def test_a_role_added_later_needs_the_second_factor_until_a_rule_says_otherwise(demo, own_staff):
    Membership.objects.filter(user__username="vhxh").update(role="appraiser")
    user = own_staff
    assert two_factor_required(user)
    TwoFactorRule.objects.create(role_key="appraiser", required=False)
    assert not two_factor_required(own_staff)


def test_in_development_the_demo_accounts_need_no_code(client, demo, settings):
    assert settings.OTP_ENFORCE is False
    password_login(client, "lanhdao")
    assert client.get(PAGE).status_code == 200


def test_in_development_a_user_with_an_app_still_gives_the_code(client, demo, settings, own_staff):
    assert settings.OTP_ENFORCE is False
    device, _ = enrolled(own_staff)
    password_login(client, "vhxh")
    assert client.get(reverse("home")).url.startswith(VERIFY)
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get(PAGE).status_code == 200


def test_enforcement_follows_debug_by_default():
    code = "from django.conf import settings; print(settings.OTP_ENFORCE)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OTP_"))}
    results = {}
    for debug in ("1", "0"):
        run = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env={
                **env,
                "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
                "DJANGO_DEBUG": debug,
                # Production refuses weak keys (chinhquyen/settings.py): a real one.
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            },
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        results[debug] = run.stdout.strip()
    assert results == {"1": "False", "0": "True"}


# -- recovery codes and resets -------------------------------------------------------------------


def verified_client(user, device) -> Client:
    client = Client()
    password_login(client, user.username)
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get(PAGE).status_code == 200
    return client


def test_new_recovery_codes_replace_the_old_ones(demo, enforced, leader):
    user = leader
    device, old = enrolled(user)
    client = verified_client(user, device)
    refused = client.post(reverse("accounts:codes_regenerate"), {"code": "aaaa-aaaa"}, follow=True)
    assert "Mã không đúng" in refused.content.decode()
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)
    unthrottle(StaticDevice.objects.get(user=user))

    response = client.post(
        reverse("accounts:codes_regenerate"), {"code": totp_code(device)}, follow=True
    )
    new = codes_on_page(response.content.decode())
    assert len(new) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == {
        c.replace("-", "") for c in new
    }
    unthrottle(StaticDevice.objects.get(user=user))
    other = Client()
    password_login(other, "lanhdao")
    assert "Mã không đúng" in other.post(VERIFY, {"code": old[0]}).content.decode()


def test_resetting_my_app_logs_out_my_other_sessions(demo, enforced, leader):
    user = leader
    device, codes = enrolled(user)
    laptop = verified_client(user, device)
    office = verified_client(user, device)
    response = laptop.post(reverse("accounts:reset"), {"code": codes[0]}, follow=True)
    assert "Đã gỡ ứng dụng xác thực và mã khôi phục. Đã đăng xuất 1 phiên khác." in (
        response.content.decode()
    )
    assert response.redirect_chain[-1][0] == ENROL  # a leader must set up the new phone
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert office.get(reverse("home")).url.startswith(reverse("login"))
    assert laptop.get(reverse("home")).url.startswith(ENROL)


def test_an_administrator_resets_a_users_second_factor_and_logs_them_out(
    demo, enforced, leader, administrator
):
    user = leader
    device, _ = enrolled(user)
    phone_session = verified_client(user, device)
    admin_device, _ = enrolled(administrator)
    admin = verified_client(administrator, admin_device)
    users = reverse("admin:auth_user_changelist")
    listing = admin.get(users)
    assert "Đặt lại xác thực hai lớp" in listing.content.decode()
    flags = {u.username: u.has_app for u in listing.context["cl"].result_list}
    assert flags["lanhdao"] and not flags["vhxh"]
    response = admin.post(
        users, {"action": "reset_two_factor", "_selected_action": [user.pk]}, follow=True
    )
    assert "kết thúc 1 phiên đăng nhập" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert phone_session.get(reverse("home")).url.startswith(reverse("login"))
    again = Client()
    password_login(again, "lanhdao")
    assert again.get(reverse("home")).url.startswith(ENROL)


def test_the_security_page_and_the_menu_link(client, demo, login_as, leader):
    user = login_as(leader)
    home = client.get(PAGE).content.decode()
    assert f'href="{reverse("accounts:security")}">Bảo mật tài khoản<' in home
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Chưa bật" in page and "sẽ cần (khi chạy chính thức)" in page
    enrolled(user)
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Đang bật" in page and "Còn 10 mã khôi phục chưa dùng." in page
    assert 'id="tao-lai-code"' in page and 'id="dat-lai-code"' in page


def test_account_pages_need_a_login(client, db):
    for name in ("security", "enrol", "verify", "codes", "qr"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
