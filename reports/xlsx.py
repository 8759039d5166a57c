"""The per-unit scoring table and the appendix as print-ready XLSX (Vietnamese headers, real
numbers). Every cell goes through `guards.cells.put`: names and titles people typed stay text,
and only the SUM/IF formulas written here are formulas."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from guards.cells import put
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


def appendix_xlsx(report) -> bytes:
    """The appendix table with real numbers: parents and the total are SUM formulas."""
    from reports.documents import appendix_context

    context = appendix_context(report, for_pdf=True)
    rows = context["rows"]
    results = context["results"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    last_col = get_column_letter(len(APPENDIX_HEADERS))
    for row_number, (text, style) in enumerate(
        [
            ("Phụ lục", Font(name=FONT, bold=True, size=14)),
            ("KẾT QUẢ CỤ THỂ CỦA CÁC TIÊU CHÍ", Font(name=FONT, bold=True, size=14)),
            (context["reference"], Font(name=FONT, italic=True, size=13)),
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
    # Row of every node, so parents can sum their children's rows.
    row_of = {}
    excel_row = header_row
    for item in rows:
        excel_row += 1
        row_of[item.node.criterion.pk] = excel_row
    for item in rows:
        node = item.node
        r = row_of[node.criterion.pk]
        values = [node.criterion.code, node.criterion.title, float(node.criterion.max_points)]
        formulas = set()  # columns holding the SUMs written here, not text from people
        if node.is_leaf:
            score = node.score
            proposed = (
                None
                if score is None or score.proposed_points is None
                else float(score.proposed_points)
            )
            approved = (
                float(score.leader_points)
                if score is not None
                and score.status == "approved"
                and score.leader_points is not None
                else None
            )
            evidence = "\n".join(f"{e.code}: {e.title}" for e in item.evidence)
            unit = (
                node.assignment.lead_unit.name
                if node.assignment and node.assignment.lead_unit
                else ""
            )
            values += [proposed, approved, unit, evidence, item.note]
        else:
            children = [row_of[child.criterion.pk] for child in node.children]
            cells = ",".join(f"{{col}}{c}" for c in children)
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
            cell.font = Font(name=FONT, size=11, bold=not node.is_leaf)
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=col in (2, 6, 7, 8))
            if col in (3, 4, 5):
                cell.number_format = "0.##"
    total_row = excel_row + 1
    roots = ",".join(str(row_of[root.criterion.pk]) for root in results.roots)
    put(ws, total_row, 2, "TỔNG CỘNG")
    for col, letter in ((3, "C"), (4, "D"), (5, "E")):
        refs = ",".join(f"{letter}{r}" for r in roots.split(","))
        put(ws, total_row, col, f"=SUM({refs})", formula=True).number_format = "0.##"
    level = results.level
    put(
        ws,
        total_row + 1,
        2,
        "MỨC ĐẠT: "
        + (
            "không đủ điều kiện xét công nhận"
            if results.approved.disqualified
            else (f"{level.name} ({level.range_label})" if level else "chưa đạt mức nào")
        ),
    )
    for r in (total_row, total_row + 1):
        for col in range(1, len(APPENDIX_HEADERS) + 1):
            cell = ws.cell(row=r, column=col)
            cell.font = Font(name=FONT, bold=True, size=11)
            cell.border = BOX
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
