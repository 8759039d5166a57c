"""The city's people, managed by the city's administrator (appraisal.people_services and the
pages under /thanh-pho/<city>/nguoi-dung/)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.passwords import PASSWORD_LENGTH
from appraisal.people_services import (
    city_person_create,
    city_person_password_reset,
    city_person_set_active,
    city_person_update,
)
from assessments.models import CityMembership
from assessments.services import city_get_or_create, city_user_create
from audit.models import AuditEntry
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

Role = CityMembership.Role


def _city(demo):
    return demo.commune.city


def _people_url(city, name="people", **kwargs):
    return reverse(f"appraisal:{name}", kwargs={"city": city.pk, **kwargs})


def _person_url(city, person, name="person_edit"):
    return _people_url(city, name, person_pk=person.pk)


# -- services ---------------------------------------------------------------------------------


def test_the_city_admin_adds_a_person_with_a_temporary_password(demo, city_admin):
    city = _city(demo)
    created = city_person_create(
        city=city,
        by=city_admin,
        username="  chuyenvien3 ",
        full_name="  Lê   Thị  Hoa ",
        role=Role.APPRAISER,
        title=" Chuyên viên Sở Nội vụ ",
        email="hoa@example.vn",
    )
    user = created.user
    assert user.username == "chuyenvien3" and user.get_full_name() == "Lê Thị Hoa"
    assert len(created.password) == PASSWORD_LENGTH and user.check_password(created.password)
    membership = user.city_membership
    assert (membership.city, membership.role) == (city, Role.APPRAISER)
    assert membership.title == "Chuyên viên Sở Nội vụ"
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_CREATE).first()
    assert entry.user_id == city_admin.pk and entry.target_id == str(user.pk)
    assert "chuyenvien3" in entry.summary and entry.details["city"] == city.pk


def test_adding_refuses_a_taken_username_an_empty_name_and_a_bad_role(demo, city_admin):
    before = get_user_model().objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        city_person_create(
            city=_city(demo), by=city_admin, username="SONOIVU", full_name=" ", role="boss"
        )
    errors = refused.value.message_dict
    assert "đã có người dùng" in errors["username"][0]
    assert errors["full_name"] == ["Hãy nhập họ và tên."]
    assert errors["role"] == ["Vai trò không hợp lệ."]
    assert (get_user_model().objects.count(), AuditEntry.objects.count()) == before


def test_a_name_the_account_cannot_hold_is_refused(demo, city_admin, appraiser):
    with pytest.raises(ValidationError, match="Họ và tên quá dài"):
        city_person_create(
            city=_city(demo), by=city_admin, username="x0", full_name="A" * 151, role="appraiser"
        )
    with pytest.raises(ValidationError, match="Họ và tên quá dài"):
        city_person_update(
            membership=appraiser.city_membership,
            by=city_admin,
            full_name="Trần " + "B" * 151,
            email="",
            role="appraiser",
            title="",
        )


def test_only_the_city_admin_adds_people(demo, appraiser, council_member, leader):
    city = _city(demo)
    for who in (appraiser, council_member):
        with pytest.raises(PermissionDenied):
            city_person_create(
                city=city, by=who, username="x1", full_name="Ngô X", role=Role.APPRAISER
            )
    with pytest.raises(Http404):  # a commune's person: not of the city
        city_person_create(city=city, by=leader, username="x2", full_name="Ngô X", role="appraiser")


def test_the_city_admin_changes_a_role_and_title(demo, city_admin, council_member):
    membership = council_member.city_membership
    city_person_update(
        membership=membership,
        by=city_admin,
        full_name="Vũ Thị Mới",
        email="moi@example.vn",
        role=Role.COUNCIL_CHAIR,
        title=" Phó Giám đốc Sở Nội vụ ",
    )
    membership.refresh_from_db()
    council_member.refresh_from_db()
    assert (membership.role, membership.title) == (Role.COUNCIL_CHAIR, "Phó Giám đốc Sở Nội vụ")
    assert council_member.get_full_name() == "Vũ Thị Mới"
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.MEMBERSHIP_CHANGE).first()
    assert "Chủ tịch Hội đồng thẩm định" in entry.summary and entry.user_id == city_admin.pk


def _second_admin(demo):
    return city_user_create(
        username="quantritp2",
        password=DEMO_PASSWORD,
        full_name="Phan Văn Hai",
        city=_city(demo),
        role=Role.CITY_ADMIN,
    )


def test_the_last_active_city_admin_is_neither_demoted_nor_locked(demo, city_admin, administrator):
    membership = city_admin.city_membership
    # A system administrator acts; the city's only administrator stays one.
    with pytest.raises(ValidationError) as refused:
        city_person_update(
            membership=membership,
            by=administrator,
            full_name=city_admin.get_full_name(),
            email="",
            role=Role.APPRAISER,
            title="",
        )
    assert "ít nhất một quản trị đang hoạt động" in refused.value.message_dict["role"][0]
    with pytest.raises(ValidationError, match="ít nhất một quản trị đang hoạt động"):
        city_person_set_active(membership=membership, active=False, by=administrator)
    membership.refresh_from_db()
    city_admin.refresh_from_db()
    assert membership.role == Role.CITY_ADMIN and city_admin.is_active
    # A locked second administrator does not count.
    second = _second_admin(demo)
    city_person_set_active(membership=second.city_membership, active=False, by=city_admin)
    with pytest.raises(ValidationError):
        city_person_set_active(membership=membership, active=False, by=administrator)
    # An active second one does: the first may then be demoted.
    city_person_set_active(membership=second.city_membership, active=True, by=city_admin)
    city_person_update(
        membership=membership,
        by=second,
        full_name=city_admin.get_full_name(),
        email="",
        role=Role.APPRAISER,
        title="",
    )
    membership.refresh_from_db()
    assert membership.role == Role.APPRAISER


def test_nobody_locks_or_demotes_themselves(demo, city_admin):
    _second_admin(demo)
    membership = city_admin.city_membership
    with pytest.raises(ValidationError, match="Không tự khóa"):
        city_person_set_active(membership=membership, active=False, by=city_admin)
    with pytest.raises(ValidationError, match="Không tự bỏ quyền quản trị"):
        city_person_update(
            membership=membership,
            by=city_admin,
            full_name="Hoàng Văn Quản",
            email="",
            role=Role.APPRAISER,
            title="",
        )


def test_locking_ends_the_sessions_and_is_audited(client, demo, city_admin, appraiser):
    client.force_login(appraiser)
    membership = appraiser.city_membership
    city_person_set_active(membership=membership, active=False, by=city_admin)
    appraiser.refresh_from_db()
    assert not appraiser.is_active
    assert client.get(reverse("appraise:list")).status_code == 302  # logged out
    city_person_set_active(membership=membership, active=True, by=city_admin)
    actions = list(
        AuditEntry.objects.filter(target_id=str(appraiser.pk)).values_list("action", flat=True)
    )
    assert actions[:2] == [
        AuditEntry.Action.ACCOUNT_REACTIVATE,
        AuditEntry.Action.ACCOUNT_DEACTIVATE,
    ]


def test_a_new_temporary_password(demo, city_admin, appraiser):
    password = city_person_password_reset(membership=appraiser.city_membership, by=city_admin)
    appraiser.refresh_from_db()
    assert appraiser.check_password(password) and not appraiser.check_password(DEMO_PASSWORD)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_RESET).exists()


def test_another_citys_person_is_404_to_the_city_admin(demo, city_admin, other_city_appraiser):
    other = other_city_appraiser.city_membership
    with pytest.raises(Http404):
        city_person_update(
            membership=other, by=city_admin, full_name="X Y", email="", role="appraiser", title=""
        )
    with pytest.raises(Http404):
        city_person_set_active(membership=other, active=False, by=city_admin)
    with pytest.raises(Http404):
        city_person_password_reset(membership=other, by=city_admin)
    with pytest.raises(Http404):
        city_person_create(
            city=other.city, by=city_admin, username="x3", full_name="X Y", role="appraiser"
        )
    other_city_appraiser.refresh_from_db()
    assert other_city_appraiser.is_active


# -- pages ------------------------------------------------------------------------------------


def test_the_city_admin_sees_the_people_and_the_nav_link(client, demo, city_admin, appraiser):
    TOTPDevice.objects.create(user=appraiser, name="app", confirmed=True)
    client.force_login(city_admin)
    city = _city(demo)
    page = client.get(_people_url(city))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="city-people"' in html
    assert "sonoivu" in html and "Chuyên viên thẩm định" in html and "Đã bật" in html
    assert _people_url(city) in client.get(reverse("appraise:list")).content.decode()
    client.force_login(appraiser)  # no link for the other city people
    assert _people_url(city) not in client.get(reverse("appraise:list")).content.decode()


def test_others_are_refused_the_pages(
    client, demo, appraiser, council_member, council_chair, leader, other_city_appraiser
):
    city = _city(demo)
    for who, status in [
        (appraiser, 403),
        (council_member, 403),
        (council_chair, 403),
        (leader, 403),
        (other_city_appraiser, 404),
    ]:
        client.force_login(who)
        assert client.get(_people_url(city)).status_code == status, who
        assert client.get(_person_url(city, appraiser)).status_code == status, who
        response = client.post(_person_url(city, appraiser, "person_active"), {"active": "0"})
        assert response.status_code == status, who
    appraiser.refresh_from_db()
    assert appraiser.is_active


def test_another_citys_person_is_404_on_the_pages(client, demo, city_admin, other_city_appraiser):
    client.force_login(city_admin)
    city = _city(demo)
    assert client.get(_person_url(city, other_city_appraiser)).status_code == 404
    url = _person_url(city, other_city_appraiser, "person_active")
    assert client.post(url, {"active": "0"}).status_code == 404
    # Nor is another city's page there for them.
    other = city_get_or_create("Thành phố Thử")
    assert client.get(_people_url(other)).status_code == 404


def test_adding_through_the_page_shows_the_password_once(client, demo, city_admin):
    client.force_login(city_admin)
    city = _city(demo)
    data = {
        "username": "hoidong9",
        "full_name": "Trịnh Văn Chín",
        "email": "",
        "role": Role.COUNCIL_MEMBER,
        "title": "Thành viên Hội đồng",
    }
    response = client.post(_people_url(city, "person_add"), data)
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")
    password = response.context["password"]
    user = get_user_model().objects.get(username="hoidong9")
    assert user.check_password(password) and password in response.content.decode()
    assert user.city_membership.role == Role.COUNCIL_MEMBER
    # The list does not show it again.
    assert password not in client.get(_people_url(city)).content.decode()
    # The same username again: a clear message, nothing made.
    again = client.post(_people_url(city, "person_add"), {**data, "username": "HOIDONG9"})
    assert again.status_code == 200 and "đã có người dùng" in again.content.decode()
    assert get_user_model().objects.filter(username__iexact="hoidong9").count() == 1


def test_the_last_admin_refusal_is_shown_on_the_page(client, demo, city_admin, administrator):
    client.force_login(administrator)
    city = _city(demo)
    data = {"full_name": "Hoàng Văn Quản", "email": "", "role": Role.APPRAISER, "title": ""}
    response = client.post(_person_url(city, city_admin), data)
    assert response.status_code == 200
    assert "ít nhất một quản trị đang hoạt động" in response.content.decode()
    response = client.post(_person_url(city, city_admin, "person_active"), {"active": "0"})
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("ít nhất một quản trị" in m for m in messages)
    city_admin.refresh_from_db()
    assert city_admin.is_active and city_admin.city_membership.role == Role.CITY_ADMIN


def test_the_city_admin_locks_and_edits_through_the_pages(client, demo, city_admin, appraiser):
    client.force_login(city_admin)
    city = _city(demo)
    response = client.post(_person_url(city, appraiser, "person_active"), {"active": "0"})
    assert response.status_code == 302
    appraiser.refresh_from_db()
    assert not appraiser.is_active
    data = {"full_name": "Trần Văn Sở", "email": "", "role": Role.CITY_ADMIN, "title": "Mới"}
    assert client.post(_person_url(city, appraiser), data).status_code == 302
    assert CityMembership.objects.get(user=appraiser).role == Role.CITY_ADMIN


def test_the_list_does_not_grow_with_people(
    client, demo, city_admin, django_assert_max_num_queries
):
    client.force_login(city_admin)
    url = _people_url(_city(demo))
    client.get(url)  # warm the session and the caches
    # Expect 9: session, user, city membership, the city, the count and the page of people
    # (one query, the second factor with them), and the page's frame (commune membership,
    # the city's names, notices).
    with django_assert_max_num_queries(9) as one:
        client.get(url)
    for number in range(55):
        user = city_user_create(
            username=f"them{number:02d}",
            password=DEMO_PASSWORD,
            full_name=f"Người Thêm {number:02d}",
            city=_city(demo),
            role=Role.APPRAISER,
        )
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    with django_assert_max_num_queries(len(one.captured_queries)):
        first = client.get(url)
    # A city's people grow with it: 50 a page.
    total = CityMembership.objects.filter(city=_city(demo)).count()
    assert len(first.context["rows"]) == 50
    assert "Trang 1 / 2" in first.content.decode()
    second = client.get(url, {"trang": 2})
    assert len(second.context["rows"]) == total - 50
