"""The scoring workflow over HTTP: every transition, allowed and refused, by role.

The services' own rules (steps, tiers, totals) are in test_scoring.py; here each view is
driven the way a browser does, and the permission boundary is checked for every persona.
"""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    AdjustmentEntry,
    Assessment,
    AssessmentEvent,
    Assignment,
    Score,
    ScoreEvent,
    Unit,
)
from assessments.services import (
    assessment_lock,
    assignment_update,
    score_approve,
    score_comment,
    score_propose,
    score_return,
)
from criteria.models import Adjustment
from tests.queries import at_most

NGHI_DUONG = ["vhxh", "ttpvhcc", "vanphong", "kinhte", "lanhdao", "chutich", "vanthu"]
LEADERS = ["lanhdao", "chutich", "admin"]
OUTSIDERS = ["anlao_lanhdao", "anlao_vhxh"]


# -- helpers ------------------------------------------------------------------------------------


def score_of(demo, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=code
    )


def criterion_pk(demo, code) -> int:
    return demo.assessment.criteria_set.criteria.get(code=code).pk


def url(name, demo, code=None):
    args = [demo.assessment.pk] + ([criterion_pk(demo, code)] if code else [])
    return reverse(f"assessments:{name}", args=args)


def page_url(demo, code):
    return url("criterion", demo, code)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def propose_data(score: Score, action="save", **fields) -> dict:
    data = {"version": score.version, "action": action}
    if action == "submit":
        # The demo's sub-criteria have no evidence: these tests are about the other rules
        # and submit as a person who confirmed (tests/assessments/test_discipline.py
        # covers the evidence warning itself).
        data["confirm_missing_evidence"] = "1"
    data.update(fields)
    return data


def proposed(demo, code, user="vhxh", submit=True, **fields) -> Score:
    """A proposal made through the service, as the set-up of a view test."""
    score = score_of(demo, code)
    fields.setdefault("result_text", "Đã thực hiện.")
    return score_propose(
        score=score, by=demo.user(user), expected_version=score.version, submit=submit, **fields
    )


def snapshot(score: Score) -> tuple:
    score.refresh_from_db()
    return (score.status, score.version, score.proposed_points, score.leader_points)


# -- propose: save and submit -------------------------------------------------------------------


def test_lead_unit_staff_saves_a_draft_then_submits(client, demo, login_as, own_staff):
    login_as(own_staff)
    score = score_of(demo, "1.1.j")
    response = client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(score, points="2", result_text="Niêm yết, Cổng thông tin điện tử."),
    )
    assert response.status_code == 302
    assert response.url == page_url(demo, "1.1.j") + "#cham-diem"
    score.refresh_from_db()
    assert (score.status, score.proposed_points, score.version) == ("draft", D(2), 1)
    assert score.proposed_by.username == "vhxh"

    response = client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(
            score,
            "submit",
            points="2",
            result_text="Niêm yết, Cổng thông tin điện tử.",
            shortfall_reason="Chưa có Fanpage.",
        ),
        follow=True,
    )
    assert "Đã gửi điểm tiêu chí 1.1.j cho lãnh đạo." in messages_of(response)
    score.refresh_from_db()
    assert (score.status, score.shortfall_reason) == ("submitted", "Chưa có Fanpage.")
    assert list(score.events.order_by("id").values_list("action", flat=True)) == ["save", "submit"]
    # Once sent, the unit sees the ledger but no form; the history says what its text is.
    assert response.context["form"] is None
    html = response.content.decode()
    assert 'data-testid="score-form"' not in html
    assert "Lý do chưa thực hiện: Chưa có Fanpage." in html


def test_submit_without_what_the_leaders_need_is_refused(client, demo, login_as, own_staff):
    login_as(own_staff)
    score = score_of(demo, "1.1.j")
    response = client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(score, "submit", points="2", result_text="Một phần."),
        follow=True,
    )
    assert messages_of(response) == [
        "Tiêu chí 1.1.j: điểm thấp hơn điểm tối đa nên phải ghi lý do chưa thực hiện."
    ]
    assert snapshot(score) == ("not_started", 0, None, None)


