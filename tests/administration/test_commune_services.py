"""The commune administrator's services (administration/commune_services.py): what they
write, what they refuse, and the audit entries they leave."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import UserSession
from administration.commune_services import (
    account_set_active,
    first_assessment_create,
    member_create,
    member_update,
    password_reset,
    report_settings_save,
    unit_delete,
    unit_save,
)
from assessments.models import Assessment, Membership, Unit
from assessments.services import commune_create, user_create
from audit.models import AuditEntry
from criteria.models import CriteriaSet, Level
from tests.audit.conftest import mark, only_entry

pytestmark = pytest.mark.django_db
A = AuditEntry.Action
User = get_user_model()
PASSWORD = "Mat-khau-tam-2026!"


@pytest.fixture
def kt_unit(demo) -> Unit:
    return demo.commune.units.get(short_name="KT")


# -- Units ------------------------------------------------------------------------------------


def test_a_unit_is_added_changed_and_audited(demo, chairman):
    start = mark()
    unit = unit_save(commune=demo.commune, by=chairman, name="  Phòng  Nội vụ ", short_name="NV")
    assert (unit.name, unit.commune) == ("Phòng Nội vụ", demo.commune)
    entry = only_entry(start)
    assert (entry.action, entry.commune_id, entry.summary) == (
        A.UNIT_CHANGE,
        demo.commune.pk,
        "Thêm đơn vị Phòng Nội vụ",
    )
    unit_save(commune=demo.commune, by=chairman, unit=unit, name="Phòng Nội vụ xã", order=7)
    unit.refresh_from_db()
    assert (unit.name, unit.order) == ("Phòng Nội vụ xã", 7)


def test_a_units_name_is_unique_in_the_commune_whatever_the_case(demo, chairman, kt_unit):
    with pytest.raises(ValidationError, match="Xã đã có đơn vị"):
        unit_save(commune=demo.commune, by=chairman, name=kt_unit.name.upper())


def test_a_unit_in_use_is_not_deleted_and_the_reason_says_why(demo, chairman, own_criterion):
    unit = own_criterion.lead_unit  # has people and leads sub-criteria
    with pytest.raises(ValidationError) as refused:
        unit_delete(unit=unit, by=chairman)
    assert "người thuộc đơn vị" in refused.value.messages[0]
    assert "chủ trì" in refused.value.messages[0]
    assert Unit.objects.filter(pk=unit.pk).exists()


def test_an_unused_unit_is_deleted_and_audited(demo, chairman):
    unit = unit_save(commune=demo.commune, by=chairman, name="Tổ thử")
    start = mark()
    unit_delete(unit=unit, by=chairman)
    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert only_entry(start).action == A.UNIT_DELETE


def test_another_communes_unit_is_refused(demo, chairman):
    theirs = demo.other_commune.units.first()
    with pytest.raises(ValidationError):
        unit_save(commune=demo.commune, by=chairman, unit=theirs, name="Đổi tên")
    with pytest.raises(PermissionDenied):
        unit_delete(unit=theirs, by=chairman)  # it is An Lão's: not Nghi Dương's admin's
    theirs.refresh_from_db()
    assert theirs.name != "Đổi tên"


def test_only_the_communes_administrator_changes_it(demo, leader, outsider):
    for person in (leader, outsider):  # a leader who is not its administrator; An Lão's
        with pytest.raises(PermissionDenied):
            unit_save(commune=demo.commune, by=person, name="Phòng mới")
    assert not Unit.objects.filter(name="Phòng mới").exists()


# -- People -----------------------------------------------------------------------------------


def test_a_person_is_created_with_the_name_as_typed(demo, chairman, kt_unit):
    start = mark()
    person = member_create(
        commune=demo.commune,
        by=chairman,
        username="binh",
        full_name="Trần Văn Bình",
        password=PASSWORD,
        role=Membership.Role.STAFF,
        unit=kt_unit,
        title="Chuyên viên",
    )
    assert person.get_full_name() == "Trần Văn Bình"
    assert person.check_password(PASSWORD)
    assert person.membership.unit == kt_unit
    entry = only_entry(start)
    assert (entry.action, entry.user_id, entry.commune_id) == (
        A.ACCOUNT_CREATE,
        chairman.pk,
        demo.commune.pk,
    )


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"role": Membership.Role.STAFF, "unit": None}, "unit"),  # staff need a unit
        ({"username": "VHXH"}, "username"),  # taken (case aside)
        ({"password": "12345678"}, None),  # the project's password rules
        ({"password": "binhtran2026"}, None),  # too like the user name
    ],
)
def test_a_person_is_refused_whole(demo, chairman, kt_unit, changes, field):
    values = {
        "username": "binhtran",
        "full_name": "Trần Văn Bình",
        "password": PASSWORD,
        "role": Membership.Role.STAFF,
        "unit": kt_unit,
        **changes,
    }
    users = User.objects.count()
    with pytest.raises(ValidationError) as refused:
        member_create(commune=demo.commune, by=chairman, **values)
    if field:
        assert field in refused.value.error_dict
    assert User.objects.count() == users


def test_another_communes_unit_is_refused_for_a_person(demo, chairman):
    theirs = demo.other_commune.units.first()
    with pytest.raises(ValidationError, match="không thuộc xã"):
        member_create(
            commune=demo.commune,
            by=chairman,
            username="lac",
            full_name="Người Lạc",
            password=PASSWORD,
            role=Membership.Role.STAFF,
            unit=theirs,
        )
    assert not User.objects.filter(username="lac").exists()


def test_a_person_is_changed_and_audited(demo, chairman, other_staff, kt_unit):
    start = mark()
    member_update(
        membership=other_staff.membership,
        by=chairman,
        full_name="Nguyễn Thị  Hoa",
        email="hoa@example.vn",
        role=Membership.Role.SECRETARY,
        unit=None,
        title="Văn thư",
        is_commune_admin=False,
    )
    other_staff.refresh_from_db()
    assert other_staff.get_full_name() == "Nguyễn Thị Hoa"
    assert other_staff.membership.role == Membership.Role.SECRETARY
    assert only_entry(start).action == A.MEMBERSHIP_CHANGE


def _update(membership, by, **changes):
    values = {
        "full_name": membership.user.get_full_name(),
        "email": "",
        "role": membership.role,
        "unit": membership.unit,
        "title": membership.title,
        "is_commune_admin": membership.is_commune_admin,
        **changes,
    }
    return member_update(membership=membership, by=by, **values)


def test_nobody_removes_their_own_administrator_flag(demo, chairman, leader):
    _update(leader.membership, chairman, is_commune_admin=True)
    with pytest.raises(ValidationError, match="Không tự bỏ"):
        _update(chairman.membership, chairman, is_commune_admin=False)
    chairman.membership.refresh_from_db()
    assert chairman.membership.is_commune_admin


def test_the_last_active_administrator_keeps_the_flag(demo, chairman, administrator):
    with pytest.raises(ValidationError, match="ít nhất một quản trị"):
        _update(chairman.membership, administrator, is_commune_admin=False)
    chairman.membership.refresh_from_db()
    assert chairman.membership.is_commune_admin


def test_the_default_signer_who_stops_being_a_leader_is_no_longer_it(demo, chairman, leader):
    report_settings_save(
        commune=demo.commune,
        by=chairman,
        report_recipients="",
        address="",
        place_name="",
        report_signer=leader,
        report_authority="deputy",
    )
    _update(leader.membership, chairman, role=Membership.Role.SECRETARY)
    demo.commune.refresh_from_db()
    assert demo.commune.report_signer is None


# -- Passwords and locked accounts ------------------------------------------------------------


def _session(user) -> None:
    UserSession.objects.create(user=user, session_key=f"k-{user.pk}")


def test_a_password_reset_ends_the_persons_sessions_and_is_audited(demo, chairman, own_staff):
    _session(own_staff)
    start = mark()
    ended = password_reset(commune=demo.commune, account=own_staff, password=PASSWORD, by=chairman)
    own_staff.refresh_from_db()
    assert own_staff.check_password(PASSWORD)
    assert ended == 1 and not UserSession.objects.filter(user=own_staff).exists()
    entry = only_entry(start)
    assert (entry.action, entry.target_id) == (A.PASSWORD_RESET, str(own_staff.pk))
    assert PASSWORD not in entry.summary + str(entry.details)


def test_a_weak_password_is_refused(demo, chairman, own_staff):
    with pytest.raises(ValidationError):
        password_reset(commune=demo.commune, account=own_staff, password="12345678", by=chairman)
    own_staff.refresh_from_db()
    assert not own_staff.check_password("12345678")


def test_another_communes_account_is_refused(demo, chairman, outsider_staff):
    with pytest.raises(ValidationError):
        password_reset(commune=demo.commune, account=outsider_staff, password=PASSWORD, by=chairman)
    with pytest.raises(ValidationError):
        account_set_active(commune=demo.commune, account=outsider_staff, active=False, by=chairman)
    outsider_staff.refresh_from_db()
    assert outsider_staff.is_active and not outsider_staff.check_password(PASSWORD)


def test_an_account_is_locked_and_reopened(demo, chairman, own_staff):
    _session(own_staff)
    start = mark()
    account_set_active(commune=demo.commune, account=own_staff, active=False, by=chairman)
    own_staff.refresh_from_db()
    assert not own_staff.is_active
    assert not UserSession.objects.filter(user=own_staff).exists()
    assert only_entry(start).action == A.ACCOUNT_DEACTIVATE
    start = mark()
    account_set_active(commune=demo.commune, account=own_staff, active=True, by=chairman)
    own_staff.refresh_from_db()
    assert own_staff.is_active
    assert only_entry(start).action == A.ACCOUNT_REACTIVATE


def test_nobody_locks_themselves_nor_the_last_administrator(demo, chairman, administrator):
    with pytest.raises(ValidationError, match="Không tự khóa"):
        account_set_active(commune=demo.commune, account=chairman, active=False, by=chairman)
    with pytest.raises(ValidationError, match="cuối cùng"):
        account_set_active(commune=demo.commune, account=chairman, active=False, by=administrator)
    chairman.refresh_from_db()
    assert chairman.is_active


# -- The report's defaults ----------------------------------------------------------------------


def test_the_report_settings_are_saved_and_audited(demo, chairman, leader):
    start = mark()
    report_settings_save(
        commune=demo.commune,
        by=chairman,
        report_recipients="Sở Nội vụ;\n\n  Lưu: VT.  ",
        address="Thôn 2",
        place_name="Nghi Dương",
        report_signer=leader,
        report_authority="deputy",
    )
    demo.commune.refresh_from_db()
    assert demo.commune.report_recipients == "Sở Nội vụ;\nLưu: VT."
    assert (demo.commune.report_signer, demo.commune.report_authority) == (leader, "deputy")
    assert only_entry(start).action == A.COMMUNE_CHANGE


@pytest.mark.parametrize("who", ["secretary", "outsider"])
def test_the_signer_is_a_leader_of_the_commune(demo, chairman, request, who):
    person = request.getfixturevalue(who)
    before = demo.commune.report_signer_id
    with pytest.raises(ValidationError, match="lãnh đạo UBND"):
        report_settings_save(
            commune=demo.commune,
            by=chairman,
            report_recipients="",
            address="",
            place_name="",
            report_signer=person,
            report_authority="chairman",
        )
    demo.commune.refresh_from_db()
    assert demo.commune.report_signer_id == before


# -- The first assessment -------------------------------------------------------------------------


@pytest.fixture
def new_commune(demo):
    """A commune with its administrator and a unit, and no assessment."""
    commune = commune_create(name="Thử Nghiệm", units=[{"name": "Phòng Văn hóa - Xã hội"}])
    admin = user_create(
        username="ct_thu",
        password=PASSWORD,
        full_name="Phạm Văn Chủ",
        commune=commune,
        role=Membership.Role.LEADER,
        is_commune_admin=True,
    )
    return commune, admin


def test_the_first_assessment_is_created_with_a_level_of_its_set(demo, new_commune):
    commune, admin = new_commune
    criteria_set = demo.assessment.criteria_set
    level = criteria_set.levels.last()
    start = mark()
    assessment = first_assessment_create(
        commune=commune,
        by=admin,
        criteria_set=criteria_set,
        year=2026,
        period="h1",
        target_level=level,
    )
    assert (assessment.commune, assessment.target_level) == (commune, level)
    assert assessment.assignments.filter(lead_unit__commune=commune).exists()
    assert only_entry(start).action == A.ASSESSMENT_CREATE
    with pytest.raises(ValidationError, match="Tạo kỳ tiếp theo"):
        first_assessment_create(
            commune=commune, by=admin, criteria_set=criteria_set, year=2027, period="h1",
            target_level=None,
        )  # fmt: skip


def test_a_level_of_another_set_is_refused(demo, new_commune):
    commune, admin = new_commune
    other = Level.objects.exclude(criteria_set=demo.assessment.criteria_set).first()
    if other is None:  # the demo has one set: make a level of another
        other_set = CriteriaSet.objects.get(pk=demo.assessment.criteria_set_id)
        other_set.pk = None
        other_set.version += 1
        other_set.save()
        other = Level.objects.create(criteria_set=other_set, name="Mức lạ", min_points=1)
    with pytest.raises(ValidationError, match="không thuộc bộ tiêu chí"):
        first_assessment_create(
            commune=commune,
            by=admin,
            criteria_set=demo.assessment.criteria_set,
            year=2026,
            period="h1",
            target_level=other,
        )
    assert not Assessment.objects.filter(commune=commune).exists()


def test_a_system_administrators_account_is_not_the_communes_to_change(
    demo, chairman, administrator, own_staff
):
    """A superuser (or admin staff) who is also a member: the commune's administrator cannot
    take over their account; a system administrator can."""
    own_staff.is_staff = True
    own_staff.save(update_fields=["is_staff"])
    with pytest.raises(PermissionDenied):
        password_reset(commune=demo.commune, account=own_staff, password=PASSWORD, by=chairman)
    with pytest.raises(PermissionDenied):
        account_set_active(commune=demo.commune, account=own_staff, active=False, by=chairman)
    with pytest.raises(PermissionDenied):
        _update(own_staff.membership, chairman, full_name="Người Khác")
    own_staff.refresh_from_db()
    assert own_staff.is_active and not own_staff.check_password(PASSWORD)
    password_reset(commune=demo.commune, account=own_staff, password=PASSWORD, by=administrator)
