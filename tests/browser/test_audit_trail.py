"""A leader finds a colleague's failed logins in the audit trail, in a real browser."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, username, password=DEMO_PASSWORD):
    page.goto(live_server.url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_leader_filters_the_trail_and_exports_it(live_server, demo, page, screenshot):
    log_in(page, live_server, "vhxh", "sai-mat-khau")
    log_in(page, live_server, "vhxh", "van-sai")
    page.context.clear_cookies()

    log_in(page, live_server, "lanhdao")
    page.get_by_role("link", name="Nhật ký hoạt động").click()
    expect(page.get_by_role("heading", name="Nhật ký hoạt động")).to_be_visible()

    page.get_by_label("Thao tác").select_option(label="Đăng nhập thất bại")
    page.get_by_role("button", name="Lọc").click()
    rows = page.locator("[data-testid=audit-entries] tbody tr[data-action]")
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i)).to_contain_text("Đăng nhập thất bại")
        expect(rows.nth(i)).to_contain_text("Tài khoản vhxh")
        expect(rows.nth(i)).to_contain_text("127.0.0.1")
    assert "thao-tac=login_failed" in page.url
    screenshot("audit-trail-leader")

    # The export is built in the worker (here at the commit, without a broker): the button
    # leads to the job's page, which offers the file.
    page.get_by_test_id("audit-export").click()
    with page.expect_download() as download:
        page.get_by_test_id("job-download").click()
    data = open(download.value.path(), "rb").read()  # noqa: SIM115
    sheet = load_workbook(io.BytesIO(data)).active
    actions = [row[6] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert actions == ["Đăng nhập thất bại", "Đăng nhập thất bại"]