def test_pass_fail_and_not_arising_over_http(client, demo, login_as, own_staff):
    """2.2.e is scored đạt / không đạt; "không phát sinh" counts as 0 points."""
    login_as(own_staff)
    score = score_of(demo, "2.2.e")
    client.post(
        url("score_propose", demo, "2.2.e"),
        propose_data(score, passed="1", result_text="Đã gửi 02 thư biểu dương."),
    )
    score.refresh_from_db()
    assert (score.proposed_points, score.not_arising) == (D(1), False)
    client.post(
        url("score_propose", demo, "2.2.e"),
        propose_data(
            score,
            "submit",
            not_arising="on",
            shortfall_reason="Không có công dân có sáng kiến đề nghị công nhận.",
        ),
    )
    score.refresh_from_db()
    assert (score.status, score.proposed_points, score.not_arising) == ("submitted", D(0), True)


def test_tiers_compute_the_points_from_the_two_numbers(client, demo, login_as, other_staff):
    login_as(other_staff)  # "Các cơ quan, đơn vị" leads 2.1.a: any unit's staff proposes
    score = score_of(demo, "2.1.a")
    client.post(
        url("score_propose", demo, "2.1.a"),
        propose_data(score, numerator="249", denominator="249", result_text="Đúng hạn cả."),
    )
    score.refresh_from_db()
    assert (score.numerator, score.denominator, score.proposed_points) == (D(249), D(249), D(5))


def test_an_invalid_number_is_explained_by_its_field(client, demo, login_as, own_staff):
    login_as(own_staff)
    score = score_of(demo, "1.1.j")
    response = client.post(
        url("score_propose", demo, "1.1.j"), propose_data(score, points="-1"), follow=True
    )
    assert any(m.startswith("Điểm tự chấm: ") for m in messages_of(response))
    assert snapshot(score) == ("not_started", 0, None, None)


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("vhxh", "1.1.j"),  # lead unit
        ("lanhdao", "1.1.j"),
        ("chutich", "1.1.j"),
        ("admin", "1.1.j"),
        ("vhxh", "2.1.a"),  # "Các cơ quan, đơn vị": every unit
        ("ttpvhcc", "2.1.a"),
        ("vanphong", "2.1.a"),
    ],
)
def test_who_may_propose(client, demo, login_as, username, code):
    login_as(username)
    score = score_of(demo, code)
    numbers = {"numerator": "10", "denominator": "10"} if code == "2.1.a" else {"points": "3"}
    fields = {**numbers, "result_text": "Đã thực hiện."}
    response = client.post(url("score_propose", demo, code), propose_data(score, **fields))
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.status, score.proposed_by.username) == ("draft", username)


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("ttpvhcc", "1.1.j"),  # another unit
        ("kinhte", "1.1.j"),
        ("vanphong", "2.2.e"),
        ("vanthu", "1.1.j"),  # the secretary never scores
        ("vanthu", "2.1.a"),
    ],
)
def test_who_may_not_propose(client, demo, login_as, username, code):
    login_as(username)
    score = score_of(demo, code)
    for action in ("save", "submit"):
        response = client.post(
            url("score_propose", demo, code),
            propose_data(score, action, points="3", numerator="1", denominator="1"),
        )
        assert response.status_code == 403
    assert snapshot(score) == ("not_started", 0, None, None)
    # ...and the page offers them no form.
    response = client.get(page_url(demo, code))
    assert response.status_code == 200 and response.context["form"] is None


def test_a_supporting_unit_comments_but_does_not_score(client, demo, login_as, leader, other_staff):
    kinhte = Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế")
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion__code="1.1.j")
    assignment_update(
        assignment=assignment,
        lead_unit=assignment.lead_unit,
        supporting_units=[kinhte],
        by=leader,
    )
    login_as(other_staff)
    response = client.get(page_url(demo, "1.1.j"))
    assert response.context["is_own"] and response.context["form"] is None
    score = score_of(demo, "1.1.j")
    response = client.post(url("score_propose", demo, "1.1.j"), propose_data(score, points="3"))
    assert response.status_code == 403
    response = client.post(
        url("score_comment", demo, "1.1.j"),
        {"comment": "Phòng Kinh tế đã đăng tin trên loa phát thanh."},
        follow=True,
    )
    assert "Đã ghi góp ý." in messages_of(response)
    event = score.events.get()
    assert (event.action, event.user.username) == ("comment", "kinhte")
    assert "Phòng Kinh tế đã đăng tin trên loa phát thanh." in response.content.decode()
    assert snapshot(score) == ("not_started", 0, None, None)


