"""The rule book (assessments/access.py): roles per commune and the units of a sub-criterion,
where the object methods and the queryset filters must agree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from assessments import access
from assessments.models import Assignment, Membership

pytestmark = pytest.mark.django_db


def test_role_in_is_the_role_in_that_commune_only(
    demo, own_staff, leader, secretary, administrator, outsider
):
    assert access.role_in(own_staff, demo.commune) == Membership.Role.STAFF
    assert access.role_in(leader, demo.assessment) == Membership.Role.LEADER
    assert access.role_in(secretary, demo.commune.pk) == Membership.Role.SECRETARY
    assert access.role_in(administrator, demo.commune) == access.ADMIN
    assert access.role_in(administrator, demo.other_commune) == access.ADMIN
    assert access.role_in(outsider, demo.commune) is None
    assert access.role_in(outsider, demo.other_commune) == Membership.Role.LEADER
    assert access.role_in(AnonymousUser(), demo.commune) is None


def test_the_wrappers_follow_the_role(demo, own_staff, leader, secretary, administrator, outsider):
    a = demo.assessment
    assert [access.is_leader(u, a) for u in (own_staff, leader, secretary, administrator)] == [
        False,
        True,
        False,
        True,
    ]
    assert [access.is_secretary(u, a) for u in (own_staff, leader, secretary, administrator)] == [
        False,
        False,
        True,
        True,
    ]
    assert [access.is_reviewer(u, a) for u in (own_staff, leader, secretary, outsider)] == [
        False,
        True,
        True,
        False,
    ]
    assert access.is_member(own_staff, a) and not access.is_member(outsider, a)


def test_units_of_a_sub_criterion_agree_with_the_queryset_filters(
    demo, own_criterion, own_staff, supporting_staff, other_staff
):
    assignments = Assignment.objects.filter(assessment=demo.assessment).prefetch_related(
        "supporting_units"
    )
    for user in (own_staff, supporting_staff, other_staff):
        unit = user.membership.unit
        for method, name in (
            (Assignment.is_led_by, "led_by"),
            (Assignment.is_supported_by, "supported_by"),
            (Assignment.concerns, "concerning"),
        ):
            by_method = {a.pk for a in assignments if method(a, unit)}
            by_filter = set(getattr(assignments, name)(unit).values_list("pk", flat=True))
            assert by_method == by_filter, (user.username, name)
    assert own_criterion.is_led_by(own_staff.membership.unit)
    assert own_criterion.is_supported_by(supporting_staff.membership.unit)
    assert not own_criterion.is_led_by(supporting_staff.membership.unit)
    assert not own_criterion.concerns(other_staff.membership.unit)
    assert not own_criterion.concerns(None)


def test_a_collective_lead_concerns_every_unit(demo, other_staff):
    collective = Assignment.objects.filter(
        assessment=demo.assessment, lead_unit__is_collective=True
    ).first()
    assert collective is not None
    assert collective.is_led_by(other_staff.membership.unit)
    assert Assignment.objects.led_by(other_staff.membership.unit).filter(pk=collective.pk).exists()


def test_the_staff_window_is_decided_once(demo, own_staff, leader):
    assessment = demo.assessment
    assessment.scoring_deadline = dt.date(2026, 6, 30)
    assert access.staff_window_open(assessment, today=dt.date(2026, 6, 30))
    assert not access.staff_window_open(assessment, today=dt.date(2026, 7, 1))
    assessment.scoring_deadline = dt.date(2000, 1, 1)
    assert not access.may_change_after_deadline(own_staff, assessment)
    assert access.may_change_after_deadline(leader, assessment)
    assessment.status = assessment.Status.LOCKED
    assessment.scoring_deadline = None
    assert not access.staff_window_open(assessment)


def test_after_the_deadline_each_refusal_names_who_still_may(
    demo, own_staff, secretary, leader, own_criterion
):
    """Scores and deletions: leaders only; adding evidence: leaders and the secretary."""
    assessment = demo.assessment
    assessment.scoring_deadline = dt.date(2000, 1, 1)
    assert access.upload_refusal(own_staff, assessment, own_criterion) == (
        "Đã quá hạn tự chấm điểm; chỉ lãnh đạo và văn thư mới tải thêm được minh chứng."
    )
    assert access.upload_refusal(secretary, assessment, own_criterion) == ""
    assert access.upload_refusal(leader, assessment, own_criterion) == ""
    assert access.WINDOW_CLOSED == "Đã quá hạn tự chấm điểm; chỉ lãnh đạo mới thay đổi được."


def test_only_leaders_and_administrators_read_the_audit_trail(
    demo, own_staff, secretary, leader, administrator
):
    assert access.audit_scope(own_staff) is None
    assert access.audit_scope(secretary) is None
    assert access.can_read_audit(leader) and not access.reads_every_commune(leader)
    assert access.reads_every_commune(administrator)
    assert not access.can_read_audit(AnonymousUser())


def test_an_unknown_rule_name_is_refused():
    with pytest.raises(ValueError):
        access.rule("everyone")
