from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments.models import Assessment, Assignment, Membership
from assessments.services import (
    assessment_create,
    assignment_update,
    commune_create,
    user_create,
)
from criteria.models import CriteriaSet, Criterion, Level
from criteria.services import FIXTURE_5049, criteria_set_load_yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def criteria_set():
    return criteria_set_load_yaml(path=FIXTURE_5049)


@pytest.fixture
def commune():
    return commune_create(
        name="Thử Nghiệm",
        units=[
            {"name": "Trung tâm Phục vụ hành chính công"},  # case differs from the set
            {"name": "phòng văn hóa -  xã hội"},  # spacing and case differ
        ],
    )


def test_assessment_assigns_every_leaf_from_the_default_unit_names(criteria_set, commune):
    assessment = assessment_create(
        commune=commune, criteria_set=criteria_set, year=2026, period="h1"
    )
    leaves = Criterion.objects.filter(criteria_set=criteria_set, children__isnull=True)
    assert assessment.assignments.count() == leaves.count() == 47
    by_code = {a.criterion.code: a for a in assessment.assignments.select_related("lead_unit")}
    assert by_code["1.2.d"].lead_unit.name == "Trung tâm Phục vụ hành chính công"
    assert by_code["2.2.e"].lead_unit.name == "phòng văn hóa -  xã hội"
    # No unit with that name in this commune: left for leaders to assign.
    assert by_code["1.1.c"].lead_unit is None
    assert "2.2" not in by_code  # parents are not assigned


def test_target_level_must_belong_to_the_set(criteria_set, commune):
    other = CriteriaSet.objects.create(title="Khác")
    level = Level.objects.create(criteria_set=other, name="mức 9")
    with pytest.raises(ValidationError, match="không thuộc bộ tiêu chí"):
        assessment_create(
            commune=commune, criteria_set=criteria_set, year=2026, period="h1", target_level=level
        )
    assert not Assessment.objects.exists()


def test_a_broken_set_cannot_be_used(commune):
    broken = CriteriaSet.objects.create(title="Sai", scale=Decimal(100))
    Criterion.objects.create(criteria_set=broken, code="1", title="A", max_points=50)
    with pytest.raises(ValidationError) as error:
        assessment_create(commune=commune, criteria_set=broken, year=2026, period="h1")
    assert "Tổng điểm các tiêu chí cấp cao nhất là 50, khác thang điểm 100." in error.value.messages


def test_one_assessment_per_commune_year_and_period(criteria_set, commune):
    assessment_create(commune=commune, criteria_set=criteria_set, year=2026, period="h1")
    with pytest.raises(ValidationError, match="đã có kỳ đánh giá"):
        assessment_create(commune=commune, criteria_set=criteria_set, year=2026, period="h1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            commune=commune, criteria_set=criteria_set, year=2026, period="h1"
        )
    assessment_create(commune=commune, criteria_set=criteria_set, year=2026, period="year")


def test_staff_membership_needs_a_unit(commune):
    user = user_create(
        username="lanhdao2", password="x", full_name="Nguyễn Văn B", commune=commune, role="leader"
    )
    assert user.membership.unit is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, commune=commune, role="staff")


def test_user_unit_must_be_in_their_commune(commune):
    other = commune_create(name="Khác", units=[{"name": "Phòng Kinh tế"}])
    with pytest.raises(ValidationError):
        user_create(
            username="x",
            password="x",
            full_name="A B",
            commune=commune,
            role="staff",
            unit=other.units.get(),
        )


def test_assignment_update_refuses_foreign_units(criteria_set, commune):
    assessment = assessment_create(
        commune=commune, criteria_set=criteria_set, year=2026, period="h1"
    )
    other = commune_create(name="Khác", units=[{"name": "Phòng Kinh tế"}])
    assignment = assessment.assignments.first()
    with pytest.raises(ValidationError, match="không thuộc xã"):
        assignment_update(
            assignment=assignment, lead_unit=other.units.get(), supporting_units=[], by=None
        )
    assert Assignment.objects.get(pk=assignment.pk).lead_unit == assignment.lead_unit


def test_admin_creates_an_assessment_with_its_assignments(admin_client, criteria_set, commune):
    level = criteria_set.levels.get(name="mức 2")
    response = admin_client.post(
        "/admin/assessments/assessment/add/",
        {
            "commune": commune.pk,
            "criteria_set": criteria_set.pk,
            "year": 2027,
            "period": "h1",
            "status": "open",
            "target_level": level.pk,
            "registration_number": "12/UBND-VHXH",
            "registration_date": "15/01/2027",
            "registration_recipient": "Sở Nội vụ thành phố",
            "plan_number": "",
            "plan_date": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment = Assessment.objects.get(year=2027)
    assert assessment.assignments.count() == 47
    assert assessment.target_level == level


def test_admin_refuses_an_assessment_on_a_broken_set(admin_client, commune):
    broken = CriteriaSet.objects.create(title="Sai", scale=Decimal(100))
    Criterion.objects.create(criteria_set=broken, code="1", title="A", max_points=50)
    response = admin_client.post(
        "/admin/assessments/assessment/add/",
        {
            "commune": commune.pk,
            "criteria_set": broken.pk,
            "year": 2027,
            "period": "h1",
            "status": "open",
            "registration_recipient": "",
        },
    )
    assert response.status_code == 200
    assert "Bộ tiêu chí chưa hợp lệ" in response.content.decode()
    assert not Assessment.objects.exists()


def test_admin_cannot_edit_a_set_in_use(admin_client, criteria_set, commune):
    assessment_create(commune=commune, criteria_set=criteria_set, year=2026, period="h1")
    criterion = criteria_set.criteria.get(code="1")
    response = admin_client.post(
        f"/admin/criteria/criterion/{criterion.pk}/change/",
        {
            "criteria_set": criteria_set.pk,
            "code": "1",
            "title": "Đổi",
            "max_points": "30",
            "order": 1,
        },
    )
    assert response.status_code == 403
    criterion.refresh_from_db()
    assert criterion.max_points == Decimal(24)
