"""Logins in a real browser: wrong passwords lock the account until an administrator unlocks
it; a leader sets up the second factor, then logs in with a code and with a recovery code."""

from __future__ import annotations

import os
import re
from base64 import b32encode
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.accounts.helpers import totp_code
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"wide": {"width": 1366, "height": 900}, "narrow": {"width": 360, "height": 780}}


def shoot(page, name: str) -> None:
    """The page at both widths, when SCREENSHOT_DIR is set."""
    directory = os.environ.get("SCREENSHOT_DIR")
    if not directory:
        return
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=Path(directory) / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(WIDTHS["wide"])


def submit_login(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def user_menu(page) -> None:
    page.get_by_test_id("user-menu").click()


def log_out(page) -> None:
    user_menu(page)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/dang-nhap/$"))


def test_lockout_and_unlock_by_an_administrator(live_server, demo, page, browser):
    base = live_server.url
    page.set_viewport_size(WIDTHS["wide"])
    for attempt in range(4):
        submit_login(page, base, "lanhdao", f"doan-{attempt}")
        expect(page.locator(".alert-danger, .invalid-feedback, .errorlist").first).to_be_visible()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit_login(page, base, "lanhdao", "doan-5")
    assert answer.value.status == 429
    lockout = page.get_by_test_id("lockout")
    expect(lockout).to_contain_text("Đăng nhập tạm thời bị khóa do nhập sai mật khẩu nhiều lần.")
    expect(lockout).to_contain_text(re.compile(r"Hãy thử lại sau \d\d:\d\d"))
    shoot(page, "login-locked")

    submit_login(page, base, "lanhdao")  # the right password does not help
    expect(page.get_by_test_id("lockout")).to_be_visible()

    # An administrator, elsewhere, unlocks the account from the user list.
    admin = browser.new_context(viewport=WIDTHS["wide"]).new_page()
    submit_login(admin, base, "admin")
    admin.goto(base + "/admin/auth/user/?q=lanhdao")
    row = admin.locator("#result_list tbody tr").filter(
        has=admin.get_by_role("link", name="lanhdao", exact=True)
    )
    expect(row.locator("td.field-locked img")).to_have_attribute("alt", "True")
    row.locator("input.action-select").check()
    admin.locator("select[name=action]").select_option("unlock_login")
    admin.locator("button[name=index]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Đã mở khóa đăng nhập cho 1 tài khoản")
    shoot(admin, "login-unlocked-admin")
    admin.context.close()

    submit_login(page, base, "lanhdao")
    expect(page).to_have_url(re.compile(r"/tong-quan/$"))


def test_a_leader_sets_up_and_uses_the_second_factor(live_server, demo, page, settings, tmp_path):
    settings.OTP_ENFORCE = True
    base = live_server.url
    page.set_viewport_size(WIDTHS["wide"])

    # First login: the enrolment page, with a QR code and the key to type in.
    submit_login(page, base, "lanhdao")
    expect(page).to_have_url(re.compile(r"/tai-khoan/xac-thuc-hai-lop/dang-ky/\?next="))
    expect(page.get_by_role("heading", name="Bật xác thực hai lớp")).to_be_visible()
    qr = page.get_by_test_id("totp-qr")
    expect(qr).to_be_visible()
    # Visible as soon as laid out; the SVG arrives a moment later: wait for it, then check.
    page.wait_for_function("img => img.complete", arg=qr.element_handle())
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 0
    device = TOTPDevice.objects.get(user__username="lanhdao", confirmed=False)
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert secret == b32encode(device.bin_key).decode()
    shoot(page, "totp-1-enrol")

    page.get_by_label("Mã 6 chữ số trong ứng dụng").fill(totp_code(device))
    page.get_by_role("button", name="Xác nhận và bật").click()

    # Ten recovery codes, shown once, downloadable.
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    shown = [codes.nth(i).inner_text() for i in range(10)]
    shoot(page, "totp-2-recovery-codes")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Tải về")).click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.name == "ma-khoi-phuc.txt"
    assert all(code in saved.read_text(encoding="utf-8") for code in shown)
    page.get_by_role("button", name="Tôi đã lưu các mã, tiếp tục").click()
    expect(page).to_have_url(re.compile(r"/tong-quan/$"))
    log_out(page)

    # Next login: the code from the phone; a wrong one first.
    submit_login(page, base, "lanhdao")
    expect(page).to_have_url(re.compile(r"/tai-khoan/xac-thuc-hai-lop/nhap-ma/\?next="))
    page.get_by_label("Mã xác thực").fill("000000")
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text("Mã không đúng hoặc đã được dùng.")).to_be_visible()
    shoot(page, "totp-3-wrong-code")
    page.wait_for_timeout(1100)  # a wrong code costs a second before the next try
    page.get_by_label("Mã xác thực").fill(totp_code(device))
    page.get_by_role("button", name="Xác nhận").click()
    expect(page).to_have_url(re.compile(r"/tong-quan/$"))
    log_out(page)

    # Without the phone: a recovery code, once.
    submit_login(page, base, "lanhdao")
    page.get_by_label("Mã xác thực").fill(shown[0].upper())
    page.get_by_role("button", name="Xác nhận").click()
    expect(page).to_have_url(re.compile(r"/tong-quan/$"))
    expect(page.get_by_role("alert").filter(has_text="mã khôi phục")).to_contain_text("còn 9 mã")

    user_menu(page)
    page.get_by_role("link", name="Bảo mật tài khoản").click()
    expect(page.get_by_test_id("two-factor-status")).to_contain_text("Đang bật")
    expect(page.get_by_text("Còn 9 mã khôi phục chưa dùng.")).to_be_visible()
    shoot(page, "totp-4-security")
    log_out(page)

    submit_login(page, base, "lanhdao")
    page.get_by_label("Mã xác thực").fill(shown[0])
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text("Mã không đúng hoặc đã được dùng.")).to_be_visible()
