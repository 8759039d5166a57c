"""The report as a Word document, for the clerk who finishes a text in Word.

Built from the same sections, table and signature data as the PDF, with the same page set-up
(Nghị định 30/2020): A4, margins 20/15/20/30 mm, Times New Roman 14, justified paragraphs with
a 1 cm first-line indent, page numbers centred in the header from page 2. Headings use Word's
own Heading 1–3 styles (restyled to the document's font), so the navigation pane lists them;
the header block's rules are borders of their paragraphs; tables repeat their header row and
never split a row; a document number (62/KH-UBND) never breaks across lines. A draft carries
a "DỰ THẢO" watermark in its page headers, as Word makes one, on every page.
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
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from criteria.rules import fmt_points
from reports.appendix import appendix
from reports.documents import ShortfallRow, report_context
from reports.metrics import text_width
from reports.models import Report

FONT = "Times New Roman"
EMPHASIS = re.compile(r"(\*\*.+?\*\*|\*[^*\s](?:.*?[^*\s])?\*)")
# A document number or symbol: "62/KH-UBND", "/BC-UBND", "1381/UBND-VHXXH", "5049/QĐ-UBND".
DOCUMENT_NUMBER = re.compile(r"\d*/[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)+")
NO_BREAK_HYPHEN = "\u2011"  # written as <w:noBreakHyphen/>
WORD_JOINER = "\u2060"  # no line break on either side (Unicode line breaking class WJ)
WATERMARK = "DỰ THẢO"


def no_break(text: str) -> str:
    """`text` with every document number glued together: its hyphens non-breaking and no
    break allowed around its slash."""

    def glue(match: re.Match[str]) -> str:
        number = match.group(0).replace("-", NO_BREAK_HYPHEN)
        return number.replace("/", f"{WORD_JOINER}/{WORD_JOINER}")

    return DOCUMENT_NUMBER.sub(glue, text)


def _add_text(paragraph: Paragraph, text: str) -> list:
    """Runs for `text`; a non-breaking hyphen becomes Word's own <w:noBreakHyphen/>, a line
    feed a line break."""
    runs = []
    for index, piece in enumerate(text.split(NO_BREAK_HYPHEN)):
        run = paragraph.add_run()
        if index:
            run._r.append(OxmlElement("w:noBreakHyphen"))
        for number, line in enumerate(piece.split("\n")):
            if number:
                run._r.add_br()
            if line:
                run._r.add_t(line)
        runs.append(run)
    return runs


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
        for run in _add_text(paragraph, no_break(part)):
            # None, not False: a plain run takes its style's weight (bold in a heading).
            run.bold, run.italic = run_bold or None, run_italic or None
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
    """A solid line under the paragraph's text, part of the paragraph (it cannot drift)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _ruled(paragraph: Paragraph, available: int, rule: int) -> None:
    """Underline `paragraph` with a rule `rule` long, centred in `available` (the cell's width
    less its margins): the paragraph is narrowed to the rule and its border drawn."""
    indent = max(int((available - rule) / 2), 0)
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = Length(indent)
    _bottom_rule(paragraph)


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


VML = 'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
# Word's own text watermark: the WordArt shape type 136 (text along a path), anchored in the
# page header, centred on the page and drawn behind the text; LibreOffice reads it as well.
WATERMARK_XML = f"""<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" {VML}>
<w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
 path="m@7,l@8,m@5,21600l@6,21600e">
<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>
<v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>
<v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>
<v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/>
<v:textpath on="t" fitshape="t"/>
<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
<o:lock v:ext="edit" text="t" shapetype="t"/>
</v:shapetype>
<v:shape id="DraftWatermark{{index}}" o:spid="_x0000_s{{spid}}" type="#_x0000_t136"
 style="position:absolute;margin-left:0;margin-top:0;width:{{width}}pt;height:{{height}}pt;rotation:315;z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin"
 o:allowincell="f" fillcolor="#d9d9d9" stroked="f">
<v:fill opacity=".6"/>
<v:textpath style="font-family:&quot;{FONT}&quot;;font-size:1pt;font-weight:bold" string="{WATERMARK}"/>
<w10:wrap xmlns:w10="urn:schemas-microsoft-com:office:word" anchorx="margin" anchory="margin"/>
</v:shape>
</w:pict>
</w:r>"""


