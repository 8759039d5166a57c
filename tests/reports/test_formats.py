"""Issue 11, items 8 and 9: drafts look like drafts, and the format fixes, measured on the
rendered files (PDF boxes and words, the DOCX XML, the XLSX read back)."""

import io
import re
import subprocess
import zipfile
from decimal import Decimal as D

import pytest
from django.template.loader import render_to_string
from django.utils.text import capfirst
from docx import Document
from docx.oxml.ns import qn
from lxml import html as lxml_html
from openpyxl import load_workbook
from pypdf import PdfReader

from assessments.levels import statement_for_points
from reports import docx as report_docx_module
from reports import rendering
from reports.appendix import appendix
from reports.documents import (
    appendix_context,
    qr_data_uri,
    render_pdfs,
    report_context,
    row_blocks,
    verification_url,
)
from reports.docx import appendix_docx, report_docx, text_width
from reports.models import ReportSection
from reports.services import report_create
from reports.xlsx import LINE_POINTS, appendix_xlsx, level_formula

MM = 72 / 25.4  # points per millimetre
WATERMARK = "DỰ THẢO"


@pytest.fixture
def report(demo_scored, secretary, settings):
    settings.RENDER_WORKERS = 0
    return report_create(assessment=demo_scored.assessment, by=secretary)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def words(data: bytes, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, word) of one page (1-based, y from the top), by pdftotext."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    pattern = (
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, html)
    ]


# -- the "DỰ THẢO" watermark ------------------------------------------------------------------


def test_draft_pdfs_carry_the_watermark_on_every_page_and_issued_ones_never(report):
    draft_report, draft_appendix = render_pdfs(report, cached=False)
    report.verify_token = "t" * 32
    issued_report, issued_appendix = render_pdfs(report, issued=True, cached=False)
    for data in (draft_report.data, draft_appendix.data):
        texts = page_texts(data)
        assert len(texts) >= 2
        assert all(WATERMARK in text for text in texts)
    for data in (issued_report.data, issued_appendix.data):
        assert not any(WATERMARK in text for text in page_texts(data))
    # The draft appendix is no longer byte-identical to the issued one (item 10).
    assert draft_appendix.data != issued_appendix.data


# -- the verification QR code ----------------------------------------------------------------


def test_qr_code_and_caption_stay_in_the_bottom_margin_10_mm_from_the_edge(report):
    report.verify_token = "t" * 32
    context = report_context(report, for_pdf=True)
    url = verification_url(report)
    context.update(verify_url=url, verify_qr=qr_data_uri(url))
    html = render_to_string("reports/report_document.html", context)
    base = str(rendering.settings.BASE_DIR)
    _, qr = rendering.render(html, base, "verify-qr")
    _, caption = rendering.render(html, base, "verify-caption")  # its last (lowest) line
    assert qr["page"] == caption["page"] == 0
    for found in (qr, caption):
        left, bottom, right, top = found["box"]
        assert bottom >= 10 * MM  # printers cut nothing
        assert top <= 25 * MM + 0.5  # inside page 1's bottom margin, under the text
        assert left >= 30 * MM - 0.5 and right <= found["page_size"][0] - 15 * MM
    assert qr["box"][3] - qr["box"][1] >= 11 * MM  # still big enough to scan


# -- the appendix: margin, group rows kept with their first child -----------------------------


def test_appendix_left_margin_is_30_mm(report):
    (pdf,) = render_pdfs(report, ("appendix",), issued=True, cached=False)
    for page in (1, 2):
        body = [w for w in words(pdf.data, page) if w[1] > 20 * MM]
        assert 30 * MM - 0.5 <= min(w[0] for w in body) <= 32 * MM


def test_row_blocks_join_each_group_row_with_its_first_child(report):
    rows = appendix(report).rows
    blocks = row_blocks(rows)
    assert [row for block in blocks for row in block] == rows
    for block in blocks:
        assert block[-1].is_leaf
        assert all(not row.is_leaf for row in block[:-1])
        for parent, child in zip(block, block[1:], strict=False):
            assert parent.children[0] is child


