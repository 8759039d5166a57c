"""Account security events reach the audit trail under the account's commune: unlocking a
login, changing one's password, setting up, renewing and resetting the second factor."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts.services import recovery_codes_replace, two_factor_reset
from audit.models import AuditEntry
from tests.audit.conftest import mark, only_entry

A = AuditEntry.Action


def test_an_administrator_unlocking_a_login_is_recorded(
    client, demo, login_as, administrator, own_staff
):
    AccessAttempt.objects.create(
        username="vhxh",
        ip_address="203.0.113.9",
        user_agent="x",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )
    admin = login_as(administrator)
    start = mark()

    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_login", "_selected_action": [own_staff.pk]},
    )

    entry = only_entry(start)
    assert (entry.action, entry.user_id, entry.commune_name) == (
        A.LOGIN_UNLOCK,
        admin.pk,
        "Xã Nghi Dương",
    )
    assert "vhxh" in entry.summary


def test_changing_ones_own_password_is_recorded_without_the_password(
    client, demo, login_as, own_staff
):
    user = login_as(own_staff)
    start = mark()

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "demo12345",
            "new_password1": "Mat-khau-rat-moi-2026",
            "new_password2": "Mat-khau-rat-moi-2026",
        },
    )

    assert response.status_code == 302
    entry = only_entry(start)
    assert (entry.action, entry.user_id) == (A.PASSWORD_CHANGE, user.pk)
    assert "Mat-khau" not in entry.summary + str(entry.details)


def test_second_factor_codes_and_reset_are_recorded(demo, leader, administrator):
    user = leader
    admin = administrator

    start = mark()
    recovery_codes_replace(user=user)
    renewed = only_entry(start)

    start = mark()
    two_factor_reset(user=user, by=admin)
    reset = only_entry(start)

    assert (renewed.action, renewed.user_id) == (A.TWO_FACTOR_CODES, user.pk)
    assert (reset.action, reset.user_id, reset.target_id) == (
        A.TWO_FACTOR_RESET,
        admin.pk,
        str(user.pk),
    )
    assert reset.commune_name == "Xã Nghi Dương"