def _watermark(section: Section, *, landscape: bool = False) -> None:
    """ "DỰ THẢO" across every page: in the first page's header and the other pages' one."""
    width, height = (480, 140) if landscape else (440, 128)
    for index, header in enumerate((section.first_page_header, section.header), start=1):
        paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        xml = WATERMARK_XML.format(index=index, spid=2048 + index, width=width, height=height)
        paragraph._p.append(parse_xml(xml))


def _widths(table: Table, widths: Sequence[Length]) -> None:
    """Fixed column widths that Word and LibreOffice both keep."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _row_flags(table: Table, *, header_rows: int = 1) -> None:
    """Header rows repeated on every page (`tblHeader`), no row split across pages
    (`cantSplit`)."""
    for index, row in enumerate(table.rows):
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))
        if index < header_rows:
            properties.append(OxmlElement("w:tblHeader"))


def _keep_with_next(cells: Sequence[_Cell]) -> None:
    """Every paragraph of the row kept with the next one: Word then keeps the row on the
    page of the next row (a group row never stays alone at the bottom of a page)."""
    for cell in cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True


def _heading_styles(document: DocxDocument) -> None:
    """Word's Heading 1–3 in the document's face: 14 pt bold black Times New Roman, so the
    headings look as in the PDF and the navigation pane lists them."""
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[name]
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for key in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(key), None)
        style.font.name = FONT
        fonts.set(qn("w:eastAsia"), FONT)
        style.font.size = Pt(14)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after = Pt(6), Pt(6)
        fmt.keep_with_next = True
        fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _heading(document: DocxDocument, text: str, level: int) -> Paragraph:
    paragraph = document.add_paragraph(style=f"Heading {min(level, 2) + 1}")
    fmt = paragraph.paragraph_format
    if level == 0:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.first_line_indent = Cm(0)
    else:
        fmt.first_line_indent = Cm(1)
    _runs(paragraph, text)
    return paragraph


def _document(size: float) -> DocxDocument:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(size)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return document


CELL_MARGINS = Cm(0.38)  # Word's default cell margins, left and right together
HEADER_WIDTHS = (Cm(6.3), Cm(10.2))


def _header_block(document: DocxDocument, report: Report, context: dict) -> None:
    """Agency | nation and motto, then "Số: …" | place and date on one line: one borderless
    table of two rows; each rule is the bottom border of the text it underlines."""
    header = document.add_table(rows=2, cols=2)
    _no_borders(header)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(header, HEADER_WIDTHS)
    center = WD_ALIGN_PARAGRAPH.CENTER
    (left, right), (number, place) = (row.cells for row in header.rows)
    lines = context["agency_lines"]
    for index, line in enumerate(lines):
        paragraph = left.paragraphs[0] if index == 0 else left.add_paragraph()
        paragraph.alignment = center
        paragraph.paragraph_format.space_after = Pt(0)
        _runs(paragraph, line, bold=True, size=13)
    # The rule under the agency's name, as long as its last line.
    _ruled(
        left.paragraphs[-1],
        HEADER_WIDTHS[0] - CELL_MARGINS,
        text_width(lines[-1], 13, bold=True) + Pt(10),
    )
    nation = right.paragraphs[0]
    nation.alignment = center
    nation.paragraph_format.space_after = Pt(0)
    _runs(nation, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    motto_text = "Độc lập - Tự do - Hạnh phúc"
    motto = _paragraph(right, motto_text, align=center, indent=False, bold=True, size=13, after=0)
    # The tiêu ngữ's rule: as long as its text (Nghị định 30/2020, Phụ lục I).
    _ruled(motto, HEADER_WIDTHS[1] - CELL_MARGINS, text_width(motto_text, 13, bold=True) + Pt(10))
    for cell, text, italic in (
        (number, report.number_text, False),
        (place, context["place_and_date"], True),
    ):
        paragraph = cell.paragraphs[0]
        paragraph.alignment = center
        paragraph.paragraph_format.space_before = Pt(6)
        _runs(paragraph, text, italic=italic, size=13)


def report_docx(report: Report, *, draft: bool | None = None) -> bytes:
    """The report as a Word file; a draft (by default: a report not issued yet) carries the
    "DỰ THẢO" watermark on every page."""
    if draft is None:
        draft = report.status != Report.Status.ISSUED
    context = report_context(report, for_pdf=True)
    document = _document(14)
    style = document.styles["Normal"]
    style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    style.paragraph_format.line_spacing = 1.15
    _heading_styles(document)

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.start_type = WD_SECTION.NEW_PAGE
    _page_number_header(section)
    if draft:
        _watermark(section)

    _header_block(document, report, context)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(
        document, "BÁO CÁO", align=center, indent=False, bold=True, after=0
    ).paragraph_format.space_before = Pt(12)
    _paragraph(document, report.summary, align=center, indent=False, bold=True, after=0)
    if report.replaces_text:
        _paragraph(document, report.replaces_text, align=center, indent=False, italic=True, after=0)
    # The short rule under the title (a third of the line, as in the PDF): an empty 2 pt
    # paragraph kept with the title, since a border on the title would narrow its text.
    rule = _paragraph(document, "", align=center, indent=False, size=2, after=12)
    rule.paragraph_format.left_indent = rule.paragraph_format.right_indent = Cm(5.5)
    _bottom_rule(rule)

    for item in context["sections"]:
        if item.heading:
            _heading(document, item.heading, item.level)
        for line in filter(None, (line.strip() for line in item.expanded.splitlines())):
            _paragraph(document, line)
        if item.table == context["table_shortfalls"]:
            _shortfall_table(
                document, context["shortfalls"], show_points=getattr(item, "show_points", False)
            )

    sign = document.add_table(rows=1, cols=2)
    _no_borders(sign)
    _widths(sign, [Cm(8.2), Cm(8.3)])
    _row_flags(sign, header_rows=0)
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


def _shortfall_table(
    document: DocxDocument, rows: list[ShortfallRow], *, show_points: bool = False
) -> None:
    """The "Tồn tại, hạn chế" table, with "Điểm đạt" next to the maximum when the section
    asks for it (as the PDF)."""
    headings = ["Stt", "Tiêu chí thành phần", "Điểm tối đa"]
    widths = [Cm(1.3), Cm(5.9), Cm(1.8)]
    if show_points:
        headings.append("Điểm đạt")
        widths = [Cm(1.2), Cm(5.0), Cm(1.6), Cm(1.6)]
    headings += ["Đơn vị chủ trì", "Lý do chưa thực hiện"]
    widths += [Cm(3.1), Cm(4.4)] if not show_points else [Cm(2.9), Cm(4.2)]
    centred = {0, 2, 3} if show_points else {0, 2}
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    _widths(table, widths)
    for cell, text, width in zip(table.rows[0].cells, headings, widths, strict=True):
        cell.width = width
        _runs(cell.paragraphs[0], text, bold=True, size=13)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        cells = table.add_row().cells
        _widths(table, widths)
        values = [str(row.number), row.title, fmt_points(row.max_points)]
        if show_points:
            values.append(fmt_points(row.points) if row.points is not None else "")
        values += [row.unit, row.reason]
        for index, (cell, text, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER if index in centred else WD_ALIGN_PARAGRAPH.LEFT
            )
            _runs(paragraph, text, size=13)
    _row_flags(table)
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def appendix_docx(report: Report, *, draft: bool | None = None) -> bytes:
    """The appendix table as a landscape Word file (same rows and columns as the PDF); a
    draft carries the "DỰ THẢO" watermark on every page."""
    if draft is None:
        draft = report.status != Report.Status.ISSUED
    content = appendix(report)
    results = content.results
    document = _document(11)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    _page_number_header(section)
    if draft:
        _watermark(section, landscape=True)
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
    widths = [Cm(1.5), Cm(6.9), Cm(1.6), Cm(1.6), Cm(1.6), Cm(3.0), Cm(4.6), Cm(4.4)]
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
        if not row.is_leaf:  # a group row goes with its first child
            _keep_with_next(cells)
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
    if content.level_text:  # as on main (the levels piece): the PDF's MỨC ĐẠT row
        level_row = table.add_row().cells
        _runs(level_row[1].paragraphs[0], "MỨC ĐẠT", bold=True)
        merged = level_row[2].merge(level_row[-1])
        _runs(merged.paragraphs[0], f"{content.level_text}.", bold=True)
    _widths(table, widths)
    _row_flags(table)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