def _last_codes(data: bytes, codes: set[str]) -> list[str]:
    """The code of the lowest table row on every page."""
    pages = len(PdfReader(io.BytesIO(data)).pages)
    last = []
    for page in range(1, pages + 1):
        found = [w for w in words(data, page) if w[4] in codes and w[0] < 40 * MM]
        last.append(max(found, key=lambda w: w[1])[4] if found else "")
    return last


def _appendix_pdf(report, spacer_mm: float, *, keep_groups: bool) -> bytes:
    context = appendix_context(report, for_pdf=True, electronic=True)
    if not keep_groups:  # what the template did before: one row at a time
        context["blocks"] = [[row] for row in context["appendix"].rows]
    html = render_to_string("reports/appendix_document.html", context).replace(
        '<table class="results"', f'<div style="height: {spacer_mm}mm"></div><table class="results"'
    )
    return rendering.render(html, str(rendering.settings.BASE_DIR))[0]


def test_no_group_row_is_stranded_at_the_bottom_of_a_page(report):
    """Shift the table down a few millimetres at a time until a group row lands alone at the
    bottom of a page when rows break one by one; the kept blocks never leave one there."""
    content = appendix(report)
    groups = {row.code for row in content.rows if not row.is_leaf}
    codes = {row.code for row in content.rows}
    for spacer in range(0, 60, 6):
        stranded = set(_last_codes(_appendix_pdf(report, spacer, keep_groups=False), codes))
        if stranded & groups:
            break
    else:
        pytest.fail("no layout strands a group row: the test would prove nothing")
    kept = _last_codes(_appendix_pdf(report, spacer, keep_groups=True), codes)
    assert not set(kept) & groups, kept


# -- DOCX -------------------------------------------------------------------------------------


def _headers_xml(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(name).decode() for name in archive.namelist() if "header" in name]


@pytest.mark.parametrize("build", [report_docx, appendix_docx])
def test_draft_docx_has_a_watermark_in_every_page_header_and_issued_none(report, build):
    draft = build(report)  # a draft report: watermarked by default
    section = Document(io.BytesIO(draft)).sections[0]
    assert section.different_first_page_header_footer
    for header in (section.first_page_header, section.header):  # page 1, pages 2…
        xml = header._element.xml
        assert f'string="{WATERMARK}"' in xml and 'type="#_x0000_t136"' in xml
    assert not any(WATERMARK in xml for xml in _headers_xml(build(report, draft=False)))


def test_report_docx_headings_are_word_heading_styles_in_the_documents_font(report):
    document = Document(io.BytesIO(report_docx(report)))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name != "Normal"]
    assert ("Heading 1", "PHẦN I: KẾT QUẢ THỰC HIỆN 6 THÁNG ĐẦU NĂM 2026") in headings
    assert ("Heading 2", "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH") in headings
    assert any(style == "Heading 3" for style, _ in headings)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[name]
        assert style.font.name == "Times New Roman" and style.font.size.pt == 14
        assert style.font.bold and str(style.font.color.rgb) == "000000"
        assert "Theme" not in style.element.rPr.rFonts.xml.replace("xmlns", "")  # no theme face
        assert style.element.pPr.find(qn("w:outlineLvl")) is not None  # navigation pane


