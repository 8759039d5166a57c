"""The system administrator's services: a commune with its first administrator, and the
accounts of a sheet, each all or nothing and audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.passwords import PASSWORD_LENGTH
from administration.system_import import read_accounts_xlsx
from administration.system_services import accounts_import, commune_create_with_admin
from assessments.access import administered_commune_id, is_commune_admin
from assessments.models import Commune, Membership
from audit.models import AuditEntry
from tests.administration.system_sheets import GOOD_ROWS, sheet_bytes

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Kh0ng-de-doan-2026"


def _create(by, **overrides):
    values = dict(
        kind=Commune.Kind.PHUONG,
        name="Hồng Bàng",
        city="Hải Phòng",
        address="Số 1 Hoàng Văn Thụ",
        username="hongbang.admin",
        full_name="Đỗ Văn Minh",
        title="Chủ tịch UBND phường",
        email="minh@example.vn",
        password=PASSWORD,
        by=by,
    )
    values.update(overrides)
    return commune_create_with_admin(**values)


def test_a_commune_comes_with_its_first_administrator(administrator):
    commune = _create(administrator)
    assert str(commune) == "Phường Hồng Bàng"
    assert commune.address == "Số 1 Hoàng Văn Thụ"
    user = User.objects.get(username="hongbang.admin")
    assert (user.first_name, user.last_name) == ("Đỗ Văn", "Minh")
    assert user.check_password(PASSWORD) and not user.is_superuser
    membership = user.membership
    assert membership.commune == commune and membership.role == Membership.Role.LEADER
    assert membership.title == "Chủ tịch UBND phường"
    assert is_commune_admin(user, commune) and administered_commune_id(user) == commune.pk
    actions = list(
        AuditEntry.objects.filter(commune_id=commune.pk).values_list("action", flat=True)
    )
    assert sorted(actions) == ["account_create", "commune_create"]


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"kind": "xa", "name": "nghi dương"}, "Đã có Xã Nghi Dương thuộc Hải Phòng"),
        ({"username": "VanThu"}, "Tên đăng nhập “VanThu” đã có người dùng."),
        ({"password": "12345678901"}, "Mật khẩu"),
        ({"password": "hongbang.admin"}, "Mật khẩu"),
    ],
)
def test_duplicates_and_weak_passwords_create_nothing(administrator, overrides, message):
    communes, users, entries = (
        Commune.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(ValidationError) as caught:
        _create(administrator, **overrides)
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages
    assert (Commune.objects.count(), User.objects.count(), AuditEntry.objects.count()) == (
        communes,
        users,
        entries,
    )


def test_only_system_administrators_create_communes(chairman):
    with pytest.raises(PermissionDenied):
        _create(chairman)
    assert not Commune.objects.filter(name="Hồng Bàng").exists()


def _rows(rows=GOOD_ROWS):
    return read_accounts_xlsx(sheet_bytes(rows))


def test_an_import_creates_every_account_with_a_temporary_password(administrator, demo):
    created = accounts_import(commune=demo.commune, rows=_rows(), by=administrator)
    assert [c.user.username for c in created] == ["lan.nguyen", "hung.tran", "thu.le"]
    for item in created:
        assert len(item.password) == PASSWORD_LENGTH
        assert item.user.check_password(item.password)
        assert item.password not in item.user.password  # hashed, never kept in clear
        assert item.user.membership.commune == demo.commune
    lan, hung, thu = (c.user.membership for c in created)
    assert lan.unit.short_name == "VHXH" and lan.role == "staff" and lan.title == "Công chức VHXH"
    assert hung.is_commune_admin and hung.role == "leader"
    assert thu.role == "secretary"
    assert len({c.password for c in created}) == 3
    entries = AuditEntry.objects.filter(commune_id=demo.commune.pk, user=administrator)
    assert entries.filter(action="account_create").count() == 3
    batch = entries.get(action="accounts_import")
    assert batch.summary == "Nhập 3 tài khoản của Xã Nghi Dương từ tệp Excel"
    assert batch.details["usernames"] == ["lan.nguyen", "hung.tran", "thu.le"]


def test_one_bad_row_refuses_the_whole_sheet(administrator, demo):
    users, entries = User.objects.count(), AuditEntry.objects.count()
    rows = [*GOOD_ROWS, ["x.y", "Ngô X", "Cán bộ, công chức", "Phòng Y tế", "", "", ""]]
    with pytest.raises(ValidationError) as caught:
        accounts_import(commune=demo.commune, rows=_rows(rows), by=administrator)
    assert caught.value.messages == ["Dòng 5: xã không có đơn vị “Phòng Y tế”."]
    assert (User.objects.count(), AuditEntry.objects.count()) == (users, entries)


def test_the_rows_are_judged_again_at_confirmation(administrator, demo):
    """Someone took a username between the preview and the confirmation."""
    rows = _rows()
    User.objects.create_user(username="thu.le", password="x")
    with pytest.raises(ValidationError, match="Dòng 4: tên đăng nhập “thu.le” đã có người dùng"):
        accounts_import(commune=demo.commune, rows=rows, by=administrator)
    assert not User.objects.filter(username="lan.nguyen").exists()


def test_the_communes_administrator_imports_into_their_commune_only(chairman, outsider, demo):
    created = accounts_import(commune=demo.commune, rows=_rows(GOOD_ROWS[:1]), by=chairman)
    assert created[0].user.membership.commune == demo.commune
    with pytest.raises(PermissionDenied):
        accounts_import(commune=demo.commune, rows=_rows(GOOD_ROWS[1:]), by=outsider)
    with pytest.raises(PermissionDenied):
        accounts_import(commune=demo.other_commune, rows=_rows(GOOD_ROWS[1:]), by=chairman)
    assert not User.objects.filter(username="hung.tran").exists()


def test_a_leader_who_is_not_the_communes_administrator_may_not_import(leader, demo):
    with pytest.raises(PermissionDenied):
        accounts_import(commune=demo.commune, rows=_rows(), by=leader)
