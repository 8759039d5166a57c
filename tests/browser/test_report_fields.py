"""The report editor in a real browser: a field is inserted at the cursor, saved through htmx,
and the section's preview shows today's value; a changed score offers to refresh the text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessments.models import Score
from assessments.services import score_adjust
from reports.services import report_create
from tests.browser.test_issue_sign import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_insert_a_field_save_and_refresh_after_a_change(
    live_server, demo_scored, page, leader, secretary
):
    report = report_create(assessment=demo_scored.assessment, by=secretary)
    positives = report.sections.get(key="p1.III.1")
    log_in(page, live_server.url, "vanthu")
    page.goto(f"{live_server.url}/ky-danh-gia/{demo_scored.assessment.pk}/bao-cao/{report.pk}/")
    card = page.locator(f"#muc-{positives.pk}")
    area = card.locator("textarea")
    area.fill("Tổng số tiêu chí thành phần: .")
    area.evaluate("a => a.setSelectionRange(a.value.length - 1, a.value.length - 1)")
    card.locator("details summary").click()
    card.locator('[data-insert-field="{số tiêu chí thành phần}"]').click()
    expect(area).to_have_value("Tổng số tiêu chí thành phần: {số tiêu chí thành phần}.")
    card.get_by_role("button", name="Lưu mục này").click()
    card = page.locator(f"#muc-{positives.pk}")  # swapped by htmx
    expect(card.get_by_text("Đã lưu")).to_be_visible()
    leaves = Score.objects.filter(assessment=demo_scored.assessment).count()
    expect(card.get_by_test_id("section-preview")).to_contain_text(
        f"Tổng số tiêu chí thành phần: {leaves}."
    )

    # A leader changes a score; the section of that criterion offers to refresh its text.
    score = next(
        s
        for s in Score.objects.filter(
            assessment=demo_scored.assessment, criterion__code__startswith="2."
        ).select_related("criterion")
        if s.is_approved and s.leader_points == s.criterion.max_points >= 1
    )
    score_adjust(
        score=score,
        by=leader,
        expected_version=score.version,
        points=0 * score.leader_points,
        reason="Chưa có minh chứng.",
    )
    page.reload()
    section = report.sections.get(key="p1.II.2")
    card = page.locator(f"#muc-{section.pk}")
    expect(card.get_by_test_id("stale")).to_contain_text(re.compile(r"điểm của tiêu chí: \d"))
    page.on("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Làm mới từ dữ liệu").click()
    expect(page.locator(f"#muc-{section.pk}").get_by_test_id("stale")).to_have_count(0)
    section.refresh_from_db()
    assert section.body == "{kết quả thực hiện}" and section.version == 1
