"""A leader clears the review queue in a real browser, with "next": approve, return with a
comment, adjust, approve; each decision opens the next waiting item, the last one the empty
queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessments.models import Assignment, Score
from assessments.services import score_propose, score_submit_many
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

RETURN_COMMENT = "Thiếu biên bản niêm yết; bổ sung ảnh chụp."
ADJUST_REASON = "Mới thực hiện một phần trong kỳ."


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))


def send_four(demo) -> list[Score]:
    """Phòng Văn hóa - Xã hội sends four sub-criteria at full points, one after the other."""
    staff = demo.user("vhxh")
    assignments = (
        Assignment.objects.filter(
            assessment=demo.assessment, lead_unit__short_name="VHXH", criterion__rule="free"
        )
        .select_related("criterion")
        .order_by("criterion__order")[:4]
    )
    sent = []
    for assignment in assignments:
        score = Score.objects.select_related("criterion").get(
            assessment=demo.assessment, criterion=assignment.criterion
        )
        score = score_propose(
            score=score,
            by=staff,
            expected_version=score.version,
            points=assignment.criterion.max_points,
            result_text=f"Đã thực hiện đầy đủ nội dung {assignment.criterion.code}.",
        )
        submitted, _skipped = score_submit_many(scores=[score], by=staff)
        sent.extend(submitted)
    assert len(sent) == 4
    return sent


def test_a_leader_clears_a_queue_of_four_with_next(live_server, demo, page, screenshot):
    first, second, third, fourth = send_four(demo)
    heading = page.get_by_role("heading", level=1)

    log_in(page, live_server.url, "lanhdao")
    card = page.get_by_test_id("review-queue-card")
    expect(card).to_contain_text("Chờ duyệt (4)")
    card.get_by_test_id("review-queue-link").click()
    expect(page.get_by_test_id("queue-item")).to_have_count(4)
    codes = page.get_by_test_id("queue-item").evaluate_all("els => els.map(e => e.dataset.code)")
    assert codes == [s.criterion.code for s in (first, second, third, fourth)]
    screenshot("queue-1-list")

    # The oldest first: open it from its row; the page offers the next one.
    page.get_by_test_id("queue-item").first.get_by_role("link", name="Mở chi tiết").click()
    expect(heading).to_contain_text(f"{first.criterion.code}.")
    expect(page.get_by_test_id("queue-next")).to_have_text(
        re.compile(r"Mục tiếp theo \(3 còn lại\)")
    )
    # No evidence in the demo: approving it anyway takes the explicit tick.
    review = page.get_by_test_id("review-form")
    expect(review.get_by_test_id("evidence-missing")).to_be_visible()
    review.get_by_label("Vẫn duyệt khi chưa có minh chứng").first.check()
    review.get_by_role("button", name=re.compile(r"Duyệt [\d,]+ điểm")).click()

    # Approved: the second opens; the leader returns it with a comment.
    expect(heading).to_contain_text(f"{second.criterion.code}.")
    expect(page.locator(".alert-success")).to_contain_text(
        f"Đã duyệt điểm tiêu chí {first.criterion.code}."
    )
    review = page.get_by_test_id("review-form")
    review.get_by_label("Ý kiến khi trả lại").fill(RETURN_COMMENT)
    screenshot("queue-2-return")
    review.get_by_role("button", name="Trả lại đơn vị").click()

    # The third: a different score, with the reason.
    expect(heading).to_contain_text(f"{third.criterion.code}.")
    review = page.get_by_test_id("review-form")
    review.get_by_label("Điểm khác").fill("0")
    review.get_by_label("Lý do điều chỉnh").fill(ADJUST_REASON)
    review.get_by_role("button", name="Điều chỉnh điểm").click()

    # The last one; after it, the queue is empty.
    expect(heading).to_contain_text(f"{fourth.criterion.code}.")
    expect(page.get_by_test_id("queue-nav")).to_contain_text("Không còn mục nào khác chờ duyệt.")
    review = page.get_by_test_id("review-form")
    review.get_by_label("Vẫn duyệt khi chưa có minh chứng").first.check()
    review.get_by_role("button", name=re.compile(r"Duyệt [\d,]+ điểm")).click()
    expect(page).to_have_url(re.compile(rf"/ky-danh-gia/{demo.assessment.pk}/cho-duyet/$"))
    expect(page.get_by_test_id("queue-empty")).to_contain_text("Hết mục chờ duyệt")
    expect(page.locator(".alert-info")).to_contain_text("Hết mục chờ duyệt.")
    screenshot("queue-3-empty")

    def state(score):
        score.refresh_from_db()
        return score.status, score.leader_points, score.return_comment, score.leader_reason

    assert state(first) == ("approved", first.proposed_points, "", "")
    assert state(second) == ("returned", None, RETURN_COMMENT, "")
    assert state(third)[0] == "approved" and state(third)[1] == 0
    assert state(third)[3] == ADJUST_REASON
    assert state(fourth) == ("approved", fourth.proposed_points, "", "")
    assert [s.events.first().user.username for s in (first, second, third, fourth)] == [
        "lanhdao"
    ] * 4


def test_a_leader_approves_the_whole_queue_at_once(live_server, demo, page, screenshot):
    sent = send_four(demo)
    log_in(page, live_server.url, "chutich")
    page.get_by_test_id("review-queue-link").click()
    expect(page.get_by_test_id("queue-item")).to_have_count(4)
    # Nothing is attached yet: each row says so (the hook of the evidence warning).
    expect(page.get_by_test_id("no-evidence")).to_have_count(4)
    page.get_by_label("Chọn tất cả").check()
    expect(page.locator('input[name="muc"]:checked')).to_have_count(4)
    page.get_by_test_id("queue-item").first.locator('input[name="muc"]').uncheck()
    expect(page.get_by_label("Chọn tất cả")).not_to_be_checked()
    page.get_by_test_id("queue-item").first.locator('input[name="muc"]').check()
    expect(page.get_by_label("Chọn tất cả")).to_be_checked()
    # Approving points without evidence takes an explicit tick.
    page.get_by_label("Vẫn duyệt các mục chưa có minh chứng").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("bulk-approve").click()
    expect(page.get_by_role("alert").filter(has_text="Đã duyệt 4 tiêu chí")).to_be_visible()
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    screenshot("queue-4-bulk-approved")
    for score in sent:
        score.refresh_from_db()
        assert (score.status, score.leader_points) == ("approved", score.proposed_points)
