"""The scoring loop in a real browser: a unit proposes, a leader returns it with a comment,
the unit corrects and resends, the leader approves, and the dashboard's total moves."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assessments.models import Score
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "1.1.j"  # free points from 0 to 3, led by Phòng Văn hóa - Xã hội
DASHBOARD_SHOT = Path("/tmp/loop-dashboard.png")
CRITERION_SHOT = Path("/tmp/loop-criterion.png")
RETURN_COMMENT = "Chưa có ảnh chụp bảng niêm yết tại Trung tâm Phục vụ hành chính công."


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))


def log_out(page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/dang-nhap/"))


def approved_total(page) -> Decimal:
    """'3 / 100' -> 3; points are written with a decimal comma."""
    text = page.get_by_test_id("approved-total").inner_text()
    return Decimal(text.split("/")[0].strip().replace(",", "."))


def open_from_tree(page, code: str) -> None:
    page.get_by_role("link", name="Bộ tiêu chí và chấm điểm").click()
    page.get_by_test_id("criteria-tree").locator(f'tr[data-leaf="{code}"] a').first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{code}.")


def test_propose_return_correct_approve(live_server, demo, page, screenshot):
    base = live_server.url
    dashboard = re.compile(rf"/ky-danh-gia/{demo.assessment.pk}/tong-quan/$")
    status = page.get_by_test_id("score-status")

    # The unit proposes 2 of 3 points, saying why not 3.
    log_in(page, base, "vhxh")
    mine = page.get_by_test_id("my-subcriteria")
    expect(mine.locator(f'tr[data-leaf="{CODE}"]')).to_contain_text("Chưa chấm")
    mine.locator(f'tr[data-leaf="{CODE}"] a').click()
    form = page.get_by_test_id("score-form")
    form.get_by_label("Điểm tự chấm").fill("2")
    form.get_by_label("Kết quả thực hiện").fill(
        "Niêm yết tại Trung tâm Phục vụ hành chính công; đăng trên Cổng thông tin điện tử xã."
    )
    form.get_by_label("Lý do chưa thực hiện").fill("Chưa có Fanpage của Cổng thông tin xã.")
    # No evidence yet: the page warns, and sending anyway takes an explicit tick.
    expect(form.get_by_test_id("evidence-missing")).to_contain_text(
        "Tiêu chí chưa có minh chứng nào"
    )
    form.get_by_label("Vẫn gửi khi chưa có minh chứng").check()
    screenshot("loop-1-vhxh-proposes")
    form.get_by_role("button", name="Gửi lãnh đạo").click()
    expect(status).to_have_text("Đã gửi")
    expect(page.locator(".alert-success")).to_contain_text(
        f"Đã gửi điểm tiêu chí {CODE} cho lãnh đạo."
    )
    expect(page.get_by_test_id("score-form")).to_have_count(0)
    expect(page.get_by_test_id("proposed-points")).to_contain_text("2")
    log_out(page)

    # A leader lands on the dashboard, notes the approved total, and returns the proposal.
    log_in(page, base, "lanhdao")
    expect(page).to_have_url(dashboard)
    before = approved_total(page)
    open_from_tree(page, CODE)
    history = page.get_by_test_id("score-history")
    expect(history).to_contain_text("Lý do chưa thực hiện: Chưa có Fanpage của Cổng thông tin xã.")
    review = page.get_by_test_id("review-form")
    expect(review.get_by_role("button", name="Duyệt 2 điểm")).to_be_visible()
    review.get_by_label("Ý kiến khi trả lại").fill(RETURN_COMMENT)
    screenshot("loop-2-lanhdao-returns")
    review.get_by_role("button", name="Trả lại đơn vị").click()
    expect(status).to_have_text("Trả lại")
    expect(history).to_contain_text(RETURN_COMMENT)
    log_out(page)

    # The unit sees what was returned and why, corrects it and sends it again.
    log_in(page, base, "vhxh")
    expect(page.get_by_test_id("returned-count")).to_have_text("1")
    returned = page.get_by_test_id("returned-list")
    expect(returned).to_contain_text(f"{CODE}: {RETURN_COMMENT}")
    screenshot("loop-3-vhxh-sees-return")
    returned.get_by_role("link", name=CODE).click()
    expect(page.get_by_test_id("return-comment")).to_contain_text(RETURN_COMMENT)
    form = page.get_by_test_id("score-form")
    expect(form.get_by_label("Điểm tự chấm")).to_have_value(re.compile(r"^2(\.0+)?$"))
    form.get_by_label("Điểm tự chấm").fill("3")
    form.get_by_label("Kết quả thực hiện").fill(
        "Niêm yết; Cổng thông tin điện tử; Fanpage; loa phát thanh; cung cấp thông tin báo chí."
    )
    form.get_by_label("Lý do chưa thực hiện").fill("")
    form.get_by_label("Vẫn gửi khi chưa có minh chứng").check()
    form.get_by_role("button", name="Gửi lại lãnh đạo").click()
    expect(status).to_have_text("Đã gửi lại")
    log_out(page)

    # The leader approves; the approved total grows by the 3 points.
    log_in(page, base, "lanhdao")
    open_from_tree(page, CODE)
    review = page.get_by_test_id("review-form")
    review.get_by_label("Vẫn duyệt khi chưa có minh chứng").first.check()
    review.get_by_role("button", name="Duyệt 3 điểm").click()
    expect(status).to_have_text("Đã duyệt")
    expect(page.get_by_test_id("leader-points")).to_have_text("3")
    page.screenshot(path=CRITERION_SHOT, full_page=True)
    screenshot("loop-4-lanhdao-approved")
    page.get_by_role("link", name="Trang chủ").click()
    expect(page).to_have_url(dashboard)
    assert approved_total(page) == before + 3
    page.screenshot(path=DASHBOARD_SHOT, full_page=True)
    screenshot("loop-5-dashboard")

    score = Score.objects.get(assessment=demo.assessment, criterion__code=CODE)
    assert (score.status, score.proposed_points, score.leader_points) == (
        "approved",
        Decimal(3),
        Decimal(3),
    )
    assert score.shortfall_reason == ""
    assert list(score.events.order_by("id").values_list("action", "user__username")) == [
        ("submit", "vhxh"),
        ("return", "lanhdao"),
        ("resubmit", "vhxh"),
        ("approve", "lanhdao"),
    ]
