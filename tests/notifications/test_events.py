"""Score events tell the unit (issue 12): returned, approved, adjusted; each notice once, in
the portal and (unless turned off) by email, in Vietnamese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from assessments.models import Score
from assessments.notices import score_event_notify
from assessments.services import (
    score_adjust,
    score_approve,
    score_propose,
    score_return,
    user_create,
)
from notifications.models import Notification, NotificationSetting

CODE = "1.1.j"  # led by Phòng Văn hóa - Xã hội, scored freely


@pytest.fixture
def submitted(demo, own_staff):
    own_staff.email = "mai.vhxh@example.vn"
    own_staff.save(update_fields=["email"])
    score = Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=CODE
    )
    return score_propose(
        score=score,
        by=own_staff,
        expected_version=score.version,
        points=score.criterion.max_points,
        result_text="Đã thực hiện đầy đủ.",
        submit=True,
    )


@pytest.fixture
def colleague(demo, own_staff):
    """Another staff member of the same unit: told too, though not the proposer."""
    return user_create(
        username="vhxh2",
        password="x-Mat-khau-2026",
        full_name="Ngô Văn Bình",
        commune=demo.commune,
        role="staff",
        unit=own_staff.membership.unit,
        email="binh@example.vn",
    )


def notices(user, kind=None):
    found = Notification.objects.filter(user=user)
    return list(found.filter(kind=kind) if kind else found)


def test_a_return_tells_the_unit_once(
    demo, submitted, own_staff, colleague, leader, other_staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        score_return(
            score=submitted,
            by=leader,
            expected_version=submitted.version,
            comment="Thiếu biên bản kiểm tra.",
        )
    (notice,) = notices(own_staff, "returned")
    assert notice.title == f"Tiêu chí {CODE} bị trả lại: Thiếu biên bản kiểm tra."
    assert "Thiếu biên bản kiểm tra." in notice.body
    assert notice.url.endswith("#cham-diem")
    assert len(notices(colleague, "returned")) == 1
    assert notices(leader) == [] and notices(other_staff) == []
    # Emails, in Vietnamese, to both people of the unit.
    assert sorted(m.to[0] for m in mail.outbox) == ["binh@example.vn", "mai.vhxh@example.vn"]
    message = next(m for m in mail.outbox if m.to == ["mai.vhxh@example.vn"])
    assert message.subject == f"[Chính quyền thân thiện] Tiêu chí {CODE} bị trả lại: " + (
        "Thiếu biên bản kiểm tra."
    )
    assert "Kính gửi Trần Thị Mai," in message.body
    assert "Xem trên Cổng Chính quyền thân thiện: http" in message.body
    assert "Có thể tắt thư thông báo" in message.body


def test_each_event_is_its_own_notice_and_none_is_sent_twice(
    demo, submitted, own_staff, leader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        returned = score_return(
            score=submitted, by=leader, expected_version=submitted.version, comment="Sửa lại."
        )
        resubmitted = score_propose(
            score=returned,
            by=own_staff,
            expected_version=returned.version,
            points=returned.proposed_points,
            result_text="Đã bổ sung.",
            submit=True,
        )
        returned_again = score_return(
            score=resubmitted, by=leader, expected_version=resubmitted.version, comment="Lần 2."
        )
    titles = [n.title for n in notices(own_staff, "returned")]
    assert sorted(titles) == [
        f"Tiêu chí {CODE} bị trả lại: Lần 2.",
        f"Tiêu chí {CODE} bị trả lại: Sửa lại.",
    ]
    assert len(mail.outbox) == 2
    # The same event's key cannot be recorded twice (a retried call records nothing).
    returned_again.version -= 1  # as the service saw it, before `_record` raised it
    with django_capture_on_commit_callbacks(execute=True):
        score_event_notify(score=returned_again, action="return", by=leader)
    assert len(notices(own_staff, "returned")) == 2 and len(mail.outbox) == 2


def test_approval_tells_the_unit(demo, submitted, own_staff, leader):
    score_approve(score=submitted, by=leader, expected_version=submitted.version)
    (notice,) = notices(own_staff, "approved")
    points = f"{submitted.criterion.max_points:f}".rstrip("0").rstrip(".").replace(".", ",")
    assert notice.title == f"Tiêu chí {CODE} đã được duyệt ({points} điểm)"


def test_an_adjustment_says_from_what_to_what_and_why(demo, submitted, own_staff, leader):
    score_adjust(
        score=submitted,
        by=leader,
        expected_version=submitted.version,
        points=Decimal("0"),
        reason="Chưa có minh chứng.",
    )
    (notice,) = notices(own_staff, "adjusted")
    assert " được điều chỉnh từ " in notice.title
    assert " xuống 0 điểm: Chưa có minh chứng." in notice.title
    assert "Lý do điều chỉnh: Chưa có minh chứng." in notice.body


def test_email_turned_off_still_leaves_the_notice_in_the_portal(
    demo, submitted, own_staff, leader, django_capture_on_commit_callbacks
):
    NotificationSetting.objects.create(user=own_staff, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        score_return(score=submitted, by=leader, expected_version=submitted.version, comment="Sửa.")
    assert len(notices(own_staff, "returned")) == 1
    assert mail.outbox == []


def test_a_leader_proposing_is_not_told_of_their_own_action(demo, leader, own_staff):
    score = Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=CODE
    )
    score = score_propose(
        score=score,
        by=leader,
        expected_version=score.version,
        points=score.criterion.max_points,
        result_text="Lãnh đạo chấm thay.",
        submit=True,
    )
    score_approve(score=score, by=leader, expected_version=score.version)
    assert notices(leader) == []
    assert len(notices(own_staff, "approved")) == 1  # the lead unit's staff still are
