"""Issue 13, part 3, done when: a commune set up from nothing by its own administrator in the
browser (units, people with roles, the report's signer, an assessment) without opening
/admin/, and the pages fit a 360 px phone. Screenshots of each page at 1366 and 360 px go to
the test's tmp dir, and to $SHOTS_DIR when set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from assessments.models import Assessment, Membership
from assessments.services import commune_create, user_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Tan-Lap-khoi-dau-2026"
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 4)
  .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`
    + ` ${Math.round(e.getBoundingClientRect().right)}`)"""


def shot_dirs() -> list[Path]:
    """$SHOTS_DIR, when set, for a person to look at the pages (README); without it no
    screenshot is taken: a full-page screenshot costs about as much as loading the page."""
    if not os.environ.get("SHOTS_DIR"):
        return []
    directory = Path(os.environ["SHOTS_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    return [directory]


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))


def add_unit(page, name: str, short_name: str) -> None:
    page.get_by_role("link", name="Thêm đơn vị").click()
    page.locator("#id_name").fill(name)
    page.locator("#id_short_name").fill(short_name)
    page.get_by_role("button", name="Lưu đơn vị").click()
    expect(page.get_by_test_id("units")).to_contain_text(name)


def add_person(page, username, full_name, role, unit="", title="", admin=False) -> None:
    page.get_by_role("link", name="Thêm người dùng").click()
    page.locator("#id_username").fill(username)
    page.locator("#id_full_name").fill(full_name)
    page.locator("#id_role").select_option(label=role)
    if unit:
        page.locator("#id_unit").select_option(label=unit)
    page.locator("#id_title").fill(title)
    if admin:
        page.locator("#id_is_commune_admin").check()
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Thêm người dùng").click()
    expect(page.get_by_test_id("users")).to_contain_text(full_name)


def test_a_commune_is_set_up_from_nothing_by_its_administrator(live_server, demo, page):
    # xã Tân Lập has nothing but its administrator (the criteria set in use is the demo's).
    commune = commune_create(name="Tân Lập")
    user_create(
        username="ct_tanlap",
        password=PASSWORD,
        full_name="Đỗ Minh Khang",
        commune=commune,
        role=Membership.Role.LEADER,
        title="Chủ tịch UBND xã",
        is_commune_admin=True,
    )
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    page.set_viewport_size({"width": 1366, "height": 800})
    base = live_server.url
    log_in(page, base, "ct_tanlap", PASSWORD)

    page.get_by_role("link", name="Quản trị xã").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ủy ban nhân dân xã Tân Lập")

    page.get_by_role("link", name="Đơn vị", exact=True).click()
    add_unit(page, "Phòng Văn hóa - Xã hội", "VHXH")
    add_unit(page, "Văn phòng HĐND và UBND", "VP")

    page.get_by_role("link", name="Người dùng", exact=True).click()
    add_person(page, "pct_tanlap", "Lưu Thị Hạnh", "Lãnh đạo UBND", title="Phó Chủ tịch UBND xã")
    add_person(page, "vt_tanlap", "Trần Văn Bình", "Văn thư", "Văn phòng HĐND và UBND")
    add_person(page, "vhxh_tanlap", "Nguyễn Thị Mai", "Cán bộ, công chức", "Phòng Văn hóa - Xã hội")
    row = page.locator('tr[data-username="vhxh_tanlap"]')
    expect(row).to_contain_text("Phòng Văn hóa - Xã hội")
    expect(row).to_contain_text("Đang hoạt động")

    page.get_by_role("link", name="Thiết lập báo cáo").click()
    page.locator("#id_report_signer").select_option(label="Lưu Thị Hạnh – Phó Chủ tịch UBND xã")
    page.locator("#id_report_authority").select_option(value="deputy")
    page.locator("#id_report_recipients").fill("Sở Nội vụ thành phố;\nLưu: VT, VHXH.")
    page.get_by_role("button", name="Lưu thiết lập báo cáo").click()
    expect(page.locator('[data-step="signer"]')).to_contain_text("Lưu Thị Hạnh")

    page.get_by_role("link", name="Kỳ đánh giá", exact=True).click()
    directories = shot_dirs()
    for width in (360, 1366):  # the form, before there is an assessment
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for directory in directories:
            page.screenshot(path=directory / f"commune-assessment-form-{width}.png", full_page=True)
    criteria_set = demo.assessment.criteria_set
    level = criteria_set.levels.order_by("order").last()
    page.locator("#id_criteria_set").select_option(value=str(criteria_set.pk))
    page.locator("#id_year").fill("2026")
    page.locator("#id_period_0").check()
    # Only the chosen set's levels are offered (static/js/commune-admin.js; the server checks)
    expect(page.locator("#id_target_level optgroup:not([disabled])")).to_have_count(1)
    page.locator("#id_target_level").select_option(value=str(level.pk))
    page.get_by_role("button", name="Tạo kỳ đánh giá").click()
    assessment = Assessment.objects.get(commune=commune)
    expect(page).to_have_url(re.compile(rf"/ky-danh-gia/{assessment.pk}/"))
    assert assessment.target_level == level
    assert assessment.assignments.filter(lead_unit__short_name="VHXH").exists()

    commune.refresh_from_db()
    assert commune.report_signer.username == "pct_tanlap"
    assert get_user_model().objects.get(username="vhxh_tanlap").get_full_name() == (
        "Nguyễn Thị Mai"
    )
    assert not [url for url in visited if "/admin/" in url], "the admin was opened"

    # Every page of it, at 1366 and at 360 px: no sideways scrolling, a screenshot of each.
    pk = commune.pk
    staff = get_user_model().objects.get(username="vhxh_tanlap")
    unit = commune.units.get(short_name="VP")
    pages = [
        ("home", f"/quan-tri-xa/{pk}/"),
        ("units", f"/quan-tri-xa/{pk}/don-vi/"),
        ("unit-edit", f"/quan-tri-xa/{pk}/don-vi/{unit.pk}/"),
        ("users", f"/quan-tri-xa/{pk}/nguoi-dung/"),
        ("user-add", f"/quan-tri-xa/{pk}/nguoi-dung/them/"),
        ("user-edit", f"/quan-tri-xa/{pk}/nguoi-dung/{staff.pk}/"),
        ("password", f"/quan-tri-xa/{pk}/nguoi-dung/{staff.pk}/mat-khau/"),
        ("report-settings", f"/quan-tri-xa/{pk}/bao-cao/"),
        ("assessment", f"/quan-tri-xa/{pk}/ky-danh-gia/"),
    ]
    too_wide = []
    for width in (1366, 360):
        page.set_viewport_size({"width": width, "height": 800})
        for name, path in pages:
            response = page.goto(base + path)
            assert response is not None and response.ok, (name, path)
            for directory in directories:
                page.screenshot(path=directory / f"commune-{name}-{width}.png", full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                culprits = ", ".join(page.evaluate(OVERFLOWING))
                too_wide.append(f"{name} at {width}: {scroll_width} px ({culprits})")
    assert too_wide == []

    # The new staff member logs in with the first password.
    page.context.clear_cookies()
    log_in(page, base, "vhxh_tanlap", PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_contain_text("Nguyễn Thị Mai")
