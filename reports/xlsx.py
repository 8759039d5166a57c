"""The per-unit scoring table and the appendix as print-ready XLSX (Vietnamese headers, real
numbers). Every cell goes through `guards.cells.put`: names and titles people typed stay text,
and only the SUM/IF formulas written here are formulas."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from assessments.levels import statement_for_points
from assessments.selectors import Results
from guards.cells import put
from reports.appendix import appendix
from reports.metrics import wrapped_lines
from reports.models import Report
from reports.selectors import Dashboard

UNIT_HEADERS = [
    ("Stt", 6),
    ("Đơn vị chủ trì", 38),
    ("Số tiêu chí thành phần được giao", 14),
    ("Điểm tối đa được giao", 12),
    ("Điểm tự chấm", 12),
    ("Điểm lãnh đạo duyệt", 12),
    ("Đã chấm", 10),
    ("Đã gửi", 10),
    ("Đã duyệt", 10),
    ("Bị trả lại", 10),
    ("Có minh chứng", 12),
    ("Tỷ lệ hoàn thành (%)", 12),
]
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "Times New Roman"


def unit_table_xlsx(board: Dashboard) -> bytes:
    assessment = board.results.assessment
    wb = Workbook()
    ws = wb.worksheets[0]  # a new workbook has one sheet, the active one
    ws.title = "Theo đơn vị"
    last_col = get_column_letter(len(UNIT_HEADERS))
    ws.merge_cells(f"A1:{last_col}1")
    put(ws, 1, 1, "BẢNG TỔNG HỢP CHẤM ĐIỂM THEO ĐƠN VỊ CHỦ TRÌ")
    ws["A1"].font = Font(name=FONT, bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last_col}2")
    put(
        ws,
        2,
        1,
        f"{assessment.commune.committee_name} – {assessment.get_period_display()} "
        f"{assessment.year} – {assessment.criteria_set.decision_reference}",
    )
    ws["A2"].font = Font(name=FONT, italic=True, size=12)
    ws["A2"].alignment = Alignment(horizontal="center", wrap_text=True)
    ws.row_dimensions[2].height = 32

    header_row = 4
    for col, (title, width) in enumerate(UNIT_HEADERS, start=1):
        cell = put(ws, header_row, col, title)
        cell.font = Font(name=FONT, bold=True, size=11)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 45

    row = header_row
    for index, unit in enumerate(board.units, start=1):
        row += 1
        values = [
            index,
            unit.unit.name if unit.unit else "Chưa phân công",
            unit.assigned,
            float(unit.max_points),
            float(unit.proposed),
            float(unit.approved_points),
            unit.scored,
            unit.submitted,
            unit.approved,
            unit.returned,
            unit.with_evidence,
            None,
        ]
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value)
            cell.font = Font(name=FONT, size=11)
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=col == 2)
        # Completeness as a formula so the sheet stays right if someone edits the counts.
        put(ws, row, 12, f"=IF(C{row}=0,0,ROUND(I{row}/C{row}*100,0))", formula=True)
        for col in (4, 5, 6):
            ws.cell(row=row, column=col).number_format = "0.##"

    first, last = header_row + 1, row
    row += 1
    put(ws, row, 2, "Tổng cộng").font = Font(name=FONT, bold=True)
    for col in range(3, 12):
        letter = get_column_letter(col)
        put(ws, row, col, f"=SUM({letter}{first}:{letter}{last})", formula=True)
    put(ws, row, 12, f"=IF(C{row}=0,0,ROUND(I{row}/C{row}*100,0))", formula=True)
    for col in range(1, len(UNIT_HEADERS) + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(name=FONT, bold=True, size=11)
        cell.border = BOX
        if col in (4, 5, 6):
            cell.number_format = "0.##"

    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# The PDF's wording; widths (in characters, about 7 px each) that add up to the 252 mm an A4
# landscape page leaves between 30 and 15 mm margins, so the sheet prints at full size.
APPENDIX_HEADERS = [
    ("Mã", 7),
    ("Tiêu chí, tiêu chí thành phần", 40),
    ("Điểm tối đa", 8),
    ("Điểm tự chấm", 8),
    ("Điểm duyệt", 8),
    ("Đơn vị chủ trì", 16),
    ("Tài liệu minh chứng", 26),
    ("Ghi chú", 22),
]
MM_INCH = 1 / 25.4
LINE_POINTS = 15.0  # one line of 11 pt Times New Roman in Excel and LibreOffice
SUM_REF = re.compile(r"([A-Z]+)(\d+)")


def _column_points(width: float) -> float:
    """The text width of a column `width` characters wide (Excel: 7 px per character and
    5 px of padding at 96 dpi), less the cell's own padding and a margin for the
    differences between Excel's and LibreOffice's line breaking."""
    return (int(width * 7 + 5) * 0.75 - 4) * 0.97


def _fit_height(ws: Worksheet, row: int, texts: dict[int, str], *, bold: bool = False) -> None:
    """Give `row` the height its wrapped texts need ({column: text})."""
    lines = max(
        wrapped_lines(
            text,
            _column_points(ws.column_dimensions[get_column_letter(col)].width),
            11,
            bold=bold,
        )
        for col, text in texts.items()
    )
    ws.row_dimensions[row].height = lines * LINE_POINTS + 3


def _level_clause(text: str) -> str:
    """A level statement as the appendix's MỨC ĐẠT row prints it."""
    return f"{capfirst(text)}." if text else ""


