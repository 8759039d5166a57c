"""Issuing and signing in a real browser: the secretary creates the report and issues it; the
signer (the Phó Chủ tịch) finds it in her "Chờ ký" list and signs from her own account, with
confirmation and a button that shows progress; the secretary then seals it (the commune's
signature), downloads the signed PDF and the dossier for the city; then anyone, not logged in,
checks the document on the public verification page."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import Report, SigningKey, TrustAnchor
from reports.signing import validate_pdf
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ISSUED_SHOT = Path("/tmp/issue-issued.png")
VERIFY_SHOT = Path("/tmp/issue-verify.png")
NUMBER = "Số: 01/BC-UBND"
# The demo's certificates are under a test root: shown as such, never as plainly trusted.
VALID = "Chữ ký hợp lệ, chứng thư THỬ NGHIỆM – không có giá trị pháp lý"
DOSSIER_START = [
    "01-bao-cao-so-01.pdf",
    "02-phu-luc-bao-cao-so-01.pdf",
    "03-bang-cham-diem-so-01.xlsx",
    "04-danh-muc-minh-chung.xlsx",
    "05-danh-muc-minh-chung.pdf",
]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))


def flash(page):
    """The message shown after an action (Django's messages, not the page's own alerts)."""
    return page.locator('.alert-success[role="alert"]')


def shoot(page, name: str) -> None:
    """The `screenshot` fixture for a page other than the fixture's own."""
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=Path(directory) / f"{name}.png", full_page=True)


