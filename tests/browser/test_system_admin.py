"""The system administrator creates a commune with its first administrator and imports the
commune's accounts from a sheet (a bad sheet first: refused whole, with its rows named); the
new administrator, then an imported person with the password shown once, sign in and find
their commune. Screenshots at 1366 and 360 px (SCREENSHOT_DIR)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.administration.system_sheets import sheet_bytes
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Hong-Bang-2026!"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_ROWS = [
    ["pho.chutich", "Vũ Thị Hoa", "Lãnh đạo UBND", "", "Phó Chủ tịch UBND phường", "", "Không"],
    ["", "Lê Văn Nam", "Văn thư", "", "", "", ""],
    ["cb.mot", "Ngô Văn Một", "Cán bộ, công chức", "", "", "mot@", ""],
    ["pho.chutich", "Vũ Hoa", "Trưởng thôn", "Phòng Kinh tế", "", "", ""],
]
GOOD_ROWS = [
    ["pho.chutich", "Vũ Thị Hoa", "Lãnh đạo UBND", "", "Phó Chủ tịch UBND phường", "", "Không"],
    ["vanthu.hb", "Lê Văn Nam", "Văn thư", "", "Văn thư UBND phường", "nam@example.vn", ""],
]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def upload(page, rows, name: str) -> None:
    page.get_by_label("Tệp Excel (.xlsx)").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": sheet_bytes(rows)}
    )
    page.get_by_test_id("upload-sheet").click()


def test_a_commune_its_administrator_and_its_accounts(live_server, demo, page, screenshot):
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, base, "admin", DEMO_PASSWORD)
    page.get_by_test_id("admin-menu").click()  # Quản trị: system, commune, the Django admin
    page.get_by_role("link", name="Quản trị hệ thống").click()
    communes = page.get_by_test_id("communes")
    expect(communes).to_contain_text("Nghi Dương")
    expect(communes).to_contain_text("Phạm Văn Hùng")  # Nghi Dương's administrator
    screenshot("home-1366")

    page.get_by_test_id("new-commune").click()
    page.get_by_label("Loại").select_option("phuong")
    page.locator("#id_name").fill("Hồng Bàng")
    page.get_by_label("Địa chỉ trụ sở").fill("Số 1 Hoàng Văn Thụ")
    page.get_by_label("Tên đăng nhập").fill("hongbang.admin")
    page.get_by_label("Họ và tên").fill("Đỗ Văn Minh")
    page.get_by_label("Chức danh").fill("Chủ tịch UBND phường")
    page.get_by_label("Mật khẩu ban đầu").fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD + "x")
    page.get_by_role("button", name="Tạo xã và tài khoản quản trị").click()
    expect(page.get_by_text("Hai mật khẩu không khớp.")).to_be_visible()
    page.get_by_label("Mật khẩu ban đầu").fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    screenshot("commune-form-1366")
    page.set_viewport_size({"width": 360, "height": 800})
    assert no_sideways_scroll(page)
    screenshot("commune-form-360")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Tạo xã và tài khoản quản trị").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nhập tài khoản của Phường Hồng Bàng từ tệp Excel"
    )
    expect(page.get_by_role("alert").first).to_contain_text("Đã tạo Phường Hồng Bàng")

    upload(page, BAD_ROWS, "sai.xlsx")
    refused = page.get_by_test_id("import-refused")
    expect(refused).to_contain_text("Tệp bị từ chối toàn bộ")
    expect(refused).to_contain_text("Dòng 3: thiếu tên đăng nhập.")
    expect(refused).to_contain_text("Dòng 4: cán bộ, công chức phải có đơn vị.")
    expect(refused).to_contain_text("Dòng 4: email không hợp lệ.")
    expect(refused).to_contain_text("Dòng 5: vai trò “Trưởng thôn” không có")
    expect(refused).to_contain_text("Dòng 5: đơn vị “Phòng Kinh tế” thuộc xã, phường khác")
    expect(refused).to_contain_text("Dòng 5: tên đăng nhập “pho.chutich” trùng với dòng 2.")
    screenshot("import-refused-1366")
    page.set_viewport_size({"width": 360, "height": 800})
    assert no_sideways_scroll(page)
    screenshot("import-refused-360")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert get_user_model().objects.filter(username="pho.chutich").count() == 0

    upload(page, GOOD_ROWS, "dung.xlsx")
    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("Xem trước: 2 tài khoản")
    expect(preview).to_contain_text("Vũ Thị Hoa")
    screenshot("import-preview-1366")
    page.set_viewport_size({"width": 360, "height": 800})
    assert no_sideways_scroll(page)
    screenshot("import-preview-360")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_test_id("confirm-import").click()
    created = page.get_by_test_id("created-accounts")
    expect(created).to_contain_text("vanthu.hb")
    expect(page.get_by_test_id("passwords-once")).to_contain_text("chỉ hiện một lần")
    row = created.locator("tr", has_text="vanthu.hb")
    temporary = row.locator("code").inner_text().strip()
    assert len(temporary) == 12
    screenshot("accounts-created-1366")
    page.set_viewport_size({"width": 360, "height": 800})
    assert no_sideways_scroll(page)
    screenshot("accounts-created-360")

    page.goto(base + "/quan-tri-he-thong/")
    assert no_sideways_scroll(page)
    expect(page.get_by_test_id("communes")).to_contain_text("Đỗ Văn Minh")
    screenshot("home-360")
    page.set_viewport_size({"width": 1366, "height": 900})

    # The new administrator signs in and is in their commune.
    log_in(page, base, "hongbang.admin", PASSWORD)
    expect(page.locator(".navbar-brand")).to_contain_text("Ủy ban nhân dân phường Hồng Bàng")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Đỗ Văn Minh")
    screenshot("new-administrator-1366")
    # Their commune's import page is theirs; the system pages are not.
    response = page.goto(base + f"/quan-tri-he-thong/xa/{demo.commune.pk}/nhap-tai-khoan/")
    assert response.status == 404
    assert page.goto(base + "/quan-tri-he-thong/").status == 403

    # An imported person signs in with the password shown once.
    log_in(page, base, "vanthu.hb", temporary)
    expect(page.locator(".navbar-brand")).to_contain_text("Ủy ban nhân dân phường Hồng Bàng")
