"""Write actions on communes, people, assessments and assignments."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.models import Assessment, Assignment, Commune, Membership, Unit
from criteria.models import CriteriaSet, Level
from criteria.services import criteria_set_problems

User = get_user_model()


def unit_key(name: str) -> str:
    """Compare unit names as people write them: case, accents' encoding and spaces vary."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@transaction.atomic
def commune_create(
    *,
    name: str,
    kind: str = Commune.Kind.XA,
    city: str = "Hải Phòng",
    address: str = "",
    units: list[dict] | None = None,
) -> Commune:
    commune = Commune.objects.create(name=name, kind=kind, city=city, address=address)
    for order, unit in enumerate(units or [], start=1):
        Unit.objects.create(commune=commune, order=order, **unit)
    return commune


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    full_name: str,
    commune: Commune,
    role: str,
    unit: Unit | None = None,
    title: str = "",
    email: str = "",
) -> User:
    if unit is not None and unit.commune_id != commune.pk:
        raise ValidationError(f"Đơn vị “{unit}” không thuộc {commune}.")
    first, _, last = full_name.rpartition(" ")
    user = User.objects.create_user(
        username=username, password=password, email=email, first_name=first, last_name=last
    )
    Membership.objects.create(user=user, commune=commune, unit=unit, role=role, title=title)
    return user


def assessment_problems(
    *, commune: Commune, criteria_set: CriteriaSet, target_level: Level | None
) -> list[str]:
    """Why an assessment cannot be opened with this set and level (empty when it can)."""
    messages = []
    problems = criteria_set_problems(criteria_set)
    if problems:
        messages += ["Bộ tiêu chí chưa hợp lệ nên chưa thể dùng để đánh giá:", *problems]
    if criteria_set.status == CriteriaSet.Status.ARCHIVED:
        messages.append("Bộ tiêu chí đã lưu trữ, không dùng cho kỳ đánh giá mới.")
    if target_level is not None and target_level.criteria_set_id != criteria_set.pk:
        messages.append(f"Mức “{target_level.name}” không thuộc bộ tiêu chí đã chọn.")
    return messages


@transaction.atomic
def assessment_create(
    *,
    commune: Commune,
    criteria_set: CriteriaSet,
    year: int,
    period: str,
    target_level: Level | None = None,
    registration_number: str = "",
    registration_date: dt.date | None = None,
    plan_number: str = "",
    plan_date: dt.date | None = None,
) -> Assessment:
    """Open an assessment and assign every leaf to the unit named in the criteria set."""
    problems = assessment_problems(
        commune=commune, criteria_set=criteria_set, target_level=target_level
    )
    if problems:
        raise ValidationError(problems)
    if Assessment.objects.filter(commune=commune, year=year, period=period).exists():
        raise ValidationError(f"{commune} đã có kỳ đánh giá này.")
    assessment = Assessment.objects.create(
        commune=commune,
        criteria_set=criteria_set,
        year=year,
        period=period,
        target_level=target_level,
        registration_number=registration_number,
        registration_date=registration_date,
        plan_number=plan_number,
        plan_date=plan_date,
    )
    units = {unit_key(unit.name): unit for unit in commune.units.all()}
    criteria = list(criteria_set.criteria.all())
    parents = {node.parent_id for node in criteria}
    Assignment.objects.bulk_create(
        Assignment(
            assessment=assessment,
            criterion=node,
            lead_unit=units.get(unit_key(node.default_lead_unit)),
        )
        for node in criteria
        if node.pk not in parents
    )
    if criteria_set.status == CriteriaSet.Status.DRAFT:
        criteria_set.status = CriteriaSet.Status.IN_USE
        criteria_set.save(update_fields=["status"])
    return assessment


@transaction.atomic
def assignment_update(
    *, assignment: Assignment, lead_unit: Unit | None, supporting_units: list[Unit], by: User
) -> Assignment:
    commune_id = assignment.assessment.commune_id
    for unit in [lead_unit, *supporting_units]:
        if unit is not None and unit.commune_id != commune_id:
            raise ValidationError(f"Đơn vị “{unit}” không thuộc xã của kỳ đánh giá.")
    if lead_unit is not None and lead_unit in supporting_units:
        raise ValidationError("Đơn vị chủ trì không thể đồng thời là đơn vị phối hợp.")
    assignment.lead_unit = lead_unit
    assignment.updated_by = by
    assignment.save(update_fields=["lead_unit", "updated_by", "updated_at"])
    assignment.supporting_units.set(supporting_units)
    return assignment
