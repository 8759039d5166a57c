"""The bell and the list (issue 12): a person's own notices only, read and unread, email on
or off; the bell is one query, the list does not grow with the notices."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from notifications.models import Notification, NotificationSetting
from notifications.services import notify
from tests.queries import at_most, exactly

LIST = "notifications:list"


def add(user, n: int = 1, start: int = 0, url: str = "/"):
    return [
        notify(user=user, kind="other", title=f"Thông báo {i}", key=f"test:{i}", url=url)
        for i in range(start, start + n)
    ]


def test_the_bell_shows_the_unread_count_in_one_query(demo, own_staff):
    add(own_staff, 3)
    Notification.objects.filter(user=own_staff, key="test:0").update(read_at="2026-01-01T00:00Z")
    request = RequestFactory().get("/")
    request.user = own_staff
    template = Template("{% load notification_bell %}{% notification_bell %}")
    # Expect 1 query: the COUNT of the person's unread notices.
    with exactly(1, "unread count"):
        html = template.render(Context({"request": request}))
    assert 'data-testid="bell-count">2<' in html
    assert reverse(LIST) in html


def test_every_page_has_the_bell(client, demo, login_as, own_staff):
    add(own_staff, 2)
    login_as(own_staff)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="bell"' in html and 'data-testid="bell-count">2<' in html


def test_the_list_shows_only_ones_own_notices(client, demo, login_as, own_staff, leader):
    notify(user=own_staff, kind="other", title="Của cán bộ", key="a")
    notify(user=leader, kind="other", title="Của lãnh đạo", key="a")
    login_as(own_staff)
    html = client.get(reverse(LIST)).content.decode()
    assert "Của cán bộ" in html and "Của lãnh đạo" not in html


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(client, demo, login_as, own_staff):
    url = reverse("assessments:detail", args=[demo.assessment.pk])
    (notice,) = add(own_staff, url=url)
    login_as(own_staff)
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == url
    notice.refresh_from_db()
    assert notice.read_at is not None
    html = client.get(reverse(LIST) + "?loc=chua-doc").content.decode()
    assert "Không có thông báo chưa đọc" in html


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_a_notice_only_leads_to_a_page_of_the_portal(client, demo, login_as, own_staff, url):
    (notice,) = add(own_staff, url=url)
    login_as(own_staff)
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response["Location"] == reverse(LIST)


def test_another_persons_notice_is_404(client, demo, login_as, own_staff, leader):
    (notice,) = add(leader)
    login_as(own_staff)
    assert client.get(reverse("notifications:open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read(client, demo, login_as, own_staff, leader):
    add(own_staff, 3)
    add(leader, 2)
    login_as(own_staff)
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=own_staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=leader, read_at__isnull=True).count() == 2


def test_a_person_turns_email_off_and_on(client, demo, login_as, own_staff):
    login_as(own_staff)
    client.post(reverse("notifications:settings"), {})
    assert NotificationSetting.objects.get(user=own_staff).email is False
    html = client.get(reverse(LIST)).content.decode()
    assert 'id="email-setting" checked' not in html
    client.post(reverse("notifications:settings"), {"email": "on"})
    assert NotificationSetting.objects.get(user=own_staff).email is True


def test_anonymous_people_are_sent_to_the_login_page(client, demo):
    for name in ("notifications:list", "notifications:read_all", "notifications:settings"):
        response = client.post(reverse(name)) if name != LIST else client.get(reverse(name))
        assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


# Expect 9 queries: session, user, count of notices, the email setting, the navbar's
# membership, commune and unit, the bell, the page of notices.
LIST_QUERIES = "session, user, count, setting, membership, commune, bell, unit, page"


def test_the_list_costs_the_same_with_more_notices(client, demo, login_as, own_staff):
    add(own_staff, 2)
    login_as(own_staff)
    with at_most(9, LIST_QUERIES) as few:
        assert client.get(reverse(LIST)).status_code == 200
    add(own_staff, 40, start=2)
    with at_most(9, LIST_QUERIES) as many:
        response = client.get(reverse(LIST))
    assert response.content.decode().count('data-read="0"') == 20  # one page
    assert len(many) == len(few)