# -- review: approve, return, adjust -----------------------------------------------------------


def review(client, demo, code, action, **fields):
    score = score_of(demo, code)
    data = {"version": score.version, "action": action, **fields}
    if action in ("approve", "adjust"):  # confirmed, as in propose_data
        data.setdefault("confirm_missing_evidence", "1")
    return client.post(url("score_review", demo, code), data, follow=True)


@pytest.mark.parametrize("username", LEADERS)
def test_leaders_approve(client, demo, login_as, username):
    proposed(demo, "1.1.j", points=D(3))
    login_as(username)
    response = client.get(page_url(demo, "1.1.j"))
    assert "Duyệt 3 điểm" in response.content.decode()
    response = review(client, demo, "1.1.j", "approve")
    assert "Đã duyệt điểm tiêu chí 1.1.j." in messages_of(response)
    score = score_of(demo, "1.1.j")
    assert (score.status, score.leader_points, score.leader_by.username) == (
        "approved",
        D(3),
        username,
    )


def test_leader_returns_with_a_comment_and_the_unit_resubmits(
    client, demo, login_as, leader, own_staff
):
    proposed(demo, "1.1.j", points=D(3))
    login_as(leader)
    response = review(client, demo, "1.1.j", "return", comment="  ")
    assert "Phải ghi ý kiến khi trả lại để đơn vị biết cần sửa gì." in messages_of(response)
    assert score_of(demo, "1.1.j").status == "submitted"
    response = review(client, demo, "1.1.j", "return", comment="Bổ sung ảnh chụp bảng niêm yết.")
    assert "Đã trả lại tiêu chí 1.1.j cho đơn vị." in messages_of(response)
    score = score_of(demo, "1.1.j")
    assert (score.status, score.return_comment) == ("returned", "Bổ sung ảnh chụp bảng niêm yết.")

    login_as(own_staff)
    html = client.get(page_url(demo, "1.1.j")).content.decode()
    assert "Bổ sung ảnh chụp bảng niêm yết." in html
    assert "Gửi lại lãnh đạo" in html
    client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(score, "submit", points="3", result_text="Đã bổ sung ảnh."),
    )
    assert score_of(demo, "1.1.j").status == "resubmitted"
    login_as(leader)
    review(client, demo, "1.1.j", "approve")
    score = score_of(demo, "1.1.j")
    assert score.status == "approved"
    assert list(score.events.order_by("id").values_list("action", flat=True)) == [
        "submit",
        "return",
        "resubmit",
        "approve",
    ]


def test_leader_adjusts_with_points_and_a_reason(client, demo, login_as, chairman):
    proposed(demo, "1.1.j", points=D(3))
    login_as(chairman)
    response = review(client, demo, "1.1.j", "adjust", comment="Thiếu loa phát thanh.")
    assert "Chưa nhập điểm điều chỉnh." in messages_of(response)
    response = review(client, demo, "1.1.j", "adjust", points="2", comment="")
    assert "Phải ghi lý do khi lãnh đạo điều chỉnh điểm." in messages_of(response)
    assert score_of(demo, "1.1.j").status == "submitted"
    response = review(client, demo, "1.1.j", "adjust", points="2", comment="Thiếu loa phát thanh.")
    assert "Đã điều chỉnh điểm tiêu chí 1.1.j." in messages_of(response)
    score = score_of(demo, "1.1.j")
    assert (score.status, score.proposed_points, score.leader_points) == ("approved", D(3), D(2))
    assert "Thiếu loa phát thanh." in response.content.decode()


def test_approved_score_can_still_be_returned_or_adjusted(client, demo_scored, login_as, leader):
    login_as(leader)
    response = client.get(page_url(demo_scored, "1.1.j"))
    html = response.content.decode()
    assert response.context["may_review"] and "Duyệt 3 điểm" not in html
    response = review(client, demo_scored, "1.1.j", "adjust", points="2.5", comment="Thiếu tin.")
    assert score_of(demo_scored, "1.1.j").leader_points == D("2.5")
    response = review(client, demo_scored, "1.1.j", "return", comment="Làm lại.")
    score = score_of(demo_scored, "1.1.j")
    assert (score.status, score.leader_points) == ("returned", None)