def level_formula(results: Results, cell: str) -> tuple[str, list[tuple[Decimal, str]]]:
    """The level row's formula on the total in `cell`: one IF branch per boundary where the
    wording of `assessments.levels.statement_for_points` changes (the levels' bounds, and 0),
    highest first, each branch that wording as the PDF prints it. A wording that states the
    points still missing for the registered level gets the figure from the total itself.
    Returns (formula, [(from points, the branch's expression)])."""
    bounds = {Decimal(0)}
    for level in results.levels:
        bounds.update(b for b in (level.min_points, level.max_points_exclusive) if b is not None)
    branches: list[tuple[Decimal, str]] = []
    last_key = None
    for bound in sorted((b for b in bounds if b >= 0), reverse=True):
        statement = statement_for_points(results, bound)
        parts = statement.template_parts  # None when the wording states no shortfall
        key = statement.template or statement.text
        if parts is not None and results.target is not None and results.target.min_points:
            before, after = (_level_clause(parts[0] + "\0" + parts[1])).split("\0")
            figure = f'SUBSTITUTE(ROUND(MAX(0,{results.target.min_points}-{cell}),2)&"",".",",")'
            expression = f'"{_quoted(before)}"&{figure}&"{_quoted(after)}"'
        else:
            expression = f'"{_quoted(_level_clause(statement.text))}"'
        if branches and key == last_key:
            branches[-1] = (bound, expression)  # the same wording from a lower total
        else:
            branches.append((bound, expression))
        last_key = key
    formula = branches[-1][1]
    for bound, expression in reversed(branches[:-1]):
        formula = f"IF({cell}>={bound},{expression},{formula})"
    return "=" + formula, branches


def _quoted(text: str) -> str:
    return text.replace('"', '""')


