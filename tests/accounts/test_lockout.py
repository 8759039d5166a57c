"""Wrong passwords lock the account and the address (django-axes), in Vietnamese, with 429;
an administrator unlocks; the lockout ends by itself after the cool-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.accounts.helpers import password_login

LOCKED = "Đăng nhập tạm thời bị khóa do nhập sai mật khẩu nhiều lần."


def fail(client, username: str, times: int, **extra) -> list[int]:
    return [
        password_login(client, username, "sai-mat-khau", **extra).status_code for _ in range(times)
    ]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, demo, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert fail(client, "lanhdao", 5) == [200, 200, 200, 200, 429]
    response = password_login(client, "lanhdao")  # the right password, too late
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and "Tạm khóa đăng nhập" in html
    assert "Account locked" not in html
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_when_to_try_again(client, demo):
    fail(client, "lanhdao", 5)
    response = password_login(client, "lanhdao")
    last = AccessAttempt.objects.get(username="lanhdao").attempt_time
    until = timezone.localtime(last + timedelta(minutes=15))
    assert f"Hãy thử lại sau {until:%H:%M}" in response.content.decode()
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60


def test_a_wrong_password_while_locked_does_not_push_the_end_further(client, demo):
    fail(client, "lanhdao", 5)
    before = AccessAttempt.objects.get(username="lanhdao")
    AccessAttempt.objects.filter(pk=before.pk).update(
        attempt_time=before.attempt_time - timedelta(minutes=5)
    )
    assert fail(client, "lanhdao", 3) == [429, 429, 429]
    after = AccessAttempt.objects.get(username="lanhdao")
    assert after.failures_since_start == 5
    assert after.attempt_time == before.attempt_time - timedelta(minutes=5)


def test_the_account_is_locked_whatever_address_the_attempts_come_from(client, demo):
    for i in range(5):
        fail(client, "lanhdao", 1, REMOTE_ADDR=f"203.0.113.{i + 1}")
    assert password_login(client, "lanhdao", REMOTE_ADDR="198.51.100.7").status_code == 429
    # Another account from those addresses is not affected (each address saw one failure).
    assert password_login(client, "vhxh", REMOTE_ADDR="203.0.113.1").status_code == 302


def test_an_address_is_locked_after_many_failures_for_any_accounts(client, demo, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    office = {"REMOTE_ADDR": "203.0.113.50"}
    codes = [password_login(client, f"doan{i}", "x", **office).status_code for i in range(8)]
    assert codes == [200] * 7 + [429]
    assert password_login(client, "vhxh", **office).status_code == 429
    assert password_login(client, "vhxh", REMOTE_ADDR="203.0.113.51").status_code == 302


def test_an_office_survives_a_few_typos_by_several_people(client, demo):
    office = {"REMOTE_ADDR": "203.0.113.60"}
    for username in ("vhxh", "kinhte", "vanphong", "ttpvhcc"):
        fail(client, username, 3, **office)  # 12 failures from one address, 3 per person
        assert password_login(Client(), username, **office).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, demo):
    fail(client, "lanhdao", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = password_login(client, "lanhdao")
    assert response.status_code == 302 and response.url == reverse("home")


def test_the_admin_login_is_locked_too(client, demo):
    url = reverse("admin:login")
    codes = [
        client.post(url, {"username": "admin", "password": "sai"}).status_code for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    response = client.post(url, {"username": "admin", "password": "demo12345"})
    assert response.status_code == 429 and LOCKED in response.content.decode()
    # The same account on the portal's login page.
    assert password_login(Client(), "admin").status_code == 429


def test_scripts_get_json(client, demo):
    fail(client, "lanhdao", 5)
    response = password_login(client, "lanhdao", HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    body = response.json()
    assert body["error"].startswith(LOCKED) and 0 < body["retry_after"] <= 900


# -- unlocking -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(demo, administrator):
    client = Client()
    client.force_login(administrator)
    return client


def test_an_administrator_unlocks_an_account_from_the_user_list(client, demo, admin_client, leader):
    fail(client, "lanhdao", 5)
    users = reverse("admin:auth_user_changelist")
    listing = admin_client.get(users).content.decode()
    assert "Mở khóa đăng nhập" in listing and "Bị khóa đăng nhập" in listing
    response = admin_client.post(
        users,
        {"action": "unlock_login", "_selected_action": [leader.pk]},
        follow=True,
    )
    assert "Đã mở khóa đăng nhập cho 1 tài khoản" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="lanhdao").exists()
    assert password_login(client, "lanhdao").status_code == 302


def test_the_user_list_shows_who_is_locked(client, demo, admin_client):
    fail(client, "lanhdao", 5)
    fail(client, "vhxh", 2)
    response = admin_client.get(reverse("admin:auth_user_changelist"))
    locked = {user.username: user.recent_failures for user in response.context["cl"].result_list}
    assert locked["lanhdao"] == 5 and locked["vhxh"] == 2 and locked["vanthu"] == 0


def test_an_administrator_unlocks_an_address_in_the_failed_logins_list(
    client, demo, admin_client, settings
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    office = {"REMOTE_ADDR": "203.0.113.70"}
    for name in ("a", "b", "c"):
        password_login(client, name, "x", **office)
    assert password_login(client, "vhxh", **office).status_code == 429
    attempts = reverse("admin:axes_accessattempt_changelist")
    listing = admin_client.get(attempts).content.decode()
    assert "Lần đăng nhập sai" in listing and "Số lần sai" in listing and "Địa chỉ IP" in listing
    response = admin_client.post(
        attempts,
        {
            "action": "unlock",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "Đã xóa 3 dòng; đăng nhập được mở lại." in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert password_login(client, "vhxh", **office).status_code == 302


def test_the_axes_reset_command_unlocks(client, demo):
    fail(client, "lanhdao", 5)
    call_command("axes_reset_username", "lanhdao")
    assert password_login(client, "lanhdao").status_code == 302


def test_only_an_administrator_may_unlock(client, demo, login_as, secretary, leader):
    fail(Client(), "lanhdao", 5)
    login_as(secretary)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_login", "_selected_action": [leader.pk]},
    )
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert AccessAttempt.objects.filter(username="lanhdao").exists()


# -- behind a proxy ------------------------------------------------------------------------------


def test_a_forged_forwarded_for_header_does_not_escape_the_address_lock(client, demo, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    assert settings.TRUSTED_PROXY_COUNT == 0
    for i in range(4):
        password_login(
            client, f"x{i}", "x", REMOTE_ADDR="203.0.113.80", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}"
        )
    response = password_login(
        client, "vhxh", REMOTE_ADDR="203.0.113.80", HTTP_X_FORWARDED_FOR="10.1.1.1"
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_apart(client, demo, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for i in range(4):
        password_login(client, f"x{i}", "x", HTTP_X_FORWARDED_FOR="203.0.113.90", **proxy)
    assert (
        AccessAttempt.objects.filter(ip_address="203.0.113.90").count() == 4
    )  # the client's address, not the proxy's
    blocked = password_login(client, "vhxh", HTTP_X_FORWARDED_FOR="203.0.113.90", **proxy)
    other = password_login(Client(), "vhxh", HTTP_X_FORWARDED_FOR="203.0.113.91", **proxy)
    assert blocked.status_code == 429 and other.status_code == 302


def test_expired_rows_are_cleared_from_the_admin(client, demo, admin_client):
    fail(client, "lanhdao", 2)
    fail(client, "vhxh", 1)
    AccessAttempt.objects.filter(username="lanhdao").update(
        attempt_time=timezone.now() - timedelta(minutes=16)
    )
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_expired",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "Đã xóa 1 bản ghi đã hết hạn." in response.content.decode()
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["vhxh"]


def test_the_login_records_open_in_the_admin(client, demo, admin_client, own_staff):
    fail(client, "lanhdao", 2)
    password_login(client, "vhxh")
    for name in (
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
        "admin:accounts_twofactorrule_changelist",
        "admin:auth_user_changelist",
    ):
        assert admin_client.get(reverse(name)).status_code == 200, name
    attempt = AccessAttempt.objects.get()
    page = admin_client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "sai-mat-khau" not in html  # the password is masked
    user = admin_client.get(reverse("admin:auth_user_change", args=[own_staff.pk]))
    assert user.status_code == 200
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Đăng nhập sai và khóa đăng nhập" in index and "totp" not in index.lower()


def test_login_records_are_named_in_vietnamese_at_local_time():
    """The admin titles a row's page with its name: django-axes' English is replaced."""
    moment = datetime(2026, 12, 1, 16, 21, tzinfo=UTC)  # 23:21 in Hà Nội time
    assert str(AccessLog(username="admin", attempt_time=moment)) == (
        "Đăng nhập của admin lúc 01/12/2026 23:21"
    )
    assert str(AccessAttempt(username="x", attempt_time=moment, ip_address="1.2.3.4")) == (
        "Đăng nhập sai: x lúc 01/12/2026 23:21 từ 1.2.3.4"
    )
    failure = AccessFailureLog(
        username="x", attempt_time=moment, ip_address="1.2.3.4", locked_out=True
    )
    assert str(failure) == "Đăng nhập sai: x, bị khóa lúc 01/12/2026 23:21 từ 1.2.3.4"