def test_nothing_to_review_before_it_is_sent(client, demo, login_as, leader):
    proposed(demo, "1.1.j", submit=False, points=D(3))
    login_as(leader)
    response = client.get(page_url(demo, "1.1.j"))
    assert not response.context["may_review"]
    response = review(client, demo, "1.1.j", "approve")
    assert "Tiêu chí 1.1.j chưa được gửi để duyệt." in messages_of(response)
    assert score_of(demo, "1.1.j").status == "draft"


@pytest.mark.parametrize("username", ["vhxh", "ttpvhcc", "kinhte", "vanthu"])
def test_staff_and_secretary_cannot_review(client, demo, login_as, username):
    score = proposed(demo, "1.1.j", points=D(3))
    before = snapshot(score)
    login_as(username)
    assert not client.get(page_url(demo, "1.1.j")).context["may_review"]
    for action, fields in [
        ("approve", {}),
        ("return", {"comment": "Sửa lại."}),
        ("adjust", {"points": "1", "comment": "Thiếu."}),
    ]:
        response = client.post(
            url("score_review", demo, "1.1.j"),
            {"version": score.version, "action": action, **fields},
        )
        assert response.status_code == 403
    assert snapshot(score) == before


def test_a_second_leader_reviewing_an_old_page_is_refused(client, demo, login_as, leader, chairman):
    score = proposed(demo, "1.1.j", points=D(3))
    login_as(leader)
    seen_version = client.get(page_url(demo, "1.1.j")).context["score"].version
    score_return(score=score, by=chairman, expected_version=score.version, comment="Thiếu ảnh.")
    response = client.post(
        url("score_review", demo, "1.1.j"),
        {"version": seen_version, "action": "approve"},
        follow=True,
    )
    [message] = messages_of(response)
    assert message.startswith("Điểm tiêu chí 1.1.j vừa được Phạm Văn Hùng thay đổi")
    assert "trạng thái “Trả lại”" in message
    assert score_of(demo, "1.1.j").status == "returned"


# -- comments -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", [*NGHI_DUONG, "admin"])
def test_any_commune_member_comments_without_changing_the_score(client, demo, login_as, username):
    score = proposed(demo, "1.1.j", points=D(3))
    before = snapshot(score)
    login_as(username)
    response = client.post(
        url("score_comment", demo, "1.1.j"), {"comment": f"Góp ý của {username}."}
    )
    assert response.status_code == 302
    event = score.events.filter(action=ScoreEvent.Action.COMMENT).get()
    assert (event.user.username, event.comment, event.status) == (
        username,
        f"Góp ý của {username}.",
        "submitted",
    )
    assert snapshot(score) == before


def test_an_empty_comment_is_refused(client, demo, login_as, other_staff):
    login_as(other_staff)
    response = client.post(url("score_comment", demo, "1.1.j"), {"comment": ""}, follow=True)
    assert "Góp ý không được để trống." in messages_of(response)
    assert not ScoreEvent.objects.exists()


# -- outsiders and anonymous ---------------------------------------------------------------------


def every_post_url(demo) -> list[str]:
    deduction = demo.assessment.criteria_set.adjustments.get(kind=Adjustment.Kind.DEDUCTION)
    return [
        url("score_propose", demo, "1.1.j"),
        url("score_review", demo, "1.1.j"),
        url("score_comment", demo, "1.1.j"),
        url("submit_unit", demo),
        url("lock", demo),
        url("reopen", demo),
        reverse("assessments:adjustment", args=[demo.assessment.pk, deduction.pk]),
    ]


@pytest.mark.parametrize("username", OUTSIDERS)
def test_another_commune_gets_404_everywhere(client, demo, login_as, username):
    score = score_of(demo, "1.1.j")
    login_as(username)
    assert client.get(page_url(demo, "1.1.j")).status_code == 404
    data = {
        "version": 0,
        "action": "save",
        "points": "3",
        "comment": "x",
        "reason": "x",
        "cases": "1",
    }
    for post_url in every_post_url(demo):
        assert client.post(post_url, data).status_code == 404, post_url
    assert snapshot(score) == ("not_started", 0, None, None)
    assert not ScoreEvent.objects.exists() and not AdjustmentEntry.objects.exists()
    assert Assessment.objects.get(pk=demo.assessment.pk).status == "open"


