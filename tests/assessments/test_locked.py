"""Locked means locked: once leaders lock the assessment, comments and reassignments are
refused like score changes, by the services and by the pages (which stop offering them)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.models import Assessment, Assignment, ScoreEvent, Unit
from assessments.services import (
    assessment_lock,
    assessment_reopen,
    assignment_update,
    score_comment,
)
from tests.assessments.test_score_views import messages_of, page_url, score_of, url

COMMENT_LOCKED = "Kỳ đánh giá đã khóa. Lãnh đạo cần mở lại trước khi góp ý."
ASSIGN_LOCKED = "Kỳ đánh giá đã khóa. Lãnh đạo cần mở lại trước khi đổi phân công."


@pytest.fixture
def locked(demo, leader):
    assessment_lock(assessment=demo.assessment, by=leader, reason="Tổng hợp")
    demo.assessment.refresh_from_db()
    return demo


def assignment_of(demo, code) -> Assignment:
    return Assignment.objects.get(assessment=demo.assessment, criterion__code=code)


def lead_and_supporting(assignment: Assignment):
    assignment.refresh_from_db()
    return assignment.lead_unit_id, sorted(assignment.supporting_units.values_list("pk", flat=True))


def units(demo, *short_names) -> list[Unit]:
    return [demo.commune.units.get(short_name=name) for name in short_names]


# -- services -------------------------------------------------------------------------------------


def test_comment_is_refused_once_locked(locked):
    score = score_of(locked, "1.1.j")
    with pytest.raises(ValidationError) as refused:
        score_comment(score=score, by=locked.user("kinhte"), comment="Góp ý muộn.")
    assert refused.value.messages == [COMMENT_LOCKED]
    assert not ScoreEvent.objects.exists()


def test_comment_reads_the_lock_from_the_database_not_the_callers_copy(demo, other_staff):
    score = score_of(demo, "1.1.j")
    score.assessment  # noqa: B018 - the caller's copy, loaded while still open
    Assessment.objects.filter(pk=demo.assessment.pk).update(status=Assessment.Status.LOCKED)
    with pytest.raises(ValidationError, match="trước khi góp ý"):
        score_comment(score=score, by=other_staff, comment="Góp ý.")


def test_comment_is_accepted_again_after_reopening(locked):
    assessment_reopen(assessment=locked.assessment, by=locked.user("lanhdao"), reason="Bổ sung")
    score_comment(score=score_of(locked, "1.1.j"), by=locked.user("kinhte"), comment="Góp ý.")
    assert ScoreEvent.objects.get().comment == "Góp ý."


def test_reassignment_is_refused_once_locked(locked):
    assignment = assignment_of(locked, "2.2.e")
    before = lead_and_supporting(assignment)
    kinh_te, van_phong = units(locked, "KT", "VP")
    with pytest.raises(ValidationError) as refused:
        assignment_update(
            assignment=assignment,
            lead_unit=kinh_te,
            supporting_units=[van_phong],
            by=locked.user("lanhdao"),
        )
    assert refused.value.messages == [ASSIGN_LOCKED]
    assert lead_and_supporting(assignment) == before


def test_reopening_an_open_assessment_is_refused(demo, leader):
    with pytest.raises(ValidationError, match="đang mở"):
        assessment_reopen(assessment=demo.assessment, by=leader, reason="Nhầm")
    assert not demo.assessment.events.exists()


# -- pages ----------------------------------------------------------------------------------------


def test_locked_criterion_page_offers_no_comment_form_and_no_reassignment(
    client, locked, login_as, leader
):
    login_as(leader)
    html = client.get(page_url(locked, "1.1.j")).content.decode()
    assert url("score_comment", locked, "1.1.j") not in html
    assert url("assignment_edit", locked, "1.1.j") not in html
    tree = client.get(reverse("assessments:detail", args=[locked.assessment.pk]))
    assert url("assignment_edit", locked, "1.1.j") not in tree.content.decode()


def test_open_criterion_page_offers_both(client, demo, login_as, leader):
    login_as(leader)
    html = client.get(page_url(demo, "1.1.j")).content.decode()
    assert url("score_comment", demo, "1.1.j") in html
    assert url("assignment_edit", demo, "1.1.j") in html


def test_comment_posted_to_a_locked_assessment_is_refused(client, locked, login_as, other_staff):
    login_as(other_staff)
    response = client.post(
        url("score_comment", locked, "1.1.j"), {"comment": "Góp ý muộn."}, follow=True
    )
    assert messages_of(response) == [COMMENT_LOCKED]
    assert not ScoreEvent.objects.exists()


def test_locked_assignment_page_shows_who_does_what_without_a_form(
    client, locked, login_as, leader
):
    login_as(leader)
    response = client.get(url("assignment_edit", locked, "2.2.e"))
    assert response.status_code == 200
    assert response.context["form"] is None
    html = response.content.decode()
    assert ASSIGN_LOCKED in html
    assert 'name="lead_unit"' not in html
    assert "Phòng Văn hóa - Xã hội" in html  # the lead unit, read-only


def test_reassignment_posted_to_a_locked_assessment_is_refused(client, locked, login_as, leader):
    assignment = assignment_of(locked, "2.2.e")
    before = lead_and_supporting(assignment)
    kinh_te, van_phong = units(locked, "KT", "VP")
    login_as(leader)
    response = client.post(
        url("assignment_edit", locked, "2.2.e"),
        {"lead_unit": kinh_te.pk, "supporting_units": [van_phong.pk]},
    )
    assert response.status_code == 200
    assert ASSIGN_LOCKED in messages_of(response)
    assert lead_and_supporting(assignment) == before


@pytest.mark.parametrize("username", ["vhxh", "vanthu"])
def test_locked_assignment_page_is_still_for_leaders_only(client, locked, login_as, username):
    login_as(username)
    assert client.get(url("assignment_edit", locked, "2.2.e")).status_code == 403


def test_reopen_of_an_open_assessment_says_so(client, demo, login_as, leader):
    login_as(leader)
    response = client.post(url("reopen", demo), {"reason": "Nhầm"}, follow=True)
    assert messages_of(response) == ["Kỳ đánh giá đang mở, không cần mở lại."]
    assert not demo.assessment.events.exists()


def test_admin_shows_the_assignments_of_a_locked_assessment_read_only(
    client, locked, login_as, administrator
):
    login_as(administrator)
    page = reverse("admin:assessments_assessment_change", args=[locked.assessment.pk])
    html = client.get(page).content.decode()
    assert "assignments-0-lead_unit" not in html
    assessment_reopen(assessment=locked.assessment, by=locked.user("lanhdao"), reason="Sửa")
    assert "assignments-0-lead_unit" in client.get(page).content.decode()