def test_secretary_issues_signer_signs_secretary_seals_anyone_verifies(
    live_server, demo_scored, page, browser, screenshot, settings, tmp_path
):
    base = live_server.url
    demo = demo_scored
    settings.PORTAL_BASE_URL = base  # the QR code and printed link point at this server
    demo_signing_setup(commune=demo.commune)
    person_key = SigningKey.objects.get(commune=demo.commune, owner__isnull=False)
    organisation_key = SigningKey.objects.get(commune=demo.commune, owner__isnull=True)
    page.on("dialog", lambda dialog: dialog.accept())  # "Ban hành báo cáo? ..."

    # The secretary lands on the dashboard and creates the report from the assessment's data.
    log_in(page, base, "vanthu")
    expect(page).to_have_url(re.compile(rf"/ky-danh-gia/{demo.assessment.pk}/tong-quan/$"))
    page.get_by_role("link", name="Báo cáo và phụ lục").click()
    expect(page.get_by_text("Chưa có báo cáo nào.")).to_be_visible()
    page.get_by_role("button", name="Tạo dự thảo báo cáo").click()
    expect(flash(page)).to_contain_text("Đã tạo dự thảo báo cáo")
    issue_box = page.get_by_test_id("issue-box")
    expect(issue_box.locator(".alert-warning")).to_have_count(0)  # every score is approved
    screenshot("issue-1-draft")

    # Issuing gives the number and the date and freezes the documents.
    issue_box.get_by_role("button", name="Ban hành báo cáo").click()
    expect(page).to_have_url(re.compile(r"/bao-cao/\d+/da-ban-hanh/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(NUMBER)
    expect(flash(page)).to_contain_text(f"Đã ban hành {NUMBER}")
    report = Report.objects.get(assessment=demo.assessment)
    assert report.status == Report.Status.ISSUED and report.number == 1
    screenshot("issue-2-issued")

    # The secretary cannot sign for the signer: she is told who signs next.
    expect(page.get_by_test_id("sign-person")).to_have_count(0)
    expect(page.get_by_test_id("sign-waiting")).to_contain_text("Chờ Phó Chủ tịch Lưu Thị Tươi ký.")
    issued_url = page.url

    # The signer logs in and finds the report in her "Chờ ký" list.
    page.context.clear_cookies()
    log_in(page, base, "lanhdao")
    awaiting = page.get_by_test_id("awaiting-signature")
    expect(awaiting).to_contain_text("Chờ ký (1)")
    expect(awaiting).to_contain_text("Báo cáo số 01/BC-UBND")
    screenshot("issue-3-awaiting-signature")
    awaiting.get_by_role("link", name="Ký số").click()
    expect(page).to_have_url(issued_url)
    person = page.get_by_test_id("sign-person")
    person.get_by_label("Khóa ký số của Đồng chí").select_option(str(person_key.pk))
    person.get_by_label("Mật khẩu / mã PIN").fill(DEMO_PASSPHRASE)
    person.get_by_label("Tôi đã đọc văn bản và đồng ý ký").check()
    # What the button shows once the form is sent: a listener on the window runs after the
    # page's own (on the document) and keeps what it sees in sessionStorage, which outlives the
    # navigation. Nothing holds the request: a held navigation stalled the browser in CI.
    page.evaluate(
        """() => window.addEventListener("submit", (event) => {
            const form = event.target;
            const button = form.querySelector('[type=submit]');
            sessionStorage.setItem('signing-state', JSON.stringify([
                form.getAttribute('aria-busy'), button.getAttribute('aria-disabled'),
                button.classList.contains('disabled'), button.textContent.trim(),
                button.querySelectorAll('.spinner-border').length]));
        })"""
    )
    button = person.locator("button[type=submit]")
    expect(button).to_have_text("Ký số")
    button.click()
    expect(flash(page)).to_contain_text("Lưu Thị Tươi đã ký số báo cáo; chờ văn thư đóng dấu.")
    expect(page.get_by_test_id("sign-person")).to_have_count(0)
    expect(page.get_by_test_id("sign-waiting")).to_contain_text("Chờ văn thư đóng dấu")
    state = page.evaluate("() => JSON.parse(sessionStorage.getItem('signing-state'))")
    assert state == ["true", "true", True, "Đang ký…", 1]
    screenshot("issue-4-person-signed")

    # The secretary finds it waiting for the seal and applies the commune's signature.
    page.context.clear_cookies()
    log_in(page, base, "vanthu")
    awaiting = page.get_by_test_id("awaiting-signature")
    expect(awaiting).to_contain_text("Chờ đóng dấu (1)")
    awaiting.get_by_role("link", name="Đóng dấu").click()
    organisation = page.get_by_test_id("sign-organisation")
    organisation.get_by_label("Khóa của cơ quan").select_option(str(organisation_key.pk))
    organisation.get_by_label("Mật khẩu / mã PIN").fill(DEMO_PASSPHRASE)
    organisation.get_by_label("Tôi đã đọc văn bản và đồng ý ký").check()
    screenshot("issue-5-seal")
    organisation.get_by_role("button", name="Đóng dấu").click()
    expect(flash(page)).to_contain_text("Đã đóng dấu: cơ quan đã ký số báo cáo và phụ lục.")
    expect(page.get_by_text("Báo cáo và phụ lục đã được ký số đủ.")).to_be_visible()

    # The report as signed by the commune: two intact, valid, trusted signatures.
    files = page.get_by_test_id("issued-files")
    signed_row = files.locator("li").filter(has_text="Báo cáo · Đã ký (cơ quan)")
    expect(signed_row).to_have_count(1)
    with page.expect_download() as download_info:
        signed_row.get_by_role("link", name="Tải về").click()
    download = download_info.value
    assert download.suggested_filename == "bao-cao-so-01-da-ky-co-quan.pdf"
    signed_pdf = tmp_path / download.suggested_filename
    download.save_as(signed_pdf)
    data = signed_pdf.read_bytes()
    roots = [anchor.certificate_pem.encode() for anchor in TrustAnchor.objects.all()]
    checks = validate_pdf(data, trust_roots=roots)
    assert [c.field_name for c in checks] == ["ChuKyNguoiKy", "ChuKyCoQuan"]
    assert all(c.intact and c.valid and c.trusted and not c.modified_after for c in checks)
    expect(signed_row).to_contain_text(hashlib.sha256(data).hexdigest())
    text = subprocess.run(
        ["pdftotext", str(signed_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # The link wraps where it is long; pdftotext then drops a "-" that ends a line (it takes
    # it for a hyphen), so compare without line breaks and without dashes.
    link = f"{base}/xac-minh/{report.verify_token}/"
    assert NUMBER in text
    assert link.replace("-", "") in text.replace("\n", "").replace("-", "")

    # The dossier for the city: its SHA-256 on the page is the one of the downloaded ZIP.
    dossier_card = page.get_by_test_id("dossier")
    dossier_card.get_by_role("button", name="Lập hồ sơ").click()
    expect(flash(page)).to_contain_text("Đã lập hồ sơ gửi thành phố.")
    dossier_card = page.get_by_test_id("dossier")
    dossier_link = dossier_card.get_by_role("link", name=re.compile(r"^Hồ sơ "))
    expect(dossier_link).to_have_count(1)
    page.screenshot(path=ISSUED_SHOT, full_page=True)
    screenshot("issue-6-signed-and-dossier")
    with page.expect_download() as download_info:
        dossier_link.click()
    zipped = tmp_path / "dossier.zip"
    download_info.value.save_as(zipped)
    digest = hashlib.sha256(zipped.read_bytes()).hexdigest()
    expect(dossier_card).to_contain_text(f"SHA-256 {digest}")
    with zipfile.ZipFile(zipped) as archive:
        assert archive.namelist()[:5] == DOSSIER_START
        assert archive.read("01-bao-cao-so-01.pdf") == data

    # The public verification link opens in a new tab.
    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name="Trang xác minh công khai").click()
    verify_url = new_tab.value.url
    new_tab.value.close()
    assert verify_url == f"{base}/xac-minh/{report.verify_token}/"

    # Anyone, not logged in, checks the document and the file they received.
    anonymous = browser.new_context(accept_downloads=False)
    try:
        public = anonymous.new_page()
        public.goto(verify_url)
        expect(public).to_have_url(verify_url)  # not sent to the login page
        expect(public.get_by_test_id("document")).to_contain_text("Báo cáo 01/BC-UBND")
        expect(public.get_by_test_id("final-hash")).to_have_text(hashlib.sha256(data).hexdigest())
        checks_list = public.get_by_test_id("signature-checks")
        expect(checks_list.locator("li")).to_have_count(2)
        expect(checks_list.locator("li").filter(has_text=VALID)).to_have_count(2)
        public.get_by_label("Tệp PDF cần kiểm tra").set_input_files(signed_pdf)
        public.get_by_role("button", name="Kiểm tra", exact=True).click()
        verdict = public.get_by_test_id("verdict")
        expect(verdict).to_have_attribute("data-verdict", "test")
        expect(verdict).to_contain_text("Văn bản đã ban hành trên cổng, chữ ký số THỬ NGHIỆM")
        expect(verdict.locator("li").filter(has_text=VALID)).to_have_count(2)
        public.screenshot(path=VERIFY_SHOT, full_page=True)
        shoot(public, "issue-7-public-verification")
    finally:
        anonymous.close()
