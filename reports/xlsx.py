"""The per-unit scoring table and the appendix as print-ready XLSX (Vietnamese headers, real
numbers). Every cell goes through `guards.cells.put`: names and titles people typed stay text,
and only the SUM/IF formulas written here are formulas."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from guards.cells import put
from reports.appendix import appendix
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


APPENDIX_HEADERS = [
    ("Mã", 9),
    ("Tiêu chí, tiêu chí thành phần", 60),
    ("Điểm tối đa", 10),
    ("Điểm tự chấm", 10),
    ("Điểm lãnh đạo duyệt", 11),
    ("Đơn vị chủ trì", 24),
    ("Tài liệu minh chứng", 45),
    ("Ghi chú", 35),
]


def appendix_xlsx(report: Report) -> bytes:
    """The appendix table with real numbers: parents and the total are SUM formulas."""
    table = appendix(report)
    wb = Workbook()
    ws = wb.worksheets[0]  # a new workbook has one sheet, the active one
    ws.title = "Phụ lục"
    last_col = get_column_letter(len(APPENDIX_HEADERS))
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
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    header_row = 5
    for col, (title, width) in enumerate(APPENDIX_HEADERS, start=1):
        cell = put(ws, header_row, col, title)
        cell.font = Font(name=FONT, bold=True, size=11)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
        ws.column_dimensions[get_column_letter(col)].width = width
    # Excel row of every row of the table, so parents can sum their children's rows.
    row_of = {id(item): r for r, item in enumerate(table.rows, start=header_row + 1)}
    for item in table.rows:
        r = row_of[id(item)]
        values = [item.code, item.title, float(item.max_points)]
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
    total_row = header_row + len(table.rows) + 1
    put(ws, total_row, 2, "TỔNG CỘNG")
    for col, letter in ((3, "C"), (4, "D"), (5, "E")):
        refs = ",".join(f"{letter}{row_of[id(root)]}" for root in table.roots)
        put(ws, total_row, col, f"=SUM({refs})", formula=True).number_format = "0.##"
    put(ws, total_row + 1, 2, "MỨC ĐẠT: " + table.level_text)
    for r in (total_row, total_row + 1):
        for col in range(1, len(APPENDIX_HEADERS) + 1):
            cell = ws.cell(row=r, column=col)
            cell.font = Font(name=FONT, bold=True, size=11)
            cell.border = BOX
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
