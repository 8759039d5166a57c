"""The system administrator's pages: who reaches them, the commune form, the import's three
steps (upload → refusal or preview → confirmation) as people go through them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from administration.views.system import PREVIEW_KEY
from assessments.models import Commune
from audit.models import AuditEntry
from tests.administration.system_sheets import GOOD_ROWS, sheet_upload
from tests.queries import at_most

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Kh0ng-de-doan-2026"

COMMUNE_FORM = {
    "kind": "phuong",
    "name": "Hồng Bàng",
    "city": "Hải Phòng",
    "address": "",
    "username": "hongbang.admin",
    "full_name": "Đỗ Văn Minh",
    "title": "Chủ tịch UBND phường",
    "email": "",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def _import_url(commune, step="accounts_import"):
    return reverse(f"system_admin:{step}", args=[commune.pk])


def test_the_home_lists_communes_with_sizes_and_administrators(client, administrator, demo):
    client.force_login(administrator)
    locked = demo.user("kinhte")
    locked.is_active = False  # a locked account is not counted, as on Quản trị xã
    locked.save(update_fields=["is_active"])
    response = client.get(reverse("system_admin:home"))
    assert response.status_code == 200
    rows = {c.name: c for c in response.context["page"]}
    assert set(rows) == {"Nghi Dương", "An Lão"}
    nghi_duong = rows["Nghi Dương"]
    # The same figures as the commune's own Quản trị xã shows.
    assert nghi_duong.unit_count == demo.commune.units.count()
    assert nghi_duong.user_count == demo.commune.memberships.count() - 1
    assert [m.user.username for m in nghi_duong.admins] == ["chutich"]
    assert "Quản trị hệ thống" in response.content.decode()  # the navbar link


HOME_QUERIES = "session, user, count, membership, unread notices, communes, their administrators"


def test_the_home_does_not_grow_with_communes(client, administrator, demo):
    client.force_login(administrator)
    url = reverse("system_admin:home")
    with at_most(7, HOME_QUERIES) as few:
        client.get(url)
    for index in range(5):
        commune = Commune.objects.create(name=f"Xã thử {index}", city=demo.commune.city)
        commune.units.create(name="Văn phòng")
    with at_most(7, HOME_QUERIES) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 7
    assert len(many) == len(few)


@pytest.mark.parametrize("who", ["leader", "chairman", "secretary", "own_staff", "outsider"])
def test_system_pages_are_for_system_administrators_only(client, demo, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("system_admin:home")).status_code == 403
    assert client.post(reverse("system_admin:commune_create"), COMMUNE_FORM).status_code == 403
    assert not Commune.objects.filter(name="Hồng Bàng").exists()


def test_creating_a_commune_leads_to_its_import(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("system_admin:commune_create"), COMMUNE_FORM)
    commune = Commune.objects.get(name="Hồng Bàng")
    assert response.status_code == 302
    assert response["Location"] == _import_url(commune)
    assert User.objects.get(username="hongbang.admin").membership.is_commune_admin


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"kind": "xa", "name": "Nghi Dương"}, "name", "Đã có Xã Nghi Dương"),
        ({"username": "chutich"}, "username", "Tên đăng nhập này đã có người dùng."),
        ({"username": "hồng bàng"}, "username", "Chữ không dấu"),
        ({"password2": PASSWORD + "x"}, "password2", "Hai mật khẩu không khớp."),
        ({"password1": "123", "password2": "123"}, "password1", "Mật khẩu"),
        ({"full_name": ""}, "full_name", ""),
    ],
)
def test_the_commune_form_refuses_with_a_message(client, administrator, changes, field, message):
    client.force_login(administrator)
    communes, users = Commune.objects.count(), User.objects.count()
    response = client.post(reverse("system_admin:commune_create"), {**COMMUNE_FORM, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and errors[field][0].startswith(message), errors
    assert (Commune.objects.count(), User.objects.count()) == (communes, users)


def test_the_import_previews_then_creates_and_shows_passwords_once(client, administrator, demo):
    client.force_login(administrator)
    response = client.post(_import_url(demo.commune), {"file": sheet_upload()}, follow=True)
    assert response.redirect_chain == [(_import_url(demo.commune), 302)]
    assert [a.username for a in response.context["accounts"]] == [r[0] for r in GOOD_ROWS]
    assert not User.objects.filter(username="lan.nguyen").exists()  # a preview creates nothing
    token = response.context["confirm_form"]["token"].value()

    response = client.post(_import_url(demo.commune, "accounts_import_confirm"), {"token": token})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    created = response.context["created"]
    assert [c.user.username for c in created] == ["lan.nguyen", "hung.tran", "thu.le"]
    page = response.content.decode()
    for item in created:
        assert item.password in page and item.user.check_password(item.password)
    assert "đổi mật khẩu" in page
    assert PREVIEW_KEY not in client.session

    # The same confirmation again: the preview is gone, nothing more is created.
    again = client.post(_import_url(demo.commune, "accounts_import_confirm"), {"token": token})
    assert again.status_code == 302 and again["Location"] == _import_url(demo.commune)
    assert AuditEntry.objects.filter(action="accounts_import").count() == 1


def test_a_bad_sheet_is_refused_whole_with_row_messages(client, administrator, demo):
    client.force_login(administrator)
    rows = [*GOOD_ROWS, ["x.y", "Ngô X", "Cán bộ, công chức", "", "", "bad", ""]]
    response = client.post(_import_url(demo.commune), {"file": sheet_upload(rows)})
    assert response.status_code == 200
    assert response.context["problems"] == [
        "Dòng 5: cán bộ, công chức phải có đơn vị.",
        "Dòng 5: email không hợp lệ.",
    ]
    page = response.content.decode()
    assert "Tệp bị từ chối toàn bộ" in page and "Dòng 5: email không hợp lệ." in page
    assert "accounts" not in response.context
    assert PREVIEW_KEY not in client.session
    assert not User.objects.filter(username="lan.nguyen").exists()


def test_a_file_that_is_not_xlsx_is_refused(client, administrator, demo):
    client.force_login(administrator)
    fake = SimpleUploadedFile("tai-khoan.xlsx", b"%PDF-1.7", "application/pdf")
    response = client.post(_import_url(demo.commune), {"file": fake})
    assert response.status_code == 200
    assert response.context["problems"][0].startswith("Tệp không phải là tệp Excel .xlsx")


def test_a_forged_token_creates_nothing(client, administrator, demo):
    client.force_login(administrator)
    client.post(_import_url(demo.commune), {"file": sheet_upload()})
    response = client.post(
        _import_url(demo.commune, "accounts_import_confirm"), {"token": "0" * 32}
    )
    assert response.status_code == 302
    assert not User.objects.filter(username="lan.nguyen").exists()


def test_a_preview_of_one_commune_does_not_confirm_into_another(client, administrator, demo):
    client.force_login(administrator)
    response = client.post(_import_url(demo.commune), {"file": sheet_upload()}, follow=True)
    token = response.context["confirm_form"]["token"].value()
    response = client.post(
        _import_url(demo.other_commune, "accounts_import_confirm"), {"token": token}
    )
    assert response.status_code == 302
    assert not User.objects.filter(username="lan.nguyen").exists()


def test_the_communes_administrator_imports_for_their_commune_only(client, chairman, demo):
    client.force_login(chairman)
    assert client.get(_import_url(demo.commune)).status_code == 200
    assert client.get(_import_url(demo.commune, "accounts_template")).status_code == 200
    response = client.post(_import_url(demo.other_commune), {"file": sheet_upload()})
    assert response.status_code == 404
    assert client.get(_import_url(demo.other_commune, "accounts_template")).status_code == 404
    assert client.get(reverse("system_admin:accounts_import", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "who,status", [("leader", 403), ("secretary", 403), ("own_staff", 403), ("outsider", 404)]
)
def test_other_members_are_refused_and_outsiders_find_nothing(client, demo, who, status, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(_import_url(demo.commune), {"file": sheet_upload()})
    assert response.status_code == status
    assert not User.objects.filter(username="lan.nguyen").exists()


def test_the_template_downloads_as_xlsx(client, administrator, demo):
    client.force_login(administrator)
    response = client.get(_import_url(demo.commune, "accounts_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_a_preview_made_stale_is_refused_when_shown_again(client, administrator, demo):
    client.force_login(administrator)
    client.post(_import_url(demo.commune), {"file": sheet_upload()})
    User.objects.create_user(username="hung.tran", password="x")
    response = client.get(_import_url(demo.commune))
    assert response.context["problems"] == ["Dòng 3: tên đăng nhập “hung.tran” đã có người dùng."]
    assert PREVIEW_KEY not in client.session
