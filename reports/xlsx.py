"""The per-unit scoring table as a print-ready XLSX (Vietnamese headers, real numbers)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

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
    ws = wb.active
    ws.title = "Theo đơn vị"
    last_col = get_column_letter(len(UNIT_HEADERS))
    ws.merge_cells(f"A1:{last_col}1")
    ws["A1"] = "BẢNG TỔNG HỢP CHẤM ĐIỂM THEO ĐƠN VỊ CHỦ TRÌ"
    ws["A1"].font = Font(name=FONT, bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last_col}2")
    ws["A2"] = (
        f"{assessment.commune.committee_name} – {assessment.get_period_display()} "
        f"{assessment.year} – {assessment.criteria_set.decision_reference}"
    )
    ws["A2"].font = Font(name=FONT, italic=True, size=12)
    ws["A2"].alignment = Alignment(horizontal="center", wrap_text=True)
    ws.row_dimensions[2].height = 32

    header_row = 4
    for col, (title, width) in enumerate(UNIT_HEADERS, start=1):
        cell = ws.cell(row=header_row, column=col, value=title)
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
            cell = ws.cell(row=row, column=col, value=value)
            cell.font = Font(name=FONT, size=11)
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=col == 2)
        # Completeness as a formula so the sheet stays right if someone edits the counts.
        ws.cell(row=row, column=12, value=f"=IF(C{row}=0,0,ROUND(I{row}/C{row}*100,0))")
        for col in (4, 5, 6):
            ws.cell(row=row, column=col).number_format = "0.##"

    first, last = header_row + 1, row
    row += 1
    ws.cell(row=row, column=2, value="Tổng cộng").font = Font(name=FONT, bold=True)
    for col in range(3, 12):
        letter = get_column_letter(col)
        ws.cell(row=row, column=col, value=f"=SUM({letter}{first}:{letter}{last})")
    ws.cell(row=row, column=12, value=f"=IF(C{row}=0,0,ROUND(I{row}/C{row}*100,0))")
    for col in range(1, len(UNIT_HEADERS) + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(name=FONT, bold=True, size=11)
        cell.border = BOX
        if col in (4, 5, 6):
            cell.number_format = "0.##"

    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
