"""A unit's staff member drags files onto a sub-criterion page; a leader then downloads one."""

from __future__ import annotations

import base64
import re
import threading
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from criteria.models import Criterion
from evidence import services
from evidence.models import Evidence
from evidence.services import NO_PREVIEW_TOO_LARGE
from jobs import background
from tests.conftest import DEMO_PASSWORD
from tests.evidence.conftest import image_bytes, pdf_bytes
from tests.evidence.hostile_files import webp_solid

pytestmark = pytest.mark.django_db(transaction=True)

OWN_SCREENSHOT = Path("/tmp/evidence-upload.png")
PDF_NAME = "Kế hoạch tuyên truyền 2026.pdf"
PNG_NAME = "Ảnh buổi họp dân.png"
FAKE_NAME = "Quyết định khen thưởng.pdf"  # an HTML page wearing a PDF's name


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))  # home, or a leader's overview


def log_out(page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/dang-nhap/"))


def drop_files(page, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on the drop zone as a file manager would: a DragEvent carrying them."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, { type: f.type }));
            }
            return transfer;
        }""",
        [
            {"name": name, "type": kind, "data": base64.b64encode(data).decode()}
            for name, kind, data in files
        ],
    )
    page.dispatch_event("[data-drop-target]", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("[data-drop-target]", "drop", {"dataTransfer": transfer})


def test_staff_drops_files_and_a_leader_downloads_one(live_server, demo, page, screenshot):
    pdf, png = pdf_bytes(), image_bytes("PNG", size=(64, 48))
    fake = "<!DOCTYPE html><html><body><h1>Không phải PDF</h1></body></html>".encode()

    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")

    log_in(page, live_server.url, "vhxh")
    # From the unit's list of sub-criteria on the home page, as a staff member would.
    page.get_by_role("link", name=leaf.title, exact=True).first.click()
    expect(page).to_have_url(
        live_server.url + reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("2.2.e.")
    expect(page.get_by_test_id("no-evidence")).to_be_visible()  # the panel has loaded

    drop_files(
        page,
        [
            (PDF_NAME, "application/pdf", pdf),
            (FAKE_NAME, "application/pdf", fake),
            (PNG_NAME, "image/png", png),
        ],
    )

    rows = page.locator("[data-upload-results] li")
    expect(rows).to_have_count(3)
    # Files go up one at a time in the order dropped, so codes follow that order.
    for name, code in ((PDF_NAME, "MC-2.2.e-01"), (PNG_NAME, "MC-2.2.e-02")):
        row = rows.filter(has_text=name)
        expect(row).to_have_attribute("data-status", "stored")
        expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
        expect(row.locator(".progress-bar")).to_have_attribute("style", re.compile(r"100%"))
        expect(row).to_contain_text(f"Đã tải lên: {code}")
    refused = rows.filter(has_text=FAKE_NAME)
    expect(refused).to_have_attribute("data-status", "refused")
    expect(refused).to_contain_text("Không nhận")
    expect(refused).to_contain_text("trang web (HTML/XML)")

    listing = page.get_by_test_id("evidence-list")
    expect(listing.locator(".evidence-item")).to_have_count(2)
    expect(listing).to_contain_text("MC-2.2.e-01")
    expect(listing).to_contain_text("MC-2.2.e-02")
    expect(listing).to_contain_text(PDF_NAME)
    expect(listing).to_contain_text(PNG_NAME)
    expect(listing.locator("img")).to_have_count(2)  # thumbnails of the PDF and the image
    assert Evidence.objects.count() == 2
    # Bootstrap animates the bars' width: wait until they are drawn full, not only styled so.
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-upload-results] .progress")].every(
            (bar) => bar.firstElementChild.getBoundingClientRect().width
                >= bar.getBoundingClientRect().width - 1)"""
    )
    screenshot("browser-evidence-upload")
    page.screenshot(path=OWN_SCREENSHOT, full_page=True)

    log_out(page)
    log_in(page, live_server.url, "lanhdao")
    stored = Evidence.objects.get(current_file__original_name=PDF_NAME)
    page.goto(
        live_server.url + reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])
    )
    item = page.locator(f'.evidence-item[data-code="{stored.code}"]')
    expect(item).to_contain_text(PDF_NAME)
    expect(item.get_by_role("button", name="Xóa")).to_be_visible()  # a leader may delete

    with page.expect_download() as info:
        item.get_by_role("link", name="Tải về").click()
    download = info.value
    assert download.suggested_filename == PDF_NAME
    assert Path(download.path()).read_bytes() == pdf

    image = Evidence.objects.get(current_file__original_name=PNG_NAME).current_file
    response = page.request.get(
        live_server.url + reverse("evidence:download", args=[demo.assessment.pk, image.pk])
    )
    assert response.ok
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.body() == png


def test_a_hostile_image_is_stored_without_a_preview_and_the_uploader_is_told(
    live_server, demo, page
):
    bomb = webp_solid(10950, 10950)  # 34 bytes, 10950 × 10950 pixels
    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")
    log_in(page, live_server.url, "vhxh")
    page.goto(
        live_server.url + reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])
    )
    expect(page.get_by_test_id("no-evidence")).to_be_visible()

    drop_files(page, [("Ảnh hiện trường.webp", "image/webp", bomb)])

    row = page.locator("[data-upload-results] li")
    expect(row).to_have_attribute("data-status", "stored")
    expect(row).to_contain_text("Đã tải lên: MC-2.2.e-01")
    expect(row.locator(".text-warning-emphasis")).to_have_text(NO_PREVIEW_TOO_LARGE)
    listing = page.get_by_test_id("evidence-list")
    expect(listing.locator(".evidence-item")).to_have_count(1)
    expect(listing.locator("img")).to_have_count(0)  # no preview to show
    stored = Evidence.objects.get()
    assert not stored.current_file.thumbnail


def test_the_thumbnail_appears_by_itself_when_drawn_after_the_upload(
    live_server, demo, page, settings, monkeypatch
):
    """Without a broker the thumbnail is drawn after the upload's response (jobs/background.py):
    the list says it is being made, then shows it without the person reloading the page."""
    settings.BACKGROUND_THREADS = 1
    gate = threading.Event()
    draw = services.make_preview

    def held(path, kind):
        gate.wait(timeout=30)
        return draw(path, kind)

    monkeypatch.setattr(services, "make_preview", held)
    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")
    log_in(page, live_server.url, "vhxh")
    page.goto(
        live_server.url + reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])
    )
    expect(page.get_by_test_id("no-evidence")).to_be_visible()

    try:
        drop_files(page, [(PNG_NAME, "image/png", image_bytes("PNG", size=(64, 48)))])
        row = page.locator("[data-upload-results] li")
        expect(row).to_have_attribute("data-status", "stored")
        listing = page.get_by_test_id("evidence-list")
        expect(listing.get_by_test_id("preview-pending")).to_be_visible()
        expect(listing.locator("img")).to_have_count(0)
    finally:
        gate.set()
    expect(listing.locator("img")).to_have_count(1, timeout=15_000)
    expect(listing.get_by_test_id("preview-pending")).to_have_count(0)
    assert background.drain(timeout=30)
