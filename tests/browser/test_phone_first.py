"""Issue 13, part 1, "the action first": on a 360 px phone the dashboard shows the score and
level before the criteria set's banner (collapsed), and the level gauge writes its labels
across; a sub-criterion's scoring card comes before its facts and history, in the page and in
tab order; the upload offers the camera and says "Chụp ảnh hoặc chọn tệp"."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assessments.models import Score
from criteria.models import Criterion, Level
from evidence.models import Evidence
from tests.conftest import DEMO_PASSWORD
from tests.evidence.conftest import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 800}
LEAF = "2.2.e"  # led by vhxh's unit in the demo


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))


def top(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def criterion_url(demo) -> str:
    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code=LEAF)
    return reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])


# Which comes first when tabbing from the top of the page: a control of the scoring card's
# forms, or the comment box under the history.
FIRST_REACHED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (el.closest('[data-testid="score-form"], [data-testid="review-form"]')) return "scoring";
  if (el.id === "score-comment") return "comments";
  return null;
}"""


def first_reached_by_tab(page) -> str:
    page.locator("body").focus()
    for _ in range(150):
        page.keyboard.press("Tab")
        reached = page.evaluate(FIRST_REACHED)
        if reached:
            return reached
    raise AssertionError("tabbing reached neither the scoring form nor the comments")


def test_dashboard_puts_the_score_before_the_collapsed_banner(live_server, demo_scored, page):
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "lanhdao")
    page.goto(live_server.url + reverse("reports:dashboard", args=[demo_scored.assessment.pk]))
    banner = page.get_by_test_id("draft-banner")
    expect(banner).to_be_visible()
    assert banner.get_attribute("open") is None  # collapsed to its one-line summary
    expect(banner.get_by_text("nguồn gián tiếp")).to_be_hidden()
    score = top(page, "[data-testid=approved-total]")
    level = top(page, "[data-testid=level-reached]")
    assert score < level < top(page, "[data-testid=draft-banner]")
    assert score < PHONE["height"] and level < PHONE["height"]  # both on the first screen
    expect(page.get_by_test_id("approved-total")).to_be_in_viewport()

    banner.locator("summary").click()  # a tap opens it
    expect(banner.get_by_text("nguồn gián tiếp")).to_be_visible()


def test_level_labels_are_written_across_at_phone_width(live_server, demo_scored, page):
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "lanhdao")
    page.goto(live_server.url + reverse("reports:dashboard", args=[demo_scored.assessment.pk]))
    labels = page.get_by_test_id("level-label")
    names = list(
        Level.objects.filter(criteria_set=demo_scored.assessment.criteria_set).values_list(
            "name", flat=True
        )
    )
    expect(labels).to_have_text(names)
    for index in range(labels.count()):
        label = labels.nth(index)
        box = label.bounding_box()
        assert box["width"] > box["height"], (names[index], box)  # horizontal, not stacked
        # Whole, not clipped by its band.
        assert label.evaluate("(e) => e.scrollWidth <= e.parentElement.clientWidth"), names[index]


def test_review_card_comes_before_history_and_first_in_tab_order(live_server, demo_scored, page):
    Score.objects.filter(assessment=demo_scored.assessment, criterion__code=LEAF).update(
        status=Score.Status.SUBMITTED, leader_points=None, leader_by=None, leader_at=None
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "lanhdao")
    page.goto(live_server.url + criterion_url(demo_scored))
    expect(page.get_by_test_id("review-form")).to_be_visible()
    review = top(page, "[data-testid=review-form]")
    assert review < top(page, "[data-testid=score-history]")
    assert review < top(page, "[data-testid=criterion-facts]")
    assert first_reached_by_tab(page) == "scoring"


@pytest.mark.parametrize("width", [360, 1366])
def test_staff_proposal_form_comes_before_history(live_server, demo, page, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server.url, "vhxh")
    page.goto(live_server.url + criterion_url(demo))
    expect(page.get_by_test_id("score-form")).to_be_visible()
    assert top(page, "[data-testid=score-form]") < top(page, "[data-testid=score-history]")
    assert first_reached_by_tab(page) == "scoring"


def test_upload_offers_the_camera_on_a_phone(live_server, demo, page):
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "vhxh")
    page.goto(live_server.url + criterion_url(demo))
    expect(page.get_by_text("Chụp ảnh hoặc chọn tệp")).to_be_visible()
    expect(page.get_by_text("Kéo thả tệp vào đây")).to_be_hidden()
    chooser = page.get_by_test_id("file-input")
    assert "image/*" in chooser.get_attribute("accept").split(",")
    assert ".pdf" in chooser.get_attribute("accept").split(",")  # documents still offered
    camera = page.get_by_test_id("camera-input")
    assert camera.get_attribute("accept") == "image/*"
    assert camera.get_attribute("capture") == "environment"
    expect(page.locator("label", has_text="Chụp ảnh").first).to_be_visible()

    # A photo taken with the camera goes up like any chosen file.
    camera.set_input_files(
        {"name": "anh-chup.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG")}
    )
    expect(page.locator(".upload-row[data-status=stored]")).to_have_count(1)
    assert Evidence.objects.filter(assessment=demo.assessment).count() == 1


def test_upload_keeps_drag_and_drop_words_on_a_computer(live_server, demo, page):
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, live_server.url, "vhxh")
    page.goto(live_server.url + criterion_url(demo))
    expect(page.get_by_text("Kéo thả tệp vào đây")).to_be_visible()
    expect(page.get_by_text("Chụp ảnh hoặc chọn tệp")).to_be_hidden()


def test_staff_home_puts_the_units_counts_before_the_banner(live_server, demo, page):
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "vhxh")
    expect(page.get_by_test_id("returned-count")).to_be_in_viewport()
    banner = page.get_by_test_id("draft-banner")
    assert banner.get_attribute("open") is None
    assert top(page, "[data-testid=returned-count]") < top(page, "[data-testid=draft-banner]")