def test_report_docx_header_block(report):
    document = Document(io.BytesIO(report_docx(report)))
    header = document.tables[0]
    (agency, nation), (number, place) = ([c for c in row.cells] for row in header.rows)
    # "Số: …" on the same row as the place and date.
    assert number.text.replace("\u2060", "") == report.number_text
    assert place.text.startswith(report.assessment.commune.document_place + ", ngày")
    # Each rule is the bottom border of the paragraph it underlines.
    ruled = [agency.paragraphs[-1], nation.paragraphs[-1]]
    assert nation.paragraphs[-1].text == "Độc lập - Tự do - Hạnh phúc"
    for paragraph in ruled:
        assert paragraph._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")) is not None
    assert not any(p.text == "" for cell in (agency, nation) for p in cell.paragraphs)
    # The tiêu ngữ's rule is as long as its text (within 4 mm).
    motto = nation.paragraphs[-1].paragraph_format
    rule = header.columns[1].width - report_docx_module.CELL_MARGINS - 2 * motto.left_indent
    assert abs(rule - text_width("Độc lập - Tự do - Hạnh phúc", 13, bold=True)) < 4 * 36000


def test_docx_tables_repeat_their_header_and_never_split_a_row(report):
    for data in (report_docx(report), appendix_docx(report)):
        document = Document(io.BytesIO(data))
        tables = [t for t in document.tables if t.style.name == "Table Grid"]
        assert tables
        for table in tables:
            flags = [row._tr.trPr for row in table.rows]
            assert flags[0].find(qn("w:tblHeader")) is not None
            assert all(f.find(qn("w:tblHeader")) is None for f in flags[1:])
            assert all(f.find(qn("w:cantSplit")) is not None for f in flags)


def test_document_numbers_never_break_in_docx(report):
    data = report_docx(report)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    # 62/KH-UBND: no break around the slash (U+2060) and Word's non-breaking hyphen.
    assert re.search(
        r"62\u2060/\u2060KH</w:t></w:r><w:r>(<w:rPr/>|<w:rPr>.*?</w:rPr>)?<w:noBreakHyphen/>", xml
    )
    assert "62/KH-UBND" not in xml and "KH-UBND" not in xml
    text = " ".join(p.text for p in Document(io.BytesIO(data)).paragraphs).replace("\u2060", "")
    assert "Kế hoạch số 62/KH-UBND" in text  # reads back as typed


def test_report_docx_reads_the_expanded_text_when_present(report, monkeypatch):
    def with_expanded(*args, **kwargs):
        context = report_context(*args, **kwargs)
        for section in context["sections"]:
            section.expanded = f"Mở rộng {section.key}."
        return context

    monkeypatch.setattr(report_docx_module, "report_context", with_expanded)
    text = " ".join(p.text for p in Document(io.BytesIO(report_docx(report))).paragraphs)
    keys = list(ReportSection.objects.filter(report=report).values_list("key", flat=True))
    assert keys and all(f"Mở rộng {key}." in text for key in keys)


def test_appendix_docx_margin_and_group_rows_kept_with_their_first_child(report):
    content = appendix(report)
    document = Document(io.BytesIO(appendix_docx(report)))
    assert round(document.sections[0].left_margin.mm) == 30
    rows = {row.cells[0].text: row for row in document.tables[0].rows}
    for item in content.rows:
        paragraphs = [p for cell in rows[item.code].cells for p in cell.paragraphs]
        assert all(
            bool(p.paragraph_format.keep_with_next) == (not item.is_leaf) for p in paragraphs
        )


# -- XLSX -------------------------------------------------------------------------------------


def test_xlsx_stores_the_value_of_every_formula(report):
    data = appendix_xlsx(report)
    formulas = load_workbook(io.BytesIO(data)).active
    values = load_workbook(io.BytesIO(data), data_only=True).active
    content = appendix(report)
    rows = {r[0].value: r[0].row for r in formulas.iter_rows(min_row=6) if r[0].value}
    for item in content.rows:
        if item.is_leaf:
            continue
        r = rows[item.code]
        assert formulas[f"D{r}"].value.startswith("=SUM(") and formulas[f"E{r}"].value.startswith(
            "=SUM("
        )
        assert values[f"D{r}"].value == float(item.proposed or 0), item.code
        assert values[f"E{r}"].value == float(item.approved or 0), item.code
    total = next(r[0].row for r in formulas.iter_rows(min_row=6) if r[1].value == "TỔNG CỘNG")
    assert values[f"E{total}"].value == sum(float(root.approved or 0) for root in content.roots)
    assert values[f"C{total}"].value == float(sum(root.max_points for root in content.roots))


