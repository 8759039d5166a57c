"""Deadlines (issue 12): leaders set the assessment's and units' own, recorded with who and
why; the staff's window follows their unit's deadline; late units and what they owe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import access
from assessments.models import Assessment, Score, Unit, UnitDeadline
from assessments.selectors import late_units, unit_dues
from assessments.services import (
    assessment_deadline_set,
    score_propose,
    unit_deadline_remove,
    unit_deadline_set,
)
from audit.models import AuditEntry
from tests.queries import at_most

TODAY = timezone.localdate()
PAST = TODAY - dt.timedelta(days=2)
LATER = TODAY + dt.timedelta(days=10)


def page(demo):
    return reverse("assessments:deadlines", args=[demo.assessment.pk])


def unit_url(demo, unit, name="unit_deadline"):
    return reverse(f"assessments:{name}", args=[demo.assessment.pk, unit.pk])


def past_deadline(demo):
    Assessment.objects.filter(pk=demo.assessment.pk).update(scoring_deadline=PAST)
    demo.assessment.refresh_from_db()


def fresh(demo) -> Assessment:
    return Assessment.objects.get(pk=demo.assessment.pk)


@pytest.fixture
def own_unit(own_staff) -> Unit:
    return own_staff.membership.unit


# -- setting deadlines ---------------------------------------------------------------------------


def test_a_leader_sets_the_assessments_deadline_with_a_reason(client, demo, login_as, leader):
    login_as(leader)
    response = client.get(page(demo))
    assert response.status_code == 200
    assert "Hạn tự chấm điểm" in response.content.decode()
    response = client.post(
        page(demo),
        {"deadline": LATER.isoformat(), "reason": "Theo Kế hoạch 62/KH-UBND.", "expected": ""},
    )
    assert response.status_code == 302
    assert fresh(demo).scoring_deadline == LATER
    entry = AuditEntry.objects.filter(target_id=str(demo.assessment.pk)).latest("id")
    assert entry.user_id == leader.pk
    assert entry.action == AuditEntry.Action.DEADLINE_SET
    assert "Theo Kế hoạch 62/KH-UBND." in entry.summary
    assert f"{LATER:%d/%m/%Y}" in entry.summary


def test_the_assessments_deadline_needs_a_reason_and_refuses_a_stale_form(
    client, demo, login_as, leader
):
    login_as(leader)
    response = client.post(page(demo), {"deadline": LATER.isoformat(), "reason": ""})
    assert response.status_code == 200
    assert "Phải ghi lý do" in response.content.decode()
    assert fresh(demo).scoring_deadline is None
    # Someone set a deadline after this form was shown (with none): refused, not overwritten.
    assessment_deadline_set(assessment=demo.assessment, deadline=PAST, by=leader, reason="Đầu.")
    response = client.post(
        page(demo), {"deadline": LATER.isoformat(), "reason": "Lùi hạn.", "expected": ""}
    )
    assert "vừa được người khác đổi" in response.content.decode()
    assert fresh(demo).scoring_deadline == PAST


def test_a_unit_deadline_is_recorded_with_who_and_why(client, demo, login_as, leader, own_unit):
    login_as(leader)
    response = client.post(
        unit_url(demo, own_unit), {"deadline": LATER.isoformat(), "reason": "Cán bộ nghỉ ốm."}
    )
    assert response.status_code == 302
    row = UnitDeadline.objects.get(assessment=demo.assessment, unit=own_unit)
    assert (row.deadline, row.reason, row.set_by) == (LATER, "Cán bộ nghỉ ốm.", leader)
    html = client.get(page(demo)).content.decode()
    assert "Cán bộ nghỉ ốm." in html
    assert leader.get_full_name() in html
    entry = AuditEntry.objects.latest("id")
    assert entry.unit_id == own_unit.pk
    assert entry.action == AuditEntry.Action.DEADLINE_SET
    assert "Gia hạn tự chấm điểm cho Phòng Văn hóa - Xã hội" in entry.summary
    # Removing it: the unit follows the assessment's deadline again.
    response = client.post(
        unit_url(demo, own_unit, "unit_deadline_remove"), {"expected": LATER.isoformat()}
    )
    assert response.status_code == 302
    assert not UnitDeadline.objects.filter(assessment=demo.assessment).exists()


def test_a_unit_deadline_needs_a_date_and_a_reason(client, demo, login_as, leader, own_unit):
    login_as(leader)
    for data in ({"deadline": "", "reason": "Lý do"}, {"deadline": "31/12/2026", "reason": ""}):
        response = client.post(unit_url(demo, own_unit), data, follow=True)
        assert not UnitDeadline.objects.exists()
        assert "Chưa nhập hạn" in response.content.decode() or "Phải ghi lý do" in (
            response.content.decode()
        )


def test_another_communes_unit_is_refused(client, demo, login_as, leader):
    other_unit = demo.other_commune.units.first()
    login_as(leader)
    response = client.post(
        unit_url(demo, other_unit), {"deadline": LATER.isoformat(), "reason": "Thử."}
    )
    assert response.status_code == 404
    with pytest.raises(ValidationError, match="không thuộc xã"):
        unit_deadline_set(
            assessment=demo.assessment, unit=other_unit, deadline=LATER, reason="Thử.", by=leader
        )
    assert not UnitDeadline.objects.exists()


@pytest.mark.parametrize("persona", ["own_staff", "secretary"])
def test_only_leaders_set_deadlines(client, demo, login_as, request, persona, own_unit):
    login_as(request.getfixturevalue(persona))
    assert client.get(page(demo)).status_code == 403
    data = {"deadline": LATER.isoformat(), "reason": "Tự gia hạn."}
    assert client.post(unit_url(demo, own_unit), data).status_code == 403
    assert client.post(page(demo), data).status_code == 403
    assert not UnitDeadline.objects.exists()
    assert fresh(demo).scoring_deadline is None


def test_a_locked_assessments_deadlines_are_not_changed(client, demo, login_as, leader, own_unit):
    Assessment.objects.filter(pk=demo.assessment.pk).update(status=Assessment.Status.LOCKED)
    with pytest.raises(ValidationError, match="khóa"):
        unit_deadline_set(
            assessment=fresh(demo), unit=own_unit, deadline=LATER, reason="Gia hạn.", by=leader
        )
    login_as(leader)
    html = client.get(page(demo)).content.decode()
    assert "không đổi được hạn" in html and "Gia hạn</summary>" not in html
    response = client.post(page(demo), {"deadline": LATER.isoformat(), "reason": "Lùi hạn."})
    assert "Kỳ đánh giá đã khóa" in response.content.decode()
    assert fresh(demo).scoring_deadline is None


# -- the staff's window follows their unit's deadline ---------------------------------------------


def test_an_extension_reopens_the_window_for_that_units_staff_only(
    demo, own_staff, other_staff, leader, own_unit, own_criterion
):
    past_deadline(demo)
    assert not access.staff_window_open_for(own_staff, fresh(demo))
    unit_deadline_set(
        assessment=demo.assessment, unit=own_unit, deadline=LATER, reason="Gia hạn.", by=leader
    )
    assessment = fresh(demo)
    assert access.effective_deadline(assessment, own_unit) == LATER
    assert access.staff_window_open_for(own_staff, assessment)
    assert not access.staff_window_open_for(other_staff, assessment)
    assert access.may_change_after_deadline(own_staff, assessment)
    assert not access.may_change_after_deadline(other_staff, assessment)
    # Uploads and scoring, the two uses of the window.
    assert access.upload_refusal(own_staff, assessment, own_criterion) == ""
    score = Score.objects.get(assessment=assessment, criterion=own_criterion.criterion)
    score_propose(
        score=score,
        by=own_staff,
        expected_version=score.version,
        points=Decimal("0"),
        result_text="Đang làm.",
        shortfall_reason="Chưa xong.",
    )
    # Removing the extension closes it again.
    unit_deadline_remove(assessment=assessment, unit=own_unit, by=leader)
    assert not access.staff_window_open_for(own_staff, fresh(demo))


def test_an_earlier_unit_deadline_closes_that_units_window(demo, own_staff, leader, own_unit):
    assessment_deadline_set(assessment=demo.assessment, deadline=LATER, by=leader, reason="Hạn.")
    unit_deadline_set(
        assessment=demo.assessment, unit=own_unit, deadline=PAST, reason="Xong sớm.", by=leader
    )
    assessment = fresh(demo)
    assert not access.staff_window_open_for(own_staff, assessment)
    assert access.staff_window_open(assessment)  # the assessment's own deadline is later
    with pytest.raises(ValidationError, match="quá hạn"):
        score = Score.objects.filter(assessment=assessment).first()
        score_propose(score=score, by=own_staff, expected_version=None, points=Decimal("0"))


def test_the_staff_upload_is_refused_after_their_units_deadline(
    client, demo, login_as, own_staff, leader, own_unit, own_criterion
):
    unit_deadline_set(
        assessment=demo.assessment, unit=own_unit, deadline=PAST, reason="Hạn sớm.", by=leader
    )
    assert access.upload_refusal(own_staff, fresh(demo), own_criterion) == (
        access.WINDOW_CLOSED_FOR_UPLOADS
    )


# -- lateness ------------------------------------------------------------------------------------


def test_late_units_and_what_they_owe(demo, own_staff, leader, own_unit):
    assert late_units(demo.assessment) == []  # no deadline yet
    past_deadline(demo)
    late = {row.unit.pk: row for row in late_units(fresh(demo))}
    assert own_unit.pk in late
    owed = late[own_unit.pk].items
    assert owed and all(score.status in ("not_started", "draft", "returned") for score in owed)
    # Submitted items are not owed any more; an extension takes the unit off the list.
    unit_deadline_set(
        assessment=demo.assessment, unit=own_unit, deadline=LATER, reason="Gia hạn.", by=leader
    )
    assert own_unit.pk not in {row.unit.pk for row in late_units(fresh(demo))}
    rows = {row.unit.pk: row for row in unit_dues(fresh(demo))}
    assert rows[own_unit.pk].deadline == LATER and rows[own_unit.pk].own is not None


def test_a_submitted_item_is_not_owed(demo, own_staff, own_unit, own_criterion):
    past_deadline(demo)
    before = {row.unit.pk: len(row.items) for row in late_units(fresh(demo))}[own_unit.pk]
    Score.objects.filter(assessment=demo.assessment, criterion=own_criterion.criterion).update(
        status=Score.Status.SUBMITTED
    )
    after = {row.unit.pk: len(row.items) for row in late_units(fresh(demo))}.get(own_unit.pk, 0)
    assert after == before - 1


def test_staff_see_how_much_they_still_owe_on_their_home(client, demo, login_as, own_staff):
    login_as(own_staff)
    assert 'data-testid="overdue"' not in client.get(reverse("home")).content.decode()
    past_deadline(demo)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="overdue"' in html
    assert "Quá hạn: còn" in html and "tiêu chí chưa gửi" in html


def test_the_dashboard_marks_late_units(client, demo, login_as, leader, own_unit):
    login_as(leader)
    url = reverse("reports:dashboard", args=[demo.assessment.pk])
    html = client.get(url).content.decode()
    assert "Không có đơn vị nào quá hạn" in html
    assert reverse("assessments:deadlines", args=[demo.assessment.pk]) in html
    past_deadline(demo)
    html = client.get(url).content.decode()
    assert "đơn vị quá hạn tự chấm điểm" in html
    assert own_unit.name in html


# -- query counts --------------------------------------------------------------------------------

# Expect at most 9 queries: session, user, membership, assessment (with commune and set),
# units' own deadlines (with who set them), units, owed scores (with their lead unit and
# criterion), the bell, and one to spare for the criteria set's draft banner.
DEADLINES_PAGE = "session, user, membership, assessment, deadlines, units, scores, bell"


def test_the_deadlines_page_costs_the_same_with_more_units_and_extensions(
    client, demo, login_as, leader
):
    past_deadline(demo)
    login_as(leader)
    with at_most(9, DEADLINES_PAGE) as few:
        assert client.get(page(demo)).status_code == 200
    for n in range(6):
        unit = Unit.objects.create(commune=demo.commune, name=f"Đơn vị thêm {n}", order=50 + n)
        unit_deadline_set(
            assessment=demo.assessment, unit=unit, deadline=PAST, reason=f"Lý do {n}", by=leader
        )
    with at_most(9, DEADLINES_PAGE) as many:
        assert client.get(page(demo)).status_code == 200
    assert len(many) == len(few)


def test_late_units_cost_four_queries_whatever_the_rows(demo, leader):
    past_deadline(demo)
    # Expect 4 queries: the units' own deadlines, the units, the owed scores with their lead
    # unit and criterion (one query), none per row.
    with at_most(4, "own deadlines, units, owed scores") as few:
        late_units(fresh(demo))
    for n in range(5):
        unit = Unit.objects.create(commune=demo.commune, name=f"Đơn vị muộn {n}", order=60 + n)
        unit_deadline_set(
            assessment=demo.assessment, unit=unit, deadline=PAST, reason="Muộn.", by=leader
        )
    with at_most(4, "own deadlines, units, owed scores") as many:
        late_units(fresh(demo))
    assert len(many) == len(few)