def test_anonymous_is_sent_to_login(client, demo):
    login = reverse("login")
    assert client.get(page_url(demo, "1.1.j")).url.startswith(login)
    for post_url in every_post_url(demo):
        response = client.post(post_url, {"version": 0, "action": "save", "points": "3"})
        assert response.status_code == 302 and response.url.startswith(login), post_url
    assert not ScoreEvent.objects.exists()


def test_workflow_urls_only_take_posts(client, demo, login_as, leader):
    login_as(leader)
    for post_url in every_post_url(demo):
        assert client.get(post_url).status_code == 405, post_url


# -- a stale form ---------------------------------------------------------------------------------


def test_stale_form_is_refused_and_what_was_typed_comes_back(
    client, demo, login_as, own_staff, leader
):
    login_as(own_staff)
    response = client.get(page_url(demo, "1.1.j"))
    form = response.context["form"]
    assert form.initial["version"] == 0
    # Meanwhile the leader saves another value.
    score = score_of(demo, "1.1.j")
    score_propose(
        score=score,
        by=leader,
        expected_version=0,
        points=D("1.5"),
        result_text="Lãnh đạo nhập.",
    )
    response = client.post(
        url("score_propose", demo, "1.1.j"),
        {
            "version": form.initial["version"],
            "action": "submit",
            "points": "2.5",
            "result_text": "Cán bộ nhập: niêm yết và Cổng thông tin.",
            "shortfall_reason": "Chưa có Fanpage.",
        },
        follow=True,
    )
    [message] = messages_of(response)
    assert message.startswith("Điểm tiêu chí 1.1.j vừa được Lưu Thị Tươi thay đổi lúc ")
    assert "trạng thái “Đang soạn”, điểm 1,5" in message
    assert "Thay đổi của bạn chưa được lưu" in message
    score.refresh_from_db()
    assert (score.status, score.version, score.proposed_points, score.result_text) == (
        "draft",
        1,
        D("1.5"),
        "Lãnh đạo nhập.",
    )
    # The page shows the newer value in the ledger and what they typed in the form, against
    # the newest version, so a second press saves it.
    initial = response.context["form"].initial
    assert initial["version"] == 1
    assert (initial["points"], initial["result_text"], initial["shortfall_reason"]) == (
        "2.5",
        "Cán bộ nhập: niêm yết và Cổng thông tin.",
        "Chưa có Fanpage.",
    )
    html = response.content.decode()
    assert "Cán bộ nhập: niêm yết và Cổng thông tin.</textarea>" in html
    assert "Lãnh đạo nhập." in html  # the ledger
    # The draft is shown once; afterwards the page shows what is saved.
    initial = client.get(page_url(demo, "1.1.j")).context["form"].initial
    assert (initial["points"], initial["result_text"]) == (D("1.5"), "Lãnh đạo nhập.")


def test_stale_draft_keeps_an_unticked_box_unticked(client, demo, login_as, own_staff):
    """2.2.e allows "không phát sinh": an unticked box must come back unticked."""
    login_as(own_staff)
    proposed(demo, "2.2.e", user="lanhdao", submit=False, points=D(1))
    response = client.post(
        url("score_propose", demo, "2.2.e"),
        {"version": 0, "action": "save", "passed": "0", "result_text": "Chưa gửi thư."},
        follow=True,
    )
    assert "vừa được Lưu Thị Tươi thay đổi" in messages_of(response)[0]
    form = response.context["form"]
    assert form.initial["passed"] == "0"
    assert not form["not_arising"].value()
    html = response.content.decode()
    assert 'name="not_arising"' in html
    assert not re.search(r'<input[^>]*name="not_arising"[^>]*checked', html)


def test_a_refused_form_keeps_what_was_typed_too(client, demo, login_as, own_staff):
    login_as(own_staff)
    score = score_of(demo, "1.1.j")
    response = client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(score, points="-1", result_text="Đủ mọi hình thức."),
        follow=True,
    )
    assert messages_of(response)[0].startswith("Điểm tự chấm: ")
    initial = response.context["form"].initial
    assert (initial["points"], initial["result_text"]) == ("-1", "Đủ mọi hình thức.")
    assert snapshot(score) == ("not_started", 0, None, None)


