"""The city's spreadsheets, print-ready (A4 landscape, fit to width, the header row repeated on
every page, title rows naming the city and the round): the ranking by block and the appraisal
results per commune × criterion. Every cell goes through `guards.cells.put` (names people
typed stay text)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from appraisal import stages
from appraisal.models import Round, Submission
from appraisal.standing import Block
from assessments.levels import level_label
from criteria.models import Criterion
from criteria.rules import fmt_points
from guards.cells import put
from guards.filenames import file_name
from reports.metrics import wrapped_lines
from reports.xlsx import LINE_POINTS, _column_points

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "Times New Roman"
HEADER_ROW = 4
BODY, WRAP, POINTS = "Ô dữ liệu", "Ô dữ liệu xuống dòng", "Ô điểm"

RANKING_HEADERS = [
    ("Hạng", 6),
    ("Xã, phường, đặc khu", 26),
    ("Tổng điểm thẩm định", 11),
    ("Tổng điểm tự chấm", 11),
    ("Mức đạt", 12),
    ("Mức đăng ký", 12),
    ("Đạt các điều kiện", 12),
    ("Giai đoạn", 20),
    ("Hạng đợt trước", 9),
    ("Thay đổi hạng", 9),
    ("Thay đổi tổng điểm", 10),
]


def _points(value: Decimal | str | None) -> float | None:
    return None if value is None or value == "" else float(Decimal(value))


def _sheet_start(ws: Worksheet, title: str, subtitle: str, headers: Sequence[tuple[str, float]]):
    last = get_column_letter(len(headers))
    ws.merge_cells(f"A1:{last}1")
    cell = put(ws, 1, 1, title)
    cell.font = Font(name=FONT, bold=True, size=13)
    cell.alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last}2")
    cell = put(ws, 2, 1, subtitle)
    cell.font = Font(name=FONT, italic=True, size=12)
    cell.alignment = Alignment(horizontal="center", wrap_text=True)
    ws.row_dimensions[2].height = 32
    for col, (text, width) in enumerate(headers, start=1):
        cell = put(ws, HEADER_ROW, col, text)
        cell.font = Font(name=FONT, bold=True, size=11)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[HEADER_ROW].height = 45


def _styles(wb: Workbook) -> None:
    """The body cells' three looks, registered once: a named style is one assignment per
    cell, where font, border and alignment one by one cost a hash of each (a 114-commune
    sheet took a second)."""
    for name, wrap, number_format in (
        (BODY, False, "General"),
        (WRAP, True, "General"),
        (POINTS, False, "0.##"),
    ):
        style = NamedStyle(name=name, number_format=number_format, border=BOX)
        style.font = Font(name=FONT, size=11)
        style.alignment = Alignment(vertical="top", wrap_text=wrap)
        wb.add_named_style(style)


def _row(ws: Worksheet, row: int, values: list, *, wrap: Sequence[int] = (), points=()) -> None:
    lines = 1
    for col, value in enumerate(values, start=1):
        cell = put(ws, row, col, value)
        cell.style = WRAP if col in wrap else POINTS if col in points else BODY
        if col in wrap and isinstance(value, str):
            width = ws.column_dimensions[get_column_letter(col)].width
            lines = max(lines, wrapped_lines(value, _column_points(width), 11))
    # Spreadsheets do not grow a row for wrapped text they open; the height is written.
    ws.row_dimensions[row].height = LINE_POINTS * lines


def _print_ready(ws: Worksheet) -> None:
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5


def _subtitle(round_: Round) -> str:
    return (
        f"{round_.city.department} {round_.city.kind_name} {round_.city.name} – "
        f"{round_.get_period_display()} {round_.year}"
    )


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _yes_no(submission: Submission) -> str:
    if not submission.fully_appraised:
        return "Chưa thẩm định xong"
    return "Đạt" if submission.conditions_met else "Không đạt"


def _condition(submission: Submission, text: str) -> str:
    """A condition is judged on the whole appraisal, not on part of it."""
    return text if submission.fully_appraised else "Chưa xét"


def _level(level) -> str:
    return level_label(level)


def ranking_xlsx(round_: Round, blocks: list[Block]) -> bytes:
    """One sheet per ranking block (phường; xã with đặc khu, unless the city sets otherwise)."""
    wb = Workbook()
    _styles(wb)
    wb.remove(wb.worksheets[0])
    for block in blocks:
        ws = wb.create_sheet(block.name[:31])
        _sheet_start(
            ws,
            f"BẢNG XẾP HẠNG KẾT QUẢ THẨM ĐỊNH – {block.name.upper()}",
            _subtitle(round_),
            RANKING_HEADERS,
        )
        row = HEADER_ROW
        for standing in block.rows:
            row += 1
            submission = standing.submission
            assessment = submission.assessment
            total_change = standing.total_change
            _row(
                ws,
                row,
                [
                    standing.rank,
                    str(assessment.commune),
                    _points(submission.appraised_total),
                    _points(submission.self_total),
                    _level(submission.level_reached),
                    _level(assessment.target_level),
                    _yes_no(submission),
                    stages.STAGE_NAMES[submission.stage],
                    standing.previous_rank,
                    standing.change,
                    None if total_change is None else float(total_change),
                ],
                wrap=(2, 7, 8),
                points=(3, 4, 11),
            )
        if row == HEADER_ROW:
            _row(ws, row + 1, ["", "Chưa có hồ sơ nào trong khối."] + [""] * 9)
        _print_ready(ws)
    if not wb.worksheets:
        wb.create_sheet("Xếp hạng")
    return _save(wb)


def results_xlsx(round_: Round, blocks: list[Block], roots: list[Criterion]) -> bytes:
    """Per commune, the city's points of each criterion (from the stored standing), the
    total, the level reached and registered, and the conditions of recognition."""
    headers: list[tuple[str, float]] = [("Stt", 5), ("Xã, phường, đặc khu", 24), ("Khối", 12)]
    headers += [
        (f"Tiêu chí {root.code} (tối đa {fmt_points(root.max_points)})", 10) for root in roots
    ]
    headers += [
        ("Tổng điểm thẩm định", 11),
        ("Mức đạt", 11),
        ("Mức đăng ký", 11),
        ("Điều kiện tối thiểu mỗi tiêu chí", 20),
        ("Điều kiện loại trừ", 16),
        ("Đạt các điều kiện", 12),
        ("Giai đoạn", 18),
    ]
    wb = Workbook()
    _styles(wb)
    ws = wb.worksheets[0]
    ws.title = "Kết quả thẩm định"
    _sheet_start(ws, "KẾT QUẢ THẨM ĐỊNH CHÍNH QUYỀN THÂN THIỆN", _subtitle(round_), headers)
    first_total = 4 + len(roots)
    row, index = HEADER_ROW, 0
    for block in blocks:
        for standing in block.rows:
            submission = standing.submission
            row += 1
            index += 1
            conditions = submission.conditions or {}
            per_root = {item["code"]: item for item in conditions.get("criteria", [])}
            below = [
                f"{item['code']} ({fmt_points(Decimal(item['share']))}%)"
                for item in conditions.get("criteria", [])
                if not item.get("met", True)
            ]
            disqualifiers = [item["title"] for item in conditions.get("disqualifiers", [])]
            values: list = [index, str(submission.assessment.commune), block.name]
            values += [_points(per_root.get(root.code, {}).get("points")) for root in roots]
            values += [
                _points(submission.appraised_total),
                _level(submission.level_reached),
                _level(submission.assessment.target_level),
                _condition(submission, "Không đạt: " + ", ".join(below) if below else "Đạt"),
                _condition(submission, "; ".join(disqualifiers) or "Không"),
                _yes_no(submission),
                stages.STAGE_NAMES[submission.stage],
            ]
            _row(
                ws,
                row,
                values,
                wrap=(2, first_total + 3, first_total + 4, first_total + 5, first_total + 6),
                points=tuple(range(4, first_total + 1)),
            )
    _print_ready(ws)
    return _save(wb)


def export_name(round_: Round, document: str) -> str:
    """'xep-hang-tham-dinh-ca-nam-2026-hai-phong.xlsx'."""
    return file_name(
        document, round_.get_period_display(), round_.year, round_.city.name, extension=".xlsx"
    )
