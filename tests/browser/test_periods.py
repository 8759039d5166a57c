"""The period switcher at 360 px: a leader opens the menu, chooses a past period and lands on
it; the page does not scroll sideways."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Assessment
from reports.models import Report
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_switcher_at_360px(live_server, demo, page, screenshot):
    past = Assessment.objects.create(
        commune=demo.commune,
        criteria_set=demo.assessment.criteria_set,
        year=2025,
        period=Assessment.Period.FULL_YEAR,
        status=Assessment.Status.FROZEN,
    )
    secretary = demo.user("vanthu")
    Report.objects.create(
        assessment=past,
        kind=Report.Kind.ANNUAL,
        status=Report.Status.ISSUED,
        summary="Báo cáo kết quả năm 2025",
        recipients="Sở Nội vụ\nLưu: VT",
        number=12,
        issue_date=dt.date(2025, 12, 20),
        issued_at=timezone.now(),
        created_by=secretary,
    )
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("lanhdao")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{live_server.url}/ky-danh-gia/{demo.assessment.pk}/tong-quan/")

    # The switcher on the page "Các kỳ đánh giá" (the dashboard has wide tables of its own)
    page.goto(live_server.url + "/ky-danh-gia/")
    assert no_sideways_scroll(page)
    screenshot("periods-page-360")
    page.get_by_role("button", name="Mở menu").click()
    switcher = page.get_by_test_id("period-switcher")
    switcher.get_by_role("button", name="Các kỳ đánh giá").click()
    items = page.get_by_test_id("period-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("hiện hành")
    expect(items.nth(1)).to_contain_text("Cả năm 2025")
    expect(page.get_by_test_id("period-menu")).to_contain_text("Báo cáo năm số 12/BC-UBND")
    screenshot("periods-switcher-360")
    assert no_sideways_scroll(page)

    items.nth(1).click()  # remembered: home lands on the chosen period
    expect(page).to_have_url(f"{live_server.url}/ky-danh-gia/{past.pk}/tong-quan/")
    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/ky-danh-gia/{past.pk}/tong-quan/")
