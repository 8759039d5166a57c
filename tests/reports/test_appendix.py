"""The appendix read model and its four layouts: HTML (preview), PDF, XLSX and DOCX show the
same figures, read back from each file."""

import io
import re
from decimal import Decimal as D

import pytest
from django.template.loader import render_to_string
from docx import Document
from lxml import html as lxml_html
from openpyxl import load_workbook
from pypdf import PdfReader

from assessments.models import Score
from assessments.services import score_approve, score_propose, score_return
from criteria.rules import NotArisingPolicy, fmt_points
from reports.appendix import appendix
from reports.documents import appendix_context, appendix_pdf
from reports.docx import appendix_docx
from reports.services import report_create
from reports.xlsx import appendix_xlsx


def _score(demo, code) -> Score:
    return Score.objects.get(assessment=demo.assessment, criterion__code=code)


@pytest.fixture
def report(demo_scored, leader, centre_staff, secretary):
    """The seed outcome with one sub-criterion excluded as "không phát sinh" (2.2.d) and one
    returned to its unit, so not approved (1.1.a): the cases where formats could disagree."""
    demo = demo_scored
    criterion = _score(demo, "2.2.d").criterion
    criterion.not_arising = NotArisingPolicy.EXCLUDE
    criterion.save()
    score = _score(demo, "2.2.d")
    score_return(score=score, by=leader, expected_version=score.version, comment="KPS")
    score = _score(demo, "2.2.d")
    score = score_propose(
        score=score,
        by=centre_staff,
        expected_version=score.version,
        not_arising=True,
        submit=True,
    )
    score_approve(score=score, by=leader, expected_version=score.version)
    score = _score(demo, "1.1.a")
    score_return(score=score, by=leader, expected_version=score.version, comment="Bổ sung.")
    return report_create(assessment=demo.assessment, by=secretary)


def test_read_model_holds_the_points_that_count(report):
    table = appendix(report)
    rows = {row.code: row for row in table.rows}
    assert (rows["2.2.d"].excluded, rows["2.2.d"].proposed, rows["2.2.d"].approved) == (
        True,
        None,
        None,
    )
    assert rows["1.1.a"].proposed == D(2) and rows["1.1.a"].approved is None
    assert (rows["1.2.d"].proposed, rows["1.2.d"].approved) == (D(0), D(0))
    assert rows["1.2.d"].note == "Chưa có kinh phí triển khai thực hiện."
    # A parent sums its children's approved points; an unapproved leaf adds nothing.
    assert rows["1.1"].approved == sum((child.approved or D(0)) for child in rows["1.1"].children)
    assert [root.code for root in table.roots] == [row.code for row in table.rows if row.depth == 0]
    assert table.results.approved.rebased and table.results.approved.counted_max == D(99)


def _expected(row, *, blank="") -> tuple[str, str]:
    proposed = blank if row.proposed is None else fmt_points(row.proposed)
    approved = blank if row.approved is None else fmt_points(row.approved)
    return proposed, approved


def test_xlsx_has_the_read_model_figures(report):
    table = appendix(report)
    sheet = load_workbook(io.BytesIO(appendix_xlsx(report))).active
    cells = {r[0].value: r for r in sheet.iter_rows(min_row=6) if r[0].value}
    for row in table.rows:
        if not row.is_leaf:
            continue
        got = (cells[row.code][3].value, cells[row.code][4].value)
        expected = tuple(None if v is None else float(v) for v in (row.proposed, row.approved))
        assert got == expected, row.code
        assert cells[row.code][5].value == (row.unit or None)


def test_docx_has_the_read_model_figures(report):
    table = appendix(report)
    document = Document(io.BytesIO(appendix_docx(report)))
    rows = [[c.text for c in r.cells] for r in document.tables[0].rows]
    cells = {r[0]: r for r in rows if r[0]}
    for row in table.rows:
        assert tuple(cells[row.code][3:5]) == _expected(row), row.code
    total = next(c for c in rows if c[1] == "TỔNG CỘNG")
    assert total[3:5] == [
        fmt_points(table.results.proposed.points),
        fmt_points(table.results.approved.points),
    ]


def test_html_has_the_read_model_figures_and_marks_kps(report):
    table = appendix(report)
    page = lxml_html.fromstring(
        render_to_string("reports/appendix_document.html", appendix_context(report, for_pdf=False))
    )
    cells = {
        tr.xpath("td")[0].text_content(): [td.text_content() for td in tr.xpath("td")]
        for tr in page.xpath('//table[@data-testid="appendix-table"]/tbody/tr')
        if tr.xpath("td")[0].text_content()
    }
    for row in table.rows:
        expected = _expected(row)
        if row.excluded:
            expected = ("KPS", "KPS" if row.is_approved else "")
        assert tuple(cells[row.code][3:5]) == expected, row.code


def test_pdf_has_the_read_model_totals(report):
    table = appendix(report)
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(appendix_pdf(report))).pages
        ).split()
    )
    proposed, approved = table.results.proposed, table.results.approved
    assert (
        f"TỔNG CỘNG {fmt_points(approved.scale)} {fmt_points(proposed.points)} "
        f"{fmt_points(approved.points)}"
    ) in text
    assert re.search(r"2\.2\.d .*?KPS KPS", text)