def _cache_formula_values(data: bytes, values: dict[str, float | str]) -> bytes:
    """Store each formula's value next to it (openpyxl writes `<v></v>`), so a reader that
    does not recalculate (LibreOffice by default, openpyxl's data_only, viewers) shows the
    figures; Excel recalculates them anyway."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    pattern = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>')

    def cached(match: re.Match[str]) -> str:
        coordinate, attributes, formula = match.groups()
        if coordinate not in values:
            return match.group(0)
        value = values[coordinate]
        if isinstance(value, str):
            attributes = re.sub(r'\s*t="[^"]*"', "", attributes) + ' t="str"'
            shown = xml_escape(value)
        else:
            shown = repr(float(value))
        return f'<c r="{coordinate}"{attributes}><f>{formula}</f><v>{shown}</v></c>'

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = pattern.sub(cached, content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


def appendix_xlsx(report: Report) -> bytes:
    """The appendix table with real numbers: parents and the total are SUM formulas and the
    level a formula on the total, each stored with its value; rows as high as their wrapped
    text; A4 landscape, left margin 30 mm, "Trang n/N" in the footer."""
    table = appendix(report)
    results = table.results
    wb = Workbook()
    ws = wb.worksheets[0]  # a new workbook has one sheet, the active one
    ws.title = "Phụ lục"
    last_col = get_column_letter(len(APPENDIX_HEADERS))
    for col, (_, width) in enumerate(APPENDIX_HEADERS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    page_points = _column_points(sum(width for _, width in APPENDIX_HEADERS))
    for row_number, (text, style) in enumerate(
        [
            ("Phụ lục", Font(name=FONT, bold=True, size=14)),
            ("KẾT QUẢ CỤ THỂ CỦA CÁC TIÊU CHÍ", Font(name=FONT, bold=True, size=14)),
            (table.reference, Font(name=FONT, italic=True, size=13)),
        ],
        start=1,
    ):
        ws.merge_cells(f"A{row_number}:{last_col}{row_number}")
        cell = put(ws, row_number, 1, text)
        cell.font = style
        cell.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)
        lines = wrapped_lines(text, page_points, 14)
        ws.row_dimensions[row_number].height = lines * 19 + 2
    header_row = 5
    for col, (title, _) in enumerate(APPENDIX_HEADERS, start=1):
        cell = put(ws, header_row, col, title)
        cell.font = Font(name=FONT, bold=True, size=11)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
    _fit_height(ws, header_row, dict(enumerate((t for t, _ in APPENDIX_HEADERS), 1)), bold=True)
    # Excel row of every row of the table, so parents can sum their children's rows.
    row_of = {id(item): r for r, item in enumerate(table.rows, start=header_row + 1)}
    numbers: dict[str, float | None] = {}  # what each number cell holds, formulas computed
    sums: dict[str, list[tuple[str, str]]] = {}  # SUM cell: the (column, row) it adds
    for item in table.rows:
        r = row_of[id(item)]
        values: list = [item.code, item.title, float(item.max_points)]
        formulas = set()  # columns holding the SUMs written here, not text from people
        if item.is_leaf:
            values += [
                None if item.proposed is None else float(item.proposed),
                None if item.approved is None else float(item.approved),
                item.unit,
                "\n".join(item.evidence_lines),
                item.note,
            ]
        else:
            cells = ",".join(f"{{col}}{row_of[id(child)]}" for child in item.children)
            values += [
                f"=SUM({cells.format(col='D')})",
                f"=SUM({cells.format(col='E')})",
                "",
                "",
                "",
            ]
            formulas = {4, 5}
        for col, value in enumerate(values, start=1):
            cell = put(ws, r, col, value, formula=col in formulas)
            cell.font = Font(name=FONT, size=11, bold=not item.is_leaf)
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=col in (2, 6, 7, 8))
            if col in (3, 4, 5):
                cell.number_format = "0.##"
                coordinate = f"{get_column_letter(col)}{r}"
                if col in formulas:
                    sums[coordinate] = SUM_REF.findall(value)
                else:
                    numbers[coordinate] = value
        _fit_height(
            ws, r, {2: values[1], 6: values[5], 7: values[6], 8: values[7]}, bold=not item.is_leaf
        )
    total_row = header_row + len(table.rows) + 1
    put(ws, total_row, 2, "TỔNG CỘNG")
    for col, letter in ((3, "C"), (4, "D"), (5, "E")):
        refs = ",".join(f"{letter}{row_of[id(root)]}" for root in table.roots)
        put(ws, total_row, col, f"=SUM({refs})", formula=True).number_format = "0.##"
        sums[f"{letter}{total_row}"] = SUM_REF.findall(refs)
    cache: dict[str, float | str] = {}

    def value_of(coordinate: str) -> float:
        if coordinate in sums:
            if coordinate not in cache:
                cache[coordinate] = sum(
                    (value_of(f"{column}{row}") for column, row in sums[coordinate]), 0.0
                )
            return float(cache[coordinate])
        return numbers.get(coordinate) or 0.0

    for coordinate in sums:
        value_of(coordinate)
    level_row = total_row + 1
    approved = results.approved
    points_cell = f"E{total_row}"
    if approved.rebased or approved.deductions:
        # The level is read on the converted, deducted total, as in the PDF.
        level_row += 1
        label = "TỔNG ĐIỂM SAU KHI TRỪ" if approved.deductions else "TỔNG ĐIỂM QUY ĐỔI"
        put(ws, total_row + 1, 2, label)
        put(ws, total_row + 1, 5, float(approved.final)).number_format = "0.##"
        points_cell = f"E{total_row + 1}"
        numbers[points_cell] = float(approved.final)
    formula, branches = level_formula(results, points_cell)
    total = Decimal(str(value_of(points_cell)))
    shown = _level_clause(statement_for_points(results, total).text)
    if approved.disqualified:
        shown = f"{table.level_text}."  # not about points: with the disqualifying cases
    if shown or any(expression != '""' for _, expression in branches):
        put(ws, level_row, 2, "MỨC ĐẠT")
        ws.merge_cells(f"C{level_row}:{last_col}{level_row}")
        # Excel refuses a string literal over 255 characters: such wording stays plain text.
        if approved.disqualified or max(len(e) for _, e in branches) > 255:
            put(ws, level_row, 3, shown)
        else:
            put(ws, level_row, 3, formula, formula=True)
            cache[f"C{level_row}"] = shown
    else:
        level_row -= 1  # nothing may be said beyond the total: no level row, as in the PDF
    for r in range(total_row, level_row + 1):
        for col in range(1, len(APPENDIX_HEADERS) + 1):
            cell = ws.cell(row=r, column=col)
            cell.font = Font(name=FONT, bold=True, size=11)
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    if ws.cell(row=level_row, column=2).value == "MỨC ĐẠT":
        ws.row_dimensions[level_row].height = (
            wrapped_lines(shown, page_points * 0.55, 11, bold=True) * LINE_POINTS + 3
        )
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    margins = ws.page_margins
    margins.left, margins.right = 30 * MM_INCH, 15 * MM_INCH
    margins.top, margins.bottom = 20 * MM_INCH, 20 * MM_INCH
    margins.header, margins.footer = 10 * MM_INCH, 10 * MM_INCH
    footer = ws.oddFooter.center  # type: ignore[union-attr]  # openpyxl makes it
    footer.text, footer.font, footer.size = "Trang &P/&N", FONT, 11
    out = io.BytesIO()
    wb.save(out)
    return _cache_formula_values(out.getvalue(), cache)
