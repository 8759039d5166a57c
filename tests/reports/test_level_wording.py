"""The level statement where people read it: the dashboard's tiles and the appendix's "MỨC ĐẠT"
line in HTML, PDF, DOCX and XLSX. The wording itself is tested at every boundary in
tests/assessments/test_levels.py; here, that each page and file says it and nothing else."""

import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from docx import Document
from lxml import html as lxml_html
from openpyxl import load_workbook
from pypdf import PdfReader

from assessments.models import Assessment
from assessments.services import adjustment_record
from reports.appendix import appendix
from reports.documents import appendix_context, appendix_pdf, report_context
from reports.docx import appendix_docx
from reports.services import report_create
from reports.xlsx import appendix_xlsx

MUC_2 = "mức 2: Đạt từ 85 đến dưới 90 điểm"
WHY_DRAFT = (
    "Bộ tiêu chí đang dùng là bản dựng lại chưa đối chiếu quyết định chính thức (mức 1 và mức 3 "
    "là suy luận), nên báo cáo không ghi mức đạt được."
)


def verify_levels(assessment: Assessment) -> None:
    """As if the official decision had been checked: the set and its levels are verified."""
    criteria_set = assessment.criteria_set
    criteria_set.needs_verification = False
    criteria_set.save()
    criteria_set.levels.update(provenance="official")


def register(assessment: Assessment, level_name: str | None) -> None:
    assessment.target_level = (
        assessment.criteria_set.levels.get(name=level_name) if level_name else None
    )
    assessment.save()


def disqualify(demo, leader) -> None:
    adjustment = demo.assessment.criteria_set.adjustments.get(kind="disqualifier")
    adjustment_record(
        assessment=demo.assessment, adjustment=adjustment, cases=1, note="Cảnh cáo", by=leader
    )


def tiles(client, assessment) -> dict[str, str]:
    response = client.get(reverse("reports:dashboard", args=[assessment.pk]))
    assert response.status_code == 200
    page = lxml_html.fromstring(response.content.decode())
    return {
        name: " ".join(node[0].text_content().split()) if (node := page.xpath(xpath)) else ""
        for name, xpath in {
            "level": '//*[@data-testid="level-reached"]/..',
            "why": '//*[@data-testid="level-why"]',
            "target": '//*[@data-testid="missing-points"]',
        }.items()
    }


# -- dashboard --------------------------------------------------------------------------------


def test_dashboard_at_90_on_the_draft_set_names_no_level(client, demo_scored_90, login_as, leader):
    login_as(leader)
    shown = tiles(client, demo_scored_90.assessment)
    assert f"Vượt khung điểm của mức đã đăng ký ({MUC_2})" in shown["level"]
    assert "So với mức đăng ký" in shown["level"]
    assert "mức 3" not in shown["level"].replace(WHY_DRAFT, "")
    assert shown["why"] == WHY_DRAFT
    # issue 13: "Đã đủ điểm đạt từ 85 đến dưới 90 điểm" at 90 and more
    assert shown["target"] == "Vượt khung điểm của mức đã đăng ký"


def test_dashboard_at_0_says_what_is_missing(client, demo, login_as, leader):
    login_as(leader)
    shown = tiles(client, demo.assessment)
    assert shown["target"] == "Còn thiếu 85 điểm để đạt mức 2"
    assert f"Chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu 85 điểm" in shown["level"]


def test_dashboard_at_0_against_a_level_without_a_floor(client, demo, login_as, leader):
    # issue 13: "Đã đủ điểm dưới 85 điểm" at 0 points
    register(demo.assessment, "mức 1")
    login_as(leader)
    shown = tiles(client, demo.assessment)
    assert shown["target"] == "Đạt mức đã đăng ký"
    assert "Đã đủ điểm" not in shown["level"] + shown["target"]
    assert shown["why"] == f"{WHY_DRAFT} Khung điểm của mức đã đăng ký (mức 1) cũng là suy luận."


def test_dashboard_below_the_registered_level(client, demo_scored_90, login_as, leader):
    deduction = demo_scored_90.assessment.criteria_set.adjustments.get(kind="deduction")
    adjustment_record(
        assessment=demo_scored_90.assessment, adjustment=deduction, cases=2, note="", by=leader
    )
    login_as(leader)
    shown = tiles(client, demo_scored_90.assessment)  # 90 - 2 × 3 = 84
    assert shown["target"] == "Còn thiếu 1 điểm để đạt mức 2"
    assert f"Chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu 1 điểm" in shown["level"]


def test_dashboard_without_a_registered_level(client, demo_scored_90, login_as, leader):
    register(demo_scored_90.assessment, None)
    login_as(leader)
    shown = tiles(client, demo_scored_90.assessment)
    assert shown["target"] == "Chưa đăng ký mức đạt chuẩn."
    assert shown["why"].endswith("Kỳ đánh giá chưa có mức đăng ký, nên báo cáo chỉ ghi tổng điểm.")
    assert "mức 3" not in shown["level"].replace(shown["why"], "")