def _evaluate(expression: str, points: D) -> str:
    """A level branch as a spreadsheet computes it: string literals, and the shortfall's
    figure SUBSTITUTE(ROUND(MAX(0,min-cell),2)&"",".",",")."""
    figure = re.compile(r'SUBSTITUTE\(ROUND\(MAX\(0,([\d.]+)-[A-Z]+\d+\),2\)&"","\.",","\)')
    out = []
    for part in re.findall(r'"(?:[^"]|"")*"|SUBSTITUTE\(.*?,","\)', expression):
        if part.startswith('"'):
            out.append(part[1:-1].replace('""', '"'))
        else:
            shortfall = max(D(0), D(figure.match(part).group(1)) - points)
            out.append(f"{round(shortfall, 2).normalize():f}".replace(".", ","))
    return "".join(out)


def test_xlsx_level_row_is_a_formula_worded_by_the_level_statement(report):
    data = appendix_xlsx(report)
    formulas = load_workbook(io.BytesIO(data)).active
    values = load_workbook(io.BytesIO(data), data_only=True).active
    level = next(r[0].row for r in formulas.iter_rows(min_row=6) if r[1].value == "MỨC ĐẠT")
    formula = formulas[f"C{level}"].value
    assert formula.startswith("=IF(")
    results = appendix(report).results
    total = D(str(values[f"E{level - 1}"].value))
    said = lambda points: capfirst(statement_for_points(results, points).text) + "."  # noqa: E731
    assert values[f"C{level}"].value == said(total)
    # Every branch says what the level statement says, at and around each boundary.
    _, branches = level_formula(results, f"E{level - 1}")
    bounds = sorted({lv.min_points for lv in results.levels if lv.min_points is not None})
    for points in [D(0), D(100), *bounds, *(b - D("0.25") for b in bounds)]:
        chosen = next(expression for bound, expression in branches if points >= bound)
        assert _evaluate(chosen, points) == said(points), points
        assert chosen in formula


def test_xlsx_page_setup_footer_and_header_wording(report):
    sheet = load_workbook(io.BytesIO(appendix_xlsx(report))).active
    assert sheet.oddFooter.center.text == "Trang &P/&N"
    assert round(sheet.page_margins.left * 25.4) == 30
    assert round(sheet.page_margins.right * 25.4) == 15
    context = appendix_context(report, for_pdf=True)
    html = lxml_html.fromstring(render_to_string("reports/appendix_document.html", context))
    pdf_headers = [th.text_content() for th in html.xpath("//table[@class='results']/thead//th")]
    assert [c.value for c in sheet[5]] == pdf_headers


def test_xlsx_rows_are_as_high_as_their_wrapped_text(report):
    sheet = load_workbook(io.BytesIO(appendix_xlsx(report))).active
    width = sheet.column_dimensions["B"].width
    for row in sheet.iter_rows(min_row=6):
        title = row[1].value
        if not title or row[0].value is None:
            continue
        height = sheet.row_dimensions[row[0].row].height
        # At least one line per ~width characters of the title (Times New Roman is narrower
        # than the column's unit, so this lower bound holds in Excel and LibreOffice).
        assert height >= LINE_POINTS * -(-len(title) // int(width * 1.6)), row[0].value
        assert height <= LINE_POINTS * 12
    heights = {
        row[0].value: sheet.row_dimensions[row[0].row].height
        for row in sheet.iter_rows(min_row=6)
        if row[0].value
    }
    assert max(heights.values()) >= 4 * LINE_POINTS  # long texts get several lines
    assert min(heights.values()) < 2 * LINE_POINTS  # short ones stay one line
