"""The "Quản trị xã" pages: who reaches them, what they show, and that another commune's ids
are refused (a message or 404) with nothing saved. The Django admin's one "Họ và tên" field."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from assessments.models import Assessment, Commune, Membership, Unit
from assessments.services import commune_create, user_create
from audit.models import AuditEntry
from criteria.models import CriteriaSet, Level
from tests.queries import at_most
from tests.test_access_matrix import url_patterns

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Mat-khau-tam-2026!"


def url(name: str, commune, *args) -> str:
    return reverse(f"commune_admin:{name}", args=[commune.pk, *args])


def _new_person(commune, **changes) -> dict:
    return {
        "username": "binh",
        "full_name": "Trần Văn Bình",
        "email": "",
        "role": "staff",
        "unit": commune.units.get(short_name="KT").pk,
        "title": "Chuyên viên",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }


# -- Who reaches the pages -----------------------------------------------------------------------


def test_the_navbar_offers_it_to_the_administrator_only(client, login_as, chairman, leader):
    login_as(chairman)
    assert reverse("commune_admin:index") in client.get("/", follow=True).content.decode()
    login_as(leader)
    assert reverse("commune_admin:index") not in client.get("/", follow=True).content.decode()


def test_the_administrator_lands_on_their_commune(client, demo, login_as, chairman, outsider):
    login_as(chairman)
    response = client.get(reverse("commune_admin:index"))
    assert response["Location"] == url("home", demo.commune)
    login_as(outsider)  # xã An Lão's administrator
    assert client.get(reverse("commune_admin:index"))["Location"] == url("home", demo.other_commune)


def test_a_system_administrator_chooses_the_commune(client, demo, login_as, administrator):
    login_as(administrator)
    page = client.get(reverse("commune_admin:index")).content.decode()
    assert url("home", demo.commune) in page and url("home", demo.other_commune) in page
    assert client.get(url("users", demo.other_commune)).status_code == 200


def test_the_communes_to_choose_from_come_in_pages(client, demo, login_as, administrator):
    """A city has a hundred communes and more: 50 a page, in queries that do not grow."""
    login_as(administrator)
    index = reverse("commune_admin:index")
    # Expect at most 8: session, user, membership, administered commune, the count, the
    # page of communes with their city, and the page's frame.
    why = "session, user, membership, administered commune, count, page, frame"
    with at_most(8, why) as few:
        client.get(index)
    Commune.objects.bulk_create(
        Commune(name=f"Thử {n:03d}", city=demo.commune.city) for n in range(60)
    )
    with at_most(8, why) as many:
        first = client.get(index)
    assert len(many) == len(few)
    assert len(first.context["communes"]) == 50
    assert "Trang 1 / 2" in first.content.decode()
    second = client.get(index, {"trang": 2}).content.decode()
    assert url("home", Commune.objects.get(name="Thử 059")) in second
    assert client.get(index, {"trang": "x"}).status_code == 200  # the first page


def test_a_leader_who_is_not_the_administrator_is_refused(client, demo, login_as, leader):
    login_as(leader)
    assert client.get(url("users", demo.commune)).status_code == 403


def test_another_communes_pages_are_404(client, demo, login_as, chairman, outsider_staff):
    login_as(chairman)
    theirs = demo.other_commune
    assert client.get(url("users", theirs)).status_code == 404
    # Their unit and person under our commune's URL: 404 too.
    assert client.get(url("unit_edit", demo.commune, theirs.units.first().pk)).status_code == 404
    assert client.get(url("user_edit", demo.commune, outsider_staff.pk)).status_code == 404
    response = client.post(url("user_active", demo.commune, outsider_staff.pk), {"active": "0"})
    assert response.status_code == 404
    outsider_staff.refresh_from_db()
    assert outsider_staff.is_active


# -- Units ---------------------------------------------------------------------------------------


def test_units_are_listed_added_and_refused_deletion_when_used(
    client, demo, login_as, chairman, own_criterion
):
    login_as(chairman)
    response = client.post(
        url("unit_add", demo.commune), {"name": "Phòng Nội vụ", "short_name": "NV", "order": "9"}
    )
    assert response.status_code == 302
    assert "Phòng Nội vụ" in client.get(url("units", demo.commune)).content.decode()
    used = own_criterion.lead_unit
    response = client.post(url("unit_delete", demo.commune, used.pk), follow=True)
    assert "Không xóa được đơn vị" in response.content.decode()
    assert Unit.objects.filter(pk=used.pk).exists()
    spare = Unit.objects.get(commune=demo.commune, name="Phòng Nội vụ")
    client.post(url("unit_delete", demo.commune, spare.pk))
    assert not Unit.objects.filter(pk=spare.pk).exists()


# -- People --------------------------------------------------------------------------------------


def test_the_user_list_shows_names_as_typed_and_its_queries_do_not_grow(
    client, demo, login_as, chairman
):
    login_as(chairman)
    users = url("users", demo.commune)
    # Expect 8: session, user, commune, membership (navbar), memberships with their users and
    # units, authenticator apps, the navbar's commune, unread notices (bell).
    why = "session, user, commune, membership, rows, apps, navbar commune, bell"
    with at_most(8, why) as few:
        assert client.get(users).status_code == 200
    unit = demo.commune.units.get(short_name="KT")
    for number in range(5):
        user_create(
            username=f"moi{number}",
            password=PASSWORD,
            full_name=f"Nguyễn Văn Mới {number}",
            commune=demo.commune,
            role="staff",
            unit=unit,
        )
    with at_most(8, why) as many:
        page = client.get(users).content.decode()
    assert len(many) == len(few)
    assert "Nguyễn Văn Mới 3" in page and "Lưu Thị Tươi" in page
    for header in ("Họ và tên", "Tên đăng nhập", "Vai trò", "Đơn vị", "Chức danh"):
        assert header in page
    assert "Quản trị của xã" in page and "Xác thực hai lớp" in page


def test_a_person_is_added_with_one_full_name_field(client, demo, login_as, chairman):
    login_as(chairman)
    page = client.get(url("user_add", demo.commune)).content.decode()
    assert 'name="full_name"' in page
    assert 'name="first_name"' not in page and 'name="last_name"' not in page
    response = client.post(url("user_add", demo.commune), _new_person(demo.commune))
    assert response.status_code == 302
    assert User.objects.get(username="binh").get_full_name() == "Trần Văn Bình"


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"unit": ""}, "Cán bộ, công chức phải thuộc một đơn vị của xã"),
        ({"password2": "Khac-hoan-toan-2026"}, "Hai lần nhập mật khẩu không giống nhau"),
        ({"password1": "12345678", "password2": "12345678"}, "Mật khẩu"),
    ],
)
def test_a_person_is_refused_with_a_message(client, demo, login_as, chairman, changes, message):
    login_as(chairman)
    response = client.post(url("user_add", demo.commune), _new_person(demo.commune, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="binh").exists()


def test_another_communes_unit_posted_is_refused(client, demo, login_as, chairman):
    login_as(chairman)
    theirs = demo.other_commune.units.first()
    response = client.post(url("user_add", demo.commune), _new_person(demo.commune, unit=theirs.pk))
    assert response.status_code == 200
    assert "Lựa chọn không hợp lệ" in response.content.decode()
    assert not User.objects.filter(username="binh").exists()
    member = demo.user("kinhte").membership
    response = client.post(
        url("user_edit", demo.commune, member.user_id),
        {"full_name": "Đổi Tên", "role": "staff", "unit": theirs.pk},
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.unit.commune_id == demo.commune.pk
    assert member.user.get_full_name() != "Đổi Tên"


def test_the_administrator_cannot_lock_themselves(client, demo, login_as, chairman):
    login_as(chairman)
    response = client.post(
        url("user_active", demo.commune, chairman.pk), {"active": "0"}, follow=True
    )
    assert "Không tự khóa" in response.content.decode()
    chairman.refresh_from_db()
    assert chairman.is_active


def test_a_password_is_reset_through_the_page(client, demo, login_as, chairman, own_staff):
    login_as(chairman)
    response = client.post(
        url("user_password", demo.commune, own_staff.pk),
        {"password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    own_staff.refresh_from_db()
    assert own_staff.check_password(PASSWORD)


# -- The report's defaults and the first assessment ---------------------------------------------


def test_the_signer_offered_is_a_leader_of_the_commune(
    client, demo, login_as, chairman, leader, secretary, outsider
):
    login_as(chairman)
    form = client.get(url("report_settings", demo.commune)).context["form"]
    offered = set(form.fields["report_signer"].queryset.values_list("pk", flat=True))
    assert leader.pk in offered and chairman.pk in offered
    assert secretary.pk not in offered and outsider.pk not in offered
    before = Commune.objects.get(pk=demo.commune.pk).report_signer_id
    response = client.post(
        url("report_settings", demo.commune),
        {"report_signer": outsider.pk, "report_authority": "chairman"},
    )
    assert response.status_code == 200 and "Lựa chọn không hợp lệ" in response.content.decode()
    assert Commune.objects.get(pk=demo.commune.pk).report_signer_id == before


@pytest.fixture
def empty_commune(demo):
    commune = commune_create(name="Thử Nghiệm", units=[{"name": "Văn phòng"}])
    admin = user_create(
        username="ct_thu",
        password=PASSWORD,
        full_name="Phạm Văn Chủ",
        commune=commune,
        role=Membership.Role.LEADER,
        is_commune_admin=True,
    )
    return commune, admin


def _foreign_level(criteria_set) -> Level:
    other = Level.objects.exclude(criteria_set=criteria_set).first()
    if other is None:
        copy = CriteriaSet.objects.get(pk=criteria_set.pk)
        copy.pk, copy.version = None, copy.version + 1
        copy.save()
        other = Level.objects.create(criteria_set=copy, name="Mức lạ", min_points=1)
    return other


def test_the_first_assessment_takes_a_level_of_its_set_only(client, demo, login_as, empty_commune):
    commune, admin = empty_commune
    login_as(admin)
    criteria_set = demo.assessment.criteria_set
    data = {"criteria_set": criteria_set.pk, "year": "2026", "period": "h1"}
    response = client.post(
        url("assessment_create", commune),
        {**data, "target_level": _foreign_level(criteria_set).pk},
    )
    assert response.status_code == 200
    assert not Assessment.objects.filter(commune=commune).exists()
    level = criteria_set.levels.first()
    response = client.post(url("assessment_create", commune), {**data, "target_level": level.pk})
    assert response.status_code == 302
    made = Assessment.objects.get(commune=commune)
    assert made.target_level == level
    # A second one goes through "Tạo kỳ tiếp theo"; this page points there.
    page = client.get(url("assessment_create", commune)).content.decode()
    assert reverse("assessments:period_create", args=[made.pk]) in page


# -- The Django admin: one "Họ và tên" --------------------------------------------------------------


def test_the_django_admin_user_form_has_one_full_name(client, demo, login_as, administrator):
    login_as(administrator)
    add = reverse("admin:auth_user_add")
    page = client.get(add).content.decode()
    assert 'name="full_name"' in page and 'name="first_name"' not in page
    response = client.post(
        add,
        {
            "username": "binh",
            "full_name": "Trần Văn Bình",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    account = User.objects.get(username="binh")
    assert account.get_full_name() == "Trần Văn Bình"
    change = reverse("admin:auth_user_change", args=[account.pk])
    assert 'value="Trần Văn Bình"' in client.get(change).content.decode()
    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "Trần Văn Bình" in listing and "Lưu Thị Tươi" in listing


def test_every_page_of_another_commune_is_404_to_an_administrator(
    client, demo, login_as, chairman, outsider_staff
):
    """Each "Quản trị xã" URL with xã An Lão's commune, unit and person: 404 to Nghi Dương's
    administrator, whatever the method; nothing of An Lão's changes."""
    login_as(chairman)
    theirs = demo.other_commune
    values = {
        "commune_pk": theirs.pk,
        "unit_pk": theirs.units.first().pk,
        "user_pk": outsider_staff.pk,
    }
    checked = 0
    for name, params, _view in url_patterns():
        if not name.startswith("commune_admin:") or not params:
            continue
        target = reverse(name, kwargs={param: values[param] for param in params})
        for method in ("get", "post"):
            response = getattr(client, method)(target, {"active": "0", "name": "Đổi"})
            assert response.status_code in (404, 405), (name, method, response.status_code)
            checked += response.status_code == 404
    assert checked >= 14
    outsider_staff.refresh_from_db()
    assert outsider_staff.is_active
    assert not theirs.units.filter(name="Đổi").exists()


