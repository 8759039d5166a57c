"""Sessions end after an idle time and a maximum length; a new password ends the others."""

from __future__ import annotations

import time

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from accounts.services import LAST_SEEN, LOGIN_AT
from tests.accounts.helpers import password_login
from tests.conftest import DEMO_PASSWORD

PAGE = reverse("criteria:set_list")


def shift(client: Client, key: str, seconds: float) -> None:
    """Move a time kept in the client's session into the past."""
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_the_cookie_lasts_the_idle_time(settings):
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_a_session_idle_too_long_ends_with_a_message(client, demo):
    password_login(client, "vhxh")
    assert client.get(PAGE).status_code == 200
    shift(client, LAST_SEEN, 31 * 60)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/bo-tieu-chi/"
    assert "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert "Phiên làm việc đã kết thúc sau 30 phút không thao tác. Hãy đăng nhập lại." in page


def test_using_the_portal_keeps_the_session(client, demo):
    password_login(client, "vhxh")
    shift(client, LAST_SEEN, 29 * 60)
    assert client.get(PAGE).status_code == 200  # and the clock starts again
    assert time.time() - client.session[LAST_SEEN] < 5
    shift(client, LOGIN_AT, 0)
    assert client.get(PAGE).status_code == 200


def test_the_last_seen_time_is_saved_at_most_once_a_minute(client, demo):
    password_login(client, "vhxh")
    shift(client, LAST_SEEN, 10)
    seen = client.session[LAST_SEEN]
    client.get(PAGE)
    assert client.session[LAST_SEEN] == seen
    shift(client, LAST_SEEN, 60)
    client.get(PAGE)
    assert client.session[LAST_SEEN] > seen


def test_a_session_ends_after_the_maximum_length_even_when_used(client, demo, settings):
    password_login(client, "vhxh")
    shift(client, LOGIN_AT, settings.SESSION_MAX_HOURS * 3600 + 1)
    response = client.get(PAGE)
    assert response.url.startswith(reverse("login"))
    page = client.get(response.url).content.decode()
    assert f"Phiên làm việc đã kéo dài quá {settings.SESSION_MAX_HOURS} giờ." in page


def test_an_expired_htmx_request_reloads_the_login_page(client, demo):
    password_login(client, "vhxh")
    shift(client, LAST_SEEN, 31 * 60)
    response = client.get(PAGE, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(reverse("login"))


def test_an_idle_post_is_not_carried_out(client, demo, login_as):
    password_login(client, "lanhdao")
    shift(client, LAST_SEEN, 31 * 60)
    response = client.post(reverse("password_change"), {"old_password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("login")


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(demo):
    laptop, phone = Client(), Client()
    password_login(laptop, "vhxh")
    password_login(phone, "vhxh")
    assert phone.get(PAGE).status_code == 200
    response = laptop.post(
        reverse("password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Hoa-sen-no-2026",
            "new_password2": "Hoa-sen-no-2026",
        },
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert laptop.get(PAGE).status_code == 200  # update_session_auth_hash kept this one
    response = phone.get(PAGE)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in phone.session
    assert password_login(Client(), "vhxh", "Hoa-sen-no-2026").status_code == 302


def test_sessions_are_tracked_as_their_keys_change(client, demo, own_staff):
    user = own_staff
    password_login(client, "vhxh")
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    client.post(
        reverse("password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Hoa-sen-no-2026",
            "new_password2": "Hoa-sen-no-2026",
        },
    )
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    assert keys == [client.session.session_key]  # the new key after the password change
    assert Session.objects.filter(session_key=keys[0]).exists()
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=user).exists()
