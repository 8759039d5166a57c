"""The report as a Word document, for the clerk who finishes a text in Word.

Built from the same sections, table and signature data as the PDF, with the same page set-up
(Nghị định 30/2020): A4, margins 20/15/20/30 mm, Times New Roman 14, justified paragraphs with
a 1 cm first-line indent, page numbers centred in the header from page 2.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from criteria.rules import fmt_points
from reports.appendix import appendix
from reports.documents import ShortfallRow, report_context
from reports.models import Report

FONT = "Times New Roman"
EMPHASIS = re.compile(r"(\*\*.+?\*\*|\*[^*\s](?:.*?[^*\s])?\*)")


def _runs(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
) -> None:
    """Add `text` to `paragraph`, honouring **bold** and *italic* marks."""
    for part in EMPHASIS.split(text):
        if not part:
            continue
        run_bold, run_italic = bold, italic
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            part, run_bold = part[2:-2], True
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            part, run_italic = part[1:-1], True
        run = paragraph.add_run(part)
        run.bold, run.italic = run_bold, run_italic
        if size:
            run.font.size = Pt(size)


def _paragraph(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = True,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    after: float = 6,
) -> Paragraph:
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    fmt.first_line_indent = Cm(1) if indent else Cm(0)
    if align is not None:
        paragraph.alignment = align
    _runs(paragraph, text, bold=bold, italic=italic, size=size)
    return paragraph


def _bottom_rule(paragraph: Paragraph) -> None:
    """A solid line under the paragraph (the short rules of the header and the title)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _page_number_header(section: Section) -> None:
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    run.font.size = Pt(13)


def _widths(table: Table, widths: Sequence[Length]) -> None:
    """Fixed column widths that Word and LibreOffice both keep."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _short_rule(paragraph: Paragraph, indent_cm: float) -> None:
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = Cm(indent_cm)
    _bottom_rule(paragraph)


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def report_docx(report: Report) -> bytes:
    context = report_context(report, for_pdf=True)
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    style.paragraph_format.line_spacing = 1.15

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.start_type = WD_SECTION.NEW_PAGE
    _page_number_header(section)

    header = document.add_table(rows=1, cols=2)
    _no_borders(header)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(header, [Cm(6.3), Cm(10.2)])
    left, right = header.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    agency = left.paragraphs[0]
    agency.alignment = center
    _runs(agency, "\n".join(context["agency_lines"]), bold=True, size=13)
    _short_rule(_paragraph(left, "", indent=False, size=2, after=4), 2.0)
    _paragraph(left, report.number_text, align=center, indent=False, size=13, after=0)
    nation = right.paragraphs[0]
    nation.alignment = center
    _runs(nation, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    motto = _paragraph(
        right,
        "Độc lập - Tự do - Hạnh phúc",
        align=center,
        indent=False,
        bold=True,
        size=13,
        after=6,
    )
    _bottom_rule(motto)
    _paragraph(
        right, context["place_and_date"], align=center, indent=False, italic=True, size=13, after=0
    )

    _paragraph(
        document, "BÁO CÁO", align=center, indent=False, bold=True, after=0
    ).paragraph_format.space_before = Pt(12)
    _paragraph(document, report.summary, align=center, indent=False, bold=True, after=0)
    rule = _paragraph(document, "", align=center, indent=False, size=2, after=12)
    _short_rule(rule, 5.5)

    for item in context["sections"]:
        if item.heading:
            _paragraph(
                document,
                item.heading,
                bold=True,
                indent=item.level != 0,
                align=center if item.level == 0 else None,
            )
        for line in filter(None, (line.strip() for line in item.expanded.splitlines())):
            _paragraph(document, line)
        if item.table == context["table_shortfalls"]:
            _shortfall_table(document, context["shortfalls"])

    sign = document.add_table(rows=1, cols=2)
    _no_borders(sign)
    _widths(sign, [Cm(8.2), Cm(8.3)])
    recipients, signer = sign.rows[0].cells
    label = recipients.paragraphs[0]
    _runs(label, "Nơi nhận:", bold=True, italic=True, size=12)
    for line in report.recipient_lines:
        _paragraph(recipients, f"- {line}", indent=False, size=11, after=0)
    authority = signer.paragraphs[0]
    authority.alignment = center
    _runs(authority, "\n".join(report.authority_lines), bold=True)
    _paragraph(signer, "", indent=False, after=60)
    _paragraph(signer, report.signer_name, align=center, indent=False, bold=True)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _shortfall_table(document: DocxDocument, rows: list[ShortfallRow]) -> None:
    widths = [Cm(1.3), Cm(5.9), Cm(1.8), Cm(3.1), Cm(4.4)]
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    _widths(table, widths)
    headings = [
        "Stt",
        "Tiêu chí thành phần",
        "Điểm tối đa",
        "Đơn vị chủ trì",
        "Lý do chưa thực hiện",
    ]
    for cell, text, width in zip(table.rows[0].cells, headings, widths, strict=True):
        cell.width = width
        _runs(cell.paragraphs[0], text, bold=True, size=13)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        cells = table.add_row().cells
        _widths(table, widths)
        values = [str(row.number), row.title, fmt_points(row.max_points), row.unit, row.reason]
        for index, (cell, text, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER if index in (0, 2) else WD_ALIGN_PARAGRAPH.LEFT
            )
            _runs(paragraph, text, size=13)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def appendix_docx(report: Report) -> bytes:
    """The appendix table as a landscape Word file (same rows and columns as the PDF)."""
    content = appendix(report)
    results = content.results
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(25), Mm(15)
    _page_number_header(section)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, "Phụ lục", align=center, indent=False, bold=True, size=14, after=0)
    _paragraph(
        document,
        "KẾT QUẢ CỤ THỂ CỦA CÁC TIÊU CHÍ",
        align=center,
        indent=False,
        bold=True,
        size=14,
        after=0,
    )
    _paragraph(document, content.reference, align=center, indent=False, italic=True, size=13)
    widths = [Cm(1.5), Cm(7.4), Cm(1.6), Cm(1.6), Cm(1.6), Cm(3.1), Cm(4.9), Cm(3.6)]
    headings = [
        "Mã",
        "Tiêu chí, tiêu chí thành phần",
        "Điểm tối đa",
        "Điểm tự chấm",
        "Điểm duyệt",
        "Đơn vị chủ trì",
        "Tài liệu minh chứng",
        "Ghi chú",
    ]
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        _runs(cell.paragraphs[0], text, bold=True)
        cell.paragraphs[0].alignment = center
    for row in content.rows:
        values = [
            row.code,
            row.title,
            fmt_points(row.max_points),
            "" if row.proposed is None else fmt_points(row.proposed),
            "" if row.approved is None else fmt_points(row.approved),
        ]
        if row.is_leaf:
            values += [row.unit, "\n".join(row.evidence_lines), row.note]
        else:
            values += ["", "", ""]
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = center if index in (2, 3, 4) else WD_ALIGN_PARAGRAPH.LEFT
            _runs(paragraph, text, bold=not row.is_leaf)
    total = table.add_row().cells
    for index, text in enumerate(
        [
            "",
            "TỔNG CỘNG",
            fmt_points(results.approved.scale),
            fmt_points(results.proposed.points),
            fmt_points(results.approved.points),
            "",
            "",
            "",
        ]
    ):
        _runs(total[index].paragraphs[0], text, bold=True)
    _widths(table, widths)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