def test_a_system_administrators_change_is_audited_under_that_commune(
    client, demo, login_as, administrator
):
    login_as(administrator)
    client.post(url("unit_add", demo.other_commune), {"name": "Phòng Nội vụ", "order": "5"})
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.commune_id, entry.user_id) == (
        AuditEntry.Action.UNIT_CHANGE,
        demo.other_commune.pk,
        administrator.pk,
    )


def test_a_system_accounts_page_offers_no_action_and_refuses_them(
    client, demo, login_as, chairman, own_staff
):
    own_staff.is_superuser = True
    own_staff.save(update_fields=["is_superuser"])
    login_as(chairman)
    page = client.get(url("user_edit", demo.commune, own_staff.pk)).content.decode()
    assert 'data-testid="system-account"' in page
    assert url("user_password", demo.commune, own_staff.pk) not in page
    for name in ("user_password", "user_active", "user_two_factor", "user_unlock"):
        response = client.post(url(name, demo.commune, own_staff.pk), {"active": "0"})
        assert response.status_code == 403, name
    own_staff.refresh_from_db()
    assert own_staff.is_active


def test_the_unit_list_does_not_grow_in_queries(client, demo, login_as, chairman):
    login_as(chairman)
    units = url("units", demo.commune)
    # Expect 7: session, user, commune, membership (navbar), units, the navbar's commune,
    # unread notices (bell).
    why = "session, user, commune, membership, units, navbar commune, bell"
    with at_most(7, why) as few:
        assert client.get(units).status_code == 200
    for number in range(5):
        Unit.objects.create(commune=demo.commune, name=f"Tổ {number}", order=20 + number)
    with at_most(7, why) as many:
        assert "Tổ 4" in client.get(units).content.decode()
    assert len(many) == len(few)


def test_the_django_admin_names_the_communes_administrator(client, demo, login_as, administrator):
    login_as(administrator)
    membership = demo.user("chutich").membership
    page = client.get(reverse("admin:assessments_membership_change", args=[membership.pk]))
    assert 'name="is_commune_admin"' in page.content.decode()