# -- the deadline -------------------------------------------------------------------------------


def test_after_the_deadline_staff_are_refused_and_leaders_are_not(
    client, demo, login_as, own_staff, leader
):
    proposed(demo, "1.1.g", submit=False, points=D(1))  # ready to send, but too late
    Assessment.objects.filter(pk=demo.assessment.pk).update(
        scoring_deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    score = score_of(demo, "1.1.j")
    login_as(own_staff)
    response = client.get(page_url(demo, "1.1.j"))
    assert response.context["form"] is None
    assert "Đã quá hạn tự chấm điểm" in response.content.decode()
    response = client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(score, points="3", result_text="Đã làm."),
        follow=True,
    )
    assert "Đã quá hạn tự chấm điểm; chỉ lãnh đạo mới thay đổi được." in messages_of(response)
    assert snapshot(score) == ("not_started", 0, None, None)
    html = client.get(reverse("home")).content.decode()
    assert "(đã hết hạn)" in html and "Gửi lãnh đạo tất cả" not in html

    login_as(leader)
    assert client.get(page_url(demo, "1.1.j")).context["form"] is not None
    client.post(
        url("score_propose", demo, "1.1.j"),
        propose_data(score, "submit", points="3", result_text="Lãnh đạo chấm thay."),
    )
    assert snapshot(score)[:3] == ("submitted", 1, D(3))


# -- lock and reopen ----------------------------------------------------------------------------


def test_leader_locks_then_nobody_scores_until_reopened_with_a_reason(
    client, demo, login_as, leader, own_staff
):
    score = score_of(demo, "1.1.j")
    login_as(leader)
    dashboard = reverse("reports:dashboard", args=[demo.assessment.pk])
    response = client.post(url("lock", demo), {"reason": "Tổng hợp báo cáo", "next": dashboard})
    assert response.url == dashboard
    assessment = Assessment.objects.get(pk=demo.assessment.pk)
    assert assessment.status == "locked"
    assert assessment.events.get().action == AssessmentEvent.Action.LOCK

    for username in ("vhxh", "lanhdao"):
        login_as(username)
        response = client.get(page_url(demo, "1.1.j"))
        assert response.context["form"] is None
        assert "Kỳ đánh giá đã khóa" in response.content.decode()
        response = client.post(
            url("score_propose", demo, "1.1.j"),
            propose_data(score, points="3", result_text="Đã làm."),
            follow=True,
        )
        locked = "Kỳ đánh giá đã khóa. Lãnh đạo cần mở lại trước khi thay đổi điểm."
        assert locked in messages_of(response)
    assert snapshot(score) == ("not_started", 0, None, None)

    response = client.post(url("reopen", demo), {"reason": " "}, follow=True)
    assert "Phải ghi lý do mở lại kỳ đánh giá." in messages_of(response)
    assert Assessment.objects.get(pk=demo.assessment.pk).status == "locked"
    response = client.post(
        url("reopen", demo),
        {"reason": "Bổ sung minh chứng 1.1.j", "new_deadline": "31/12/2026"},
        follow=True,
    )
    assert "Đã mở lại kỳ đánh giá." in messages_of(response)
    assessment.refresh_from_db()
    assert (assessment.status, assessment.scoring_deadline) == ("open", dt.date(2026, 12, 31))
    assert list(assessment.events.values_list("action", "reason", "user__username")) == [
        ("reopen", "Bổ sung minh chứng 1.1.j", "lanhdao"),
        ("lock", "Tổng hợp báo cáo", "lanhdao"),
    ]
    login_as(own_staff)
    client.post(
        url("score_propose", demo, "1.1.j"), propose_data(score, points="3", result_text="Đã làm.")
    )
    assert snapshot(score)[:3] == ("draft", 1, D(3))


def test_reopen_with_a_bad_date_says_so(client, demo, login_as, leader):
    assessment_lock(assessment=demo.assessment, by=leader)
    login_as(leader)
    response = client.post(
        url("reopen", demo), {"reason": "Bổ sung", "new_deadline": "31/13/2026"}, follow=True
    )
    [message] = messages_of(response)
    assert message.startswith("Hạn tự chấm mới: ")
    assert Assessment.objects.get(pk=demo.assessment.pk).status == "locked"


