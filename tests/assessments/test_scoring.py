"""The scoring workflow, its refusals, and the totals it produces."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from assessments.models import AdjustmentEntry, Assessment, Score, ScoreEvent
from assessments.selectors import assessment_results, unit_progress
from assessments.services import (
    adjustment_record,
    assessment_lock,
    assessment_reopen,
    score_adjust,
    score_approve,
    score_comment,
    score_propose,
    score_return,
    score_submit_many,
)
from tests.queries import at_most


def score_of(demo, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=code
    )


def propose(demo, code, user="vhxh", submit=True, **fields):
    score = score_of(demo, code)
    fields.setdefault("result_text", "Đã thực hiện.")
    return score_propose(
        score=score, by=demo.user(user), expected_version=score.version, submit=submit, **fields
    )


def test_every_leaf_has_a_score_from_the_start(demo):
    assert demo.assessment.scores.count() == demo.assessment.assignments.count() == 47
    assert set(demo.assessment.scores.values_list("status", flat=True)) == {"not_started"}


def test_full_loop_draft_submit_return_resubmit_approve(demo, leader):
    score = propose(demo, "2.2.b", submit=False, points=D(1))
    assert score.status == Score.Status.DRAFT
    score = propose(demo, "2.2.b", points=D(1))
    assert score.status == Score.Status.SUBMITTED
    score = score_return(
        score=score, by=leader, expected_version=score.version, comment="Thiếu sổ theo dõi."
    )
    assert (score.status, score.return_comment) == (Score.Status.RETURNED, "Thiếu sổ theo dõi.")
    score = propose(demo, "2.2.b", points=D(1), result_text="Đã bổ sung sổ theo dõi.")
    assert score.status == Score.Status.RESUBMITTED
    score = score_approve(score=score, by=leader, expected_version=score.version)
    assert (score.status, score.leader_points, score.leader_by) == (
        Score.Status.APPROVED,
        D(1),
        leader,
    )
    actions = list(score.events.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["save", "submit", "return", "resubmit", "approve"]


def test_leader_adjusts_with_a_mandatory_reason(demo, chairman):
    score = propose(demo, "1.1.j", points=D(3))
    leader = chairman
    with pytest.raises(ValidationError, match="Phải ghi lý do"):
        score_adjust(
            score=score, by=leader, expected_version=score.version, points=D(2), reason=" "
        )
    score = score_adjust(
        score=score,
        by=leader,
        expected_version=score.version,
        points=D(2),
        reason="Thiếu loa phát thanh.",
    )
    assert (score.status, score.proposed_points, score.leader_points) == ("approved", D(3), D(2))
    assert score.leader_reason == "Thiếu loa phát thanh."


@pytest.mark.parametrize(
    ("code", "fields", "message"),
    [
        ("1.1.j", {"points": D(4)}, "Điểm phải từ 0 đến 3"),
        ("1.1.j", {"points": D("1.3")}, "bội số của 0,25"),
        ("1.1.j", {"points": None}, "Chưa nhập điểm"),
        ("1.2.d", {"points": D(1)}, "chỉ nhận 0 hoặc 2"),
        ("1.1.j", {"not_arising": True}, "không cho phép"),
        ("2.1.a", {"numerator": D(10), "denominator": D(0)}, "Mẫu số phải lớn hơn 0"),
    ],
)
def test_unacceptable_proposals_are_refused_and_nothing_changes(demo, code, fields, message):
    user = "ttpvhcc" if code in ("1.2.d",) else "vhxh"
    with pytest.raises(ValidationError, match=message):
        propose(demo, code, user=user, submit=False, **fields)
    score = score_of(demo, code)
    assert (score.status, score.version, score.proposed_points) == ("not_started", 0, None)


def test_tiers_compute_points_from_the_numbers(demo, own_staff):
    score = propose(
        demo,
        "2.1.a",
        numerator=D(245),
        denominator=D(249),
        shortfall_reason="Có 04 hồ sơ TTHC giải quyết quá hạn.",
    )
    assert score.proposed_points == D(0)  # all or nothing at 100 %
    score = score_of(demo, "4.2.f")
    score = score_propose(
        score=score,
        by=own_staff,
        expected_version=0,
        numerator=D(3200),
        denominator=D(3200),
        result_text="Đủ",
        submit=True,
    )
    assert score.proposed_points == D(2)


def test_submit_needs_the_account_and_a_reason_when_below_maximum(demo):
    with pytest.raises(ValidationError, match="lý do chưa thực hiện"):
        propose(demo, "1.1.j", points=D(2))
    with pytest.raises(ValidationError, match="kết quả thực hiện"):
        propose(demo, "1.1.j", points=D(3), result_text="")
    propose(demo, "1.1.j", points=D(2), shortfall_reason="Chưa có fanpage.")


def test_not_arising_zero_policy_scores_zero(demo):
    score = propose(
        demo,
        "2.2.e",
        not_arising=True,
        result_text="",
        shortfall_reason="Không có công dân có sáng kiến đề nghị công nhận.",
    )
    assert (score.proposed_points, score.not_arising) == (D(0), True)


def test_second_save_with_a_stale_version_is_refused_showing_the_newer_value(
    demo, own_staff, leader
):
    first = score_of(demo, "1.1.g")
    stale_version = first.version
    score_propose(
        score=first,
        by=own_staff,
        expected_version=stale_version,
        points=D(1),
        result_text="A",
    )
    with pytest.raises(ValidationError) as error:
        score_propose(
            score=first,
            by=leader,
            expected_version=stale_version,
            points=D(0),
            result_text="B",
        )
    message = error.value.messages[0]
    assert "vừa được Trần Thị Mai thay đổi" in message and "điểm 1" in message
    assert score_of(demo, "1.1.g").proposed_points == D(1)


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_staff_cannot_edit_once_submitted_or_approved(demo, status, leader):
    score = propose(demo, "1.1.g", points=D(1))
    if status == "approved":
        score = score_approve(score=score, by=leader, expected_version=score.version)
    with pytest.raises(ValidationError, match="chỉ sửa được khi chưa gửi"):
        propose(demo, "1.1.g", points=D(0), shortfall_reason="x")


def test_cannot_approve_or_return_what_was_not_submitted(demo, leader):
    score = score_of(demo, "1.1.g")
    with pytest.raises(ValidationError, match="chưa được gửi"):
        score_approve(score=score, by=leader, expected_version=0)
    with pytest.raises(ValidationError, match="chưa được gửi"):
        score_return(score=score, by=leader, expected_version=0, comment="x")
    with pytest.raises(ValidationError, match="Phải ghi ý kiến"):
        score_return(score=score, by=leader, expected_version=0, comment="")


def test_deadline_stops_staff_but_not_leaders(demo):
    Assessment.objects.filter(pk=demo.assessment.pk).update(
        scoring_deadline=dt.date.today() - dt.timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="quá hạn"):
        propose(demo, "1.1.g", points=D(1))
    propose(demo, "1.1.g", user="lanhdao", points=D(1))


def test_lock_stops_everyone_until_reopened_with_a_reason(demo, leader):
    assessment_lock(assessment=demo.assessment, by=leader, reason="Tổng hợp báo cáo")
    with pytest.raises(ValidationError, match="đã khóa"):
        propose(demo, "1.1.g", user="lanhdao", points=D(1))
    with pytest.raises(ValidationError, match="Phải ghi lý do"):
        assessment_reopen(assessment=demo.assessment, by=leader, reason="")
    assessment_reopen(assessment=demo.assessment, by=leader, reason="Bổ sung minh chứng")
    propose(demo, "1.1.g", points=D(1))
    assert list(demo.assessment.events.values_list("action", "reason")) == [
        ("reopen", "Bổ sung minh chứng"),
        ("lock", "Tổng hợp báo cáo"),
    ]


def test_submit_many_sends_the_ready_ones_and_explains_the_rest(demo, own_staff):
    propose(demo, "1.1.g", submit=False, points=D(1))
    propose(demo, "1.1.j", submit=False, points=D(2))  # no reason yet
    scores = list(
        Score.objects.filter(
            assessment=demo.assessment, criterion__code__in=["1.1.g", "1.1.j"]
        ).select_related("criterion")
    )
    submitted, skipped = score_submit_many(scores=scores, by=own_staff)
    assert [s.criterion.code for s in submitted] == ["1.1.g"]
    assert skipped == [
        "Tiêu chí 1.1.j: điểm thấp hơn điểm tối đa nên phải ghi lý do chưa thực hiện."
    ]


def test_comments_do_not_change_the_score(demo, other_staff):
    score = score_of(demo, "1.1.g")
    score_comment(score=score, by=other_staff, comment="Đã phối hợp niêm yết.")
    score.refresh_from_db()
    assert (score.status, score.version) == ("not_started", 0)
    assert score.events.get().action == ScoreEvent.Action.COMMENT


# -- totals -------------------------------------------------------------------------------------


SEED_LOSSES = {
    "1.2.d": ("ttpvhcc", {"points": D(0)}, "Chưa có kinh phí triển khai thực hiện."),
    "2.1.a": (
        "ttpvhcc",
        {"numerator": D(245), "denominator": D(249)},
        "Có 04 hồ sơ TTHC giải quyết quá hạn (bao gồm: 02 hồ sơ đất đai; 01 hồ sơ bảo trợ xã hội; 01 hồ sơ lĩnh vực hộ tịch).",
    ),
    "2.2.e": (
        "vhxh",
        {"points": D(0)},
        "Không có công dân ở cộng đồng dân cư có sáng kiến kinh nghiệm đề nghị công nhận",
    ),
    "4.2.f": (
        "vhxh",
        {"numerator": D(2900), "denominator": D(3200)},
        "Không có phương thức trích xuất chính xác kết quả. Dự kiến chưa đảm bảo 100%.",
    ),
}


def approve_everything_as_in_the_seed(demo, leader):
    for score in Score.objects.filter(assessment=demo.assessment).select_related("criterion"):
        code = score.criterion.code
        if code in SEED_LOSSES:
            user, fields, reason = SEED_LOSSES[code]
            score = score_propose(
                score=score,
                by=demo.user(user),
                expected_version=score.version,
                result_text="Chưa thực hiện.",
                shortfall_reason=reason,
                submit=True,
                **fields,
            )
        elif score.criterion.rule == "tiers":
            score = score_propose(
                score=score,
                by=leader,
                expected_version=score.version,
                numerator=D(1),
                denominator=D(1),
                result_text="Đạt.",
                submit=True,
            )
        else:
            score = score_propose(
                score=score,
                by=leader,
                expected_version=score.version,
                points=score.criterion.max_points,
                result_text="Đã thực hiện đầy đủ.",
                submit=True,
            )
        score_approve(score=score, by=leader, expected_version=score.version)


def test_seed_outcome_loses_the_four_subcriteria_of_the_report(demo, leader):
    approve_everything_as_in_the_seed(demo, leader)
    # Expect at most 8 queries (6 today): criteria, assignments, scores, levels, adjustments,
    # the criteria set.
    with at_most(8, "criteria, assignments, scores, levels, adjustments, criteria set"):
        results = assessment_results(demo.assessment)
    assert [(leaf.criterion.code, leaf.lost) for leaf in results.losing] == [
        ("2.1.a", D(5)),
        ("1.2.d", D(2)),
        ("4.2.f", D(2)),
        ("2.2.e", D(1)),
    ]
    assert results.approved.final == D(90) and results.proposed.final == D(90)
    assert [root.approved for root in results.roots] == [D(22), D(18), D(26), D(24)]
    assert results.level.name == "mức 3"  # the draft's inferred mức 3 starts at 90
    assert results.target.name == "mức 2"
    assert results.missing_to_target == D(0)
    progress = {row.unit.name: row for row in unit_progress(results) if row.unit}
    assert (
        progress["Trung tâm Phục vụ hành chính công"].approved
        == progress["Trung tâm Phục vụ hành chính công"].assigned
    )


def test_deductions_and_disqualifiers_show_on_the_total(demo, leader):
    approve_everything_as_in_the_seed(demo, leader)
    adjustments = {a.kind: a for a in demo.assessment.criteria_set.adjustments.all()}
    adjustment_record(
        assessment=demo.assessment, adjustment=adjustments["deduction"], cases=2, note="", by=leader
    )
    results = assessment_results(demo.assessment)
    assert results.approved.deductions == D(6) and results.approved.final == D(84)
    assert results.level.name == "mức 1"
    assert results.missing_to_target == D(1)
    adjustment_record(
        assessment=demo.assessment,
        adjustment=adjustments["disqualifier"],
        cases=1,
        note="Cảnh cáo",
        by=leader,
    )
    results = assessment_results(demo.assessment)
    assert results.approved.disqualified and results.level is None
    assert AdjustmentEntry.objects.count() == 2


def test_an_excluded_subcriterion_rebases_the_total(demo, leader, centre_staff):
    # 2.2.d may be "không phát sinh" with full points; make it excluded to test rebasing.
    criterion = score_of(demo, "2.2.d").criterion
    criterion.not_arising = "exclude"
    criterion.save()
    approve_everything_as_in_the_seed(demo, leader)
    score = score_of(demo, "2.2.d")
    score_return(
        score=score,
        by=leader,
        expected_version=score.version,
        comment="Không phát sinh",
    )
    score = score_of(demo, "2.2.d")
    score = score_propose(
        score=score,
        by=centre_staff,
        expected_version=score.version,
        not_arising=True,
        result_text="",
        submit=True,
    )
    score_approve(score=score, by=leader, expected_version=score.version)
    results = assessment_results(demo.assessment)
    # 89 of 99 countable points: 89 × 100 / 99 = 89.898… → 89.90
    assert results.approved.raw_points == D(89)
    assert results.approved.counted_max == D(99)
    assert results.approved.final == D("89.90")