def test_dashboard_on_a_verified_set_names_the_level(client, demo_scored_90, login_as, leader):
    verify_levels(demo_scored_90.assessment)
    login_as(leader)
    shown = tiles(client, demo_scored_90.assessment)
    assert shown["level"].startswith("Mức đạt theo điểm đã duyệt")
    assert "mức 3" in shown["level"] and shown["why"] == ""
    assert shown["target"] == "Đạt mức 3, cao hơn mức đã đăng ký"


@pytest.mark.parametrize("verified", [False, True])
def test_dashboard_disqualified(client, demo_scored_90, login_as, leader, verified):
    if verified:
        verify_levels(demo_scored_90.assessment)
    disqualify(demo_scored_90, leader)
    login_as(leader)
    shown = tiles(client, demo_scored_90.assessment)
    assert "Không đủ điều kiện xét công nhận" in shown["level"]
    assert shown["target"] == "Không đủ điều kiện xét công nhận"
    assert shown["why"] == (
        "Kỳ đánh giá có trường hợp thuộc diện không xét công nhận (Có cán bộ, công chức bị kỷ "
        "luật từ cảnh cáo trở lên hoặc bị truy cứu trách nhiệm hình sự trong năm)."
    )


# -- appendix: the same line in every format --------------------------------------------------


@pytest.fixture
def draft(demo_scored_90, secretary):
    """A draft of the demo at 90/100, the boundary of the registered mức 2."""
    return report_create(assessment=demo_scored_90.assessment, by=secretary)


def level_lines(report) -> dict[str, str]:
    """The "MỨC ĐẠT" line as each format prints it ("" when it has none)."""
    page = lxml_html.fromstring(
        render_to_string("reports/appendix_document.html", appendix_context(report, for_pdf=False))
    )
    html_rows = [
        " ".join(td.text_content().strip() for td in tr.xpath("td") if td.text_content().strip())
        for tr in page.xpath('//table[@data-testid="appendix-table"]/tbody/tr')
        if "MỨC ĐẠT" in tr.text_content()
    ]
    docx_rows = [
        " ".join(dict.fromkeys(c.text for c in row.cells if c.text))
        for row in Document(io.BytesIO(appendix_docx(report))).tables[0].rows
        if row.cells[1].text == "MỨC ĐẠT"
    ]
    # the level cell is a formula on the total; its cached value is what a reader shows
    sheet = load_workbook(io.BytesIO(appendix_xlsx(report)), data_only=True).active
    xlsx_cells = [
        f"MỨC ĐẠT {row[2].value}" for row in sheet.iter_rows() if row[1].value == "MỨC ĐẠT"
    ]
    pages = PdfReader(io.BytesIO(appendix_pdf(report))).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    return {
        "html": html_rows[0] if html_rows else "",
        "docx": docx_rows[0] if docx_rows else "",
        "xlsx": xlsx_cells[0] if xlsx_cells else "",
        "pdf": text,
    }


def test_appendix_on_the_draft_set_states_the_registered_level_only(draft):
    expected = f"Vượt khung điểm của mức đã đăng ký ({MUC_2})"
    assert appendix(draft).level_text == expected
    lines = level_lines(draft)
    assert lines["html"] == lines["docx"] == f"MỨC ĐẠT {expected}."
    assert lines["xlsx"] == f"MỨC ĐẠT {expected}."
    assert f"MỨC ĐẠT {expected}." in lines["pdf"] and "Mức 3" not in lines["pdf"]


def test_appendix_on_a_verified_set_names_the_level(draft):
    verify_levels(draft.assessment)
    expected = "Đạt mức 3 (Đạt từ 90 điểm trở lên), cao hơn mức đã đăng ký (mức 2)"
    lines = level_lines(draft)
    assert lines["html"] == lines["docx"] == f"MỨC ĐẠT {expected}."
    assert f"MỨC ĐẠT {expected}." in lines["pdf"]


def test_appendix_without_a_registered_level_on_the_draft_set_has_no_level_line(draft):
    register(draft.assessment, None)
    assert appendix(draft).level_text == ""
    lines = level_lines(draft)
    assert lines["html"] == lines["docx"] == ""
    assert "MỨC ĐẠT" not in lines["pdf"]


def test_appendix_disqualified_names_the_case(draft, demo_scored_90, leader):
    disqualify(demo_scored_90, leader)
    expected = (
        "Không đủ điều kiện xét công nhận (Có cán bộ, công chức bị kỷ luật từ cảnh cáo trở lên "
        "hoặc bị truy cứu trách nhiệm hình sự trong năm)"
    )
    lines = level_lines(draft)
    assert lines["html"] == lines["docx"] == f"MỨC ĐẠT {expected}."


# -- the report's narrative --------------------------------------------------------------------


def test_the_drafted_positives_claim_no_inferred_level(draft):
    body = draft.sections.get(key="p1.III.1").body
    # the figures and the level clause are live fields, read when the report is shown
    assert body.endswith("Kết quả tự đánh giá đạt {tổng điểm}/{thang điểm} điểm, {kết luận mức}.")
    section = next(
        s for s in report_context(draft, for_pdf=True)["sections"] if s.key == "p1.III.1"
    )
    assert section.expanded.endswith(
        f"Kết quả tự đánh giá đạt 90/100 điểm, vượt khung điểm của mức đã đăng ký ({MUC_2})."
    )
    assert "mức 3" not in section.expanded