@pytest.mark.parametrize("username", ["vhxh", "kinhte", "vanthu"])
def test_only_leaders_lock_and_reopen(client, demo, login_as, username, leader):
    login_as(username)
    assert client.post(url("lock", demo), {"reason": "x"}).status_code == 403
    assert Assessment.objects.get(pk=demo.assessment.pk).status == "open"
    assessment_lock(assessment=demo.assessment, by=leader)
    assert client.post(url("reopen", demo), {"reason": "x"}).status_code == 403
    assert Assessment.objects.get(pk=demo.assessment.pk).status == "locked"


def test_next_must_stay_on_the_portal(client, demo, login_as, leader):
    login_as(leader)
    response = client.post(url("lock", demo), {"next": "https://example.com/"})
    assert response.url == reverse("assessments:detail", args=[demo.assessment.pk])


# -- "Gửi lãnh đạo tất cả" ------------------------------------------------------------------


def test_staff_send_every_ready_subcriterion_and_hear_about_the_rest(
    client, demo, login_as, own_staff
):
    proposed(demo, "1.1.j", submit=False, points=D(3))
    proposed(demo, "1.1.g", submit=False, points=D(1))
    proposed(demo, "2.2.e", submit=False, points=D(0))  # no reason for the shortfall yet
    proposed(demo, "1.2.d", user="ttpvhcc", submit=False, points=D(2))  # another unit's
    login_as(own_staff)
    html = client.get(reverse("home")).content.decode()
    confirm_url = url("submit_unit_confirm", demo)
    assert f'href="{confirm_url}"' in html and "Gửi lãnh đạo tất cả tiêu chí đã chấm" in html
    page = client.get(confirm_url)
    plan = page.context["plan"]
    assert [score.criterion.code for score in plan.ready] == ["1.1.g", "1.1.j"]
    assert [(score.criterion.code, why) for score, why in plan.left_out] == [
        ("2.2.e", "điểm thấp hơn điểm tối đa nên phải ghi lý do chưa thực hiện.")
    ]
    response = client.post(
        url("submit_unit", demo),
        {"items": plan.confirmation, "confirm_missing_evidence": "1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert messages_of(response) == ["Đã gửi 2 tiêu chí: 1.1.g, 1.1.j."]
    statuses = dict(
        Score.objects.filter(
            assessment=demo.assessment, criterion__code__in=["1.1.g", "1.1.j", "2.2.e", "1.2.d"]
        ).values_list("criterion__code", "status")
    )
    assert statuses == {
        "1.1.g": "submitted",
        "1.1.j": "submitted",
        "2.2.e": "draft",
        "1.2.d": "draft",
    }
    plan = client.get(confirm_url).context["plan"]
    assert plan.ready == [] and [s.criterion.code for s, _why in plan.left_out] == ["2.2.e"]


def test_nothing_ready_to_send(client, demo, login_as, own_staff):
    login_as(own_staff)
    page = client.get(url("submit_unit_confirm", demo))
    assert 'data-testid="nothing-to-send"' in page.content.decode()
    assert 'data-testid="send-all-form"' not in page.content.decode()
    response = client.post(url("submit_unit", demo), follow=True)
    assert response.redirect_chain[-1][0] == url("submit_unit_confirm", demo)
    assert messages_of(response) == ["Chưa có tiêu chí nào được xác nhận để gửi."]


def test_secretary_cannot_send_for_the_units(client, demo, login_as, secretary):
    proposed(demo, "1.1.j", submit=False, points=D(3))
    login_as(secretary)
    assert client.post(url("submit_unit", demo)).status_code == 403
    assert score_of(demo, "1.1.j").status == "draft"


# -- adjustments --------------------------------------------------------------------------------


def approved_total(client, demo) -> str:
    html = client.get(reverse("reports:dashboard", args=[demo.assessment.pk])).content.decode()
    match = re.search(r'data-testid="approved-total">([^<]+)<', html)
    return match.group(1)


def test_leader_records_deductions_and_the_dashboard_total_drops(
    client, demo_scored, login_as, leader
):
    deduction = demo_scored.assessment.criteria_set.adjustments.get(kind="deduction")
    adjustment_url = reverse(
        "assessments:adjustment", args=[demo_scored.assessment.pk, deduction.pk]
    )
    dashboard = reverse("reports:dashboard", args=[demo_scored.assessment.pk])
    login_as(leader)
    assert approved_total(client, demo_scored) == "80"
    response = client.post(
        adjustment_url, {"cases": "2", "note": "02 công chức khiển trách", "next": dashboard}
    )
    assert response.url == dashboard
    assert approved_total(client, demo_scored) == "74"
    html = client.get(dashboard).content.decode()
    assert "2 trường hợp × 3 điểm (02 công chức khiển trách)" in html
    client.post(adjustment_url, {"cases": "1", "note": ""})
    assert approved_total(client, demo_scored) == "77"
    assert AdjustmentEntry.objects.get().cases == 1
    assert demo_scored.assessment.events.filter(action="adjustment").count() == 2

    response = client.post(adjustment_url, {"cases": "-1"}, follow=True)
    assert "Số trường hợp phải là số nguyên không âm." in messages_of(response)
    assert AdjustmentEntry.objects.get().cases == 1


@pytest.mark.parametrize("username", ["vhxh", "vanthu"])
def test_staff_and_secretary_cannot_record_adjustments(client, demo_scored, login_as, username):
    deduction = demo_scored.assessment.criteria_set.adjustments.get(kind="deduction")
    login_as(username)
    response = client.post(
        reverse("assessments:adjustment", args=[demo_scored.assessment.pk, deduction.pk]),
        {"cases": "2"},
    )
    assert response.status_code == 403
    assert not AdjustmentEntry.objects.exists()


# -- cost of the page ----------------------------------------------------------------------------


def test_criterion_page_query_count_does_not_grow_with_the_history(client, demo, login_as, leader):
    people = [demo.user(name) for name in NGHI_DUONG]
    score = proposed(demo, "1.1.g", points=D(1))
    score = score_approve(score=score, by=leader, expected_version=score.version)
    for i in range(13):  # and 13 comments by seven different people
        score_comment(score=score, by=people[i % len(people)], comment=f"Góp ý {i}")
    assert score.events.count() == 15
    login_as(leader)
    counts = []
    for page in (page_url(demo, "1.1.j"), page_url(demo, "1.1.g")):  # no history, then 15
        # Expect at most 12 queries: session, user, membership, assessment, assignment,
        # supporting units, criterion, score, its evidence (the warning), commune, the
        # score's events, the bell.
        with at_most(12, "session … score, evidence, commune, events, bell") as queries:
            response = client.get(page)
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(response.context["events"]) == 15
    assert counts[0] == counts[1], counts


# -- next tasks (nhiệm vụ thời gian tới) -------------------------------------------------------


def test_next_tasks_are_saved_from_the_form_and_shown_to_leaders(client, demo, login_as):
    login_as("vhxh")
    html = client.get(page_url(demo, "1.1.j")).content.decode()
    assert 'name="next_tasks"' in html and "Nhiệm vụ thời gian tới" in html
    assert html.index('name="result_text"') < html.index('name="next_tasks"')
    score = score_of(demo, "1.1.j")
    fields = {
        "points": "3",
        "result_text": "Đã công khai.",
        "next_tasks": "  Tiếp tục   công khai \r\n\r\nCập nhật Fanpage ",
    }
    response = client.post(url("score_propose", demo, "1.1.j"), propose_data(score, **fields))
    assert response.status_code == 302
    score.refresh_from_db()
    assert score.next_tasks == "Tiếp tục công khai\nCập nhật Fanpage"
    login_as("lanhdao")
    html = client.get(page_url(demo, "1.1.j")).content.decode()
    assert 'data-testid="next-tasks"' in html and "Cập nhật Fanpage" in html


def test_next_tasks_kept_when_a_caller_does_not_send_them(demo):
    score = proposed(demo, "1.1.j", submit=False, points=D(3), next_tasks="Một")
    score = score_propose(
        score=score, by=score.proposed_by, expected_version=score.version, points=D(2),
        result_text="x", shortfall_reason="y",
    )  # fmt: skip
    assert score.next_tasks == "Một"
