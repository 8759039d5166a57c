"""Criteria trees in Excel: the column layout, reading a clerk's workbook and writing one.

The admin import (`criteria.resources`), the management commands and the tests all read a
file through `read_sheet` and `read_rows`, so a file is judged the same way everywhere.
Row numbers in messages are Excel's own (the header is row 1) so a clerk can find the row.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from criteria.models import CriteriaSet, Criterion
from criteria.rules import NotArisingPolicy, RuleKind
from criteria.services import criteria_set_replace_tree, ensure_editable
from criteria.tree import NodeRow, TreeProblems, parse_points, validate_tree
from guards import cells

# Header -> NodeRow attribute, in the order of the sheet.
COLUMNS = {
    "Mã": "code",
    "Mã cha": "parent_code",
    "Tên tiêu chí": "title",
    "Điểm tối đa": "max_points",
    "Hướng dẫn chấm": "scoring_guide",
    "Đơn vị chủ trì": "default_lead_unit",
    "Nguồn gốc": "provenance",
    "Nguồn gốc điểm": "points_provenance",
    "Nguồn gốc đơn vị": "unit_provenance",
    "Cách chấm": "rule",
    "Bước điểm": "step",
    "Bậc điểm": "tiers",
    "Tử số": "numerator_label",
    "Mẫu số": "denominator_label",
    "Khi không phát sinh": "not_arising",
}
# What a clerk writes in "Cách chấm" and "Khi không phát sinh" (the portal's codes work too).
RULE_LABELS = {
    RuleKind.FREE: "Trong khoảng",
    RuleKind.PASS_FAIL: "Đạt/không đạt",
    RuleKind.TIERS: "Theo tỷ lệ",
}
NOT_ARISING_LABELS = {
    NotArisingPolicy.NOT_ALLOWED: "Không áp dụng",
    NotArisingPolicy.FULL: "Tính đủ điểm",
    NotArisingPolicy.ZERO: "Tính 0 điểm",
    NotArisingPolicy.EXCLUDE: "Không tính, quy đổi",
}
DEFAULT_STEP = Decimal("0.25")
HEADERS = list(COLUMNS)
REQUIRED_HEADERS = ["Mã", "Tên tiêu chí", "Điểm tối đa"]
FIRST_DATA_ROW = 2  # the header is Excel row 1
SHEET_TITLE = "Bộ tiêu chí"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLUMN_WIDTHS = {
    "Mã": 10,
    "Mã cha": 10,
    "Tên tiêu chí": 60,
    "Điểm tối đa": 12,
    "Hướng dẫn chấm": 50,
    "Đơn vị chủ trì": 30,
    "Nguồn gốc": 18,
    "Nguồn gốc điểm": 18,
    "Nguồn gốc đơn vị": 18,
    "Cách chấm": 16,
    "Bước điểm": 10,
    "Bậc điểm": 18,
    "Tử số": 30,
    "Mẫu số": 30,
    "Khi không phát sinh": 20,
}
INSTRUCTIONS = [
    "Cách điền bảng tiêu chí",
    "1. Chỉ điền vào trang tính đầu tiên (“Bộ tiêu chí”); cổng bỏ qua các trang tính khác. "
    "Dòng 1 là dòng tiêu đề, giữ nguyên; mỗi tiêu chí một dòng, bắt đầu từ dòng 2.",
    "2. Bắt buộc điền: Mã, Tên tiêu chí, Điểm tối đa. Các cột khác có thể để trống. "
    "Không thêm, bớt hay đổi tên cột.",
    "3. Mã ghi theo cấp, ngăn cách bằng dấu chấm: 1, 1.1, 1.1.a. Khi để trống “Mã cha”, "
    "cổng hiểu tiêu chí cha là mã bỏ phần cuối (1.1.a thuộc 1.1). Chỉ điền “Mã cha” khi mã "
    "không theo quy tắc này. Mã không được trùng nhau. Mã chỉ gồm chữ số, chữ cái không dấu "
    "(a–z, A–Z), dấu chấm và dấu gạch ngang: không dấu cách, không ký tự khác.",
    "4. Điểm tối đa là số, có thể có phần thập phân (2,5). Điểm của tiêu chí cha phải bằng "
    "tổng điểm các tiêu chí con; tổng điểm các tiêu chí cấp cao nhất phải bằng thang điểm "
    "của bộ tiêu chí (thường là 100).",
    "5. Không dùng công thức (ví dụ =SUM(D3:D5)): gõ số trực tiếp. Nếu đã dùng công thức, "
    "chọn các ô, Sao chép rồi Dán đặc biệt → Giá trị.",
    "6. Thứ tự các dòng là thứ tự hiển thị tiêu chí trên cổng.",
    "7. Các cột Nguồn gốc ghi nội dung lấy từ đâu: số văn bản, báo cáo, hoặc “inferred” nếu "
    "là suy luận còn phải đối chiếu với văn bản chính thức.",
    "8. Khi nhập, toàn bộ cây tiêu chí hiện có của bộ tiêu chí được thay bằng nội dung tệp. "
    "Tệp có lỗi bị từ chối toàn bộ, kèm thông báo lỗi theo số dòng của Excel.",
    "9. Bộ tiêu chí đã dùng cho kỳ đánh giá không nhập đè được: hãy tạo phiên bản mới rồi "
    "nhập vào phiên bản mới.",
    "10. Lưu tệp dạng Sổ làm việc Excel (*.xlsx).",
    "11. Cách chấm của tiêu chí thành phần (để trống là “Trong khoảng”): “Trong khoảng” — chấm "
    "từ 0 đến điểm tối đa theo Bước điểm (để trống là 0,25); “Đạt/không đạt” — chỉ 0 hoặc điểm "
    "tối đa; “Theo tỷ lệ” — đơn vị nhập Tử số và Mẫu số (ghi tên hai số ở cột Tử số, Mẫu số), "
    "điểm lấy theo Bậc điểm dạng “tỷ lệ tối thiểu:điểm”, ví dụ 100:5; 95:3; 0:0.",
    "12. Khi không phát sinh (để trống là “Không áp dụng”): “Tính đủ điểm”, “Tính 0 điểm”, hoặc "
    "“Không tính, quy đổi” — tiêu chí không tính vào tổng và tổng điểm được quy đổi về thang điểm.",
]

NOT_XLSX = (
    "Tệp không phải là tệp Excel .xlsx hợp lệ (có thể là tệp khác được đổi đuôi thành .xlsx). "
    "Hãy mở tệp bằng Excel và chọn Lưu thành “Sổ làm việc Excel (*.xlsx)”."
)


def _header_key(value) -> str:
    text = unicodedata.normalize("NFC", str(value or ""))
    return " ".join(text.split()).casefold()


_HEADER_BY_KEY = {_header_key(header): header for header in HEADERS}


def normalize_header(value) -> str:
    """The canonical header for a cell ('  mã ' -> 'Mã'), or the cleaned text if unknown."""
    key = _header_key(value)
    return _HEADER_BY_KEY.get(key, " ".join(unicodedata.normalize("NFC", str(value or "")).split()))


def header_problems(headers: Sequence[str | None]) -> list[str]:
    """Missing, unknown or repeated columns, as Vietnamese sentences."""
    problems = []
    present = [header for header in headers if header]
    if not present:
        return [
            "Dòng 1 của trang tính đầu tiên phải là dòng tiêu đề ("
            + ", ".join(HEADERS)
            + ") nhưng đang trống."
        ]
    missing = [header for header in REQUIRED_HEADERS if header not in present]
    if missing:
        problems.append(
            "Thiếu cột bắt buộc: "
            + ", ".join(f"“{header}”" for header in missing)
            + ". Dòng 1 phải có đúng các tiêu đề cột như tệp mẫu."
        )
    unknown = [header for header in present if header not in COLUMNS]
    if unknown:
        problems.append(
            "Cột không thuộc mẫu: "
            + ", ".join(f"“{header}”" for header in unknown)
            + ". Các cột hợp lệ: "
            + ", ".join(HEADERS)
            + "."
        )
    repeated = sorted({header for header in present if present.count(header) > 1})
    if repeated:
        problems.append("Cột bị lặp: " + ", ".join(f"“{header}”" for header in repeated) + ".")
    return problems


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


MAX_PARTS = 1000  # a workbook made by Excel has a few dozen
# Empty but formatted rows below the table are skipped, up to this many times the row cap.
BLANK_ROWS_FACTOR = 10
# The template has 15 columns; a cell far to the right would make every row that wide.
MAX_COLUMNS = 50
MB = 1024 * 1024


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _check_archive(data: bytes) -> None:
    """Refuse, before openpyxl reads anything, a workbook whose parts would inflate to more
    than CRITERIA_IMPORT_MAX_XML_MB (a zip bomb, or a sheet of a million rows): the sizes come
    from the ZIP's directory (guards.cells.xlsx_size)."""
    limit = settings.CRITERIA_IMPORT_MAX_XML_MB * MB
    parts, size = cells.xlsx_size(data, not_xlsx=NOT_XLSX)
    if parts > MAX_PARTS:
        raise ValidationError(
            f"Tệp Excel có {_thousands(parts)} thành phần, quá nhiều so với một bảng tiêu "
            f"chí (tối đa {MAX_PARTS}). Hãy chép bảng sang một tệp Excel mới rồi tải lên."
        )
    if size > limit:
        raise ValidationError(
            f"Tệp Excel khi giải nén có {_thousands(size // MB)} MB dữ liệu, vượt giới hạn "
            f"{settings.CRITERIA_IMPORT_MAX_XML_MB} MB (một bảng tiêu chí thường chỉ vài trăm "
            "KB). Tệp có thể chứa quá nhiều dòng, hoặc là tệp độc hại dạng “bom giải nén”."
        )


def _too_many_rows(max_rows: int, excel_row: int) -> ValidationError:
    return ValidationError(
        f"Trang tính đầu tiên có hơn {_thousands(max_rows)} dòng tiêu chí: dòng {excel_row} "
        f"vẫn có dữ liệu. Mỗi tệp nhận tối đa {_thousands(max_rows)} tiêu chí, mỗi tiêu chí "
        "một dòng dưới dòng tiêu đề; hãy kiểm tra lại tệp."
    )


def _too_wide(excel_row: int) -> ValidationError:
    return ValidationError(
        f"Dòng {excel_row} có dữ liệu ở bên phải cột {get_column_letter(MAX_COLUMNS)}, ngoài "
        f"bảng tiêu chí ({len(HEADERS)} cột, xem tệp mẫu). Hãy xóa các cột thừa rồi tải lại."
    )


def _too_long(scanned: int) -> ValidationError:
    return ValidationError(
        f"Trang tính đầu tiên dài hơn {_thousands(scanned)} dòng (kể cả các dòng trống đã được "
        "định dạng). Hãy xóa các dòng thừa bên dưới bảng tiêu chí rồi tải lại."
    )


def _read_table(sheet, max_rows: int) -> tuple[list[list], list[str]]:
    """(the rows' values from the header on, formula messages), reading the sheet as a stream
    and stopping as soon as it is longer than the cap allows."""
    table: list[list] = []
    formulas: list[str] = []
    first = sheet.min_row or 1  # the header's Excel row (1, unless rows above are empty)
    most = (max_rows + 1) * BLANK_ROWS_FACTOR
    for position, row in enumerate(sheet.iter_rows()):
        if position >= most:
            raise _too_long(most)
        values = []
        for cell in row:
            if cell.data_type == "f":
                formula = getattr(cell.value, "text", cell.value)
                formulas.append(
                    f"Ô {cell.coordinate} chứa công thức “{formula}”. Hãy thay công thức bằng "
                    "giá trị (Sao chép rồi Dán đặc biệt → Giá trị) rồi tải lại."
                )
            values.append(cell.value)
        if len(values) > MAX_COLUMNS:
            beyond = [v for v in values[MAX_COLUMNS:] if not _is_blank(v)]
            if beyond:
                raise _too_wide(first + position)
            del values[MAX_COLUMNS:]
        if position > max_rows:  # beyond the header and max_rows criteria
            if any(not _is_blank(value) for value in values):
                raise _too_many_rows(max_rows, first + position)
            continue  # blank rows under the table would be dropped anyway
        table.append(values)
    return table, formulas


def read_sheet(data: bytes) -> tablib.Dataset:
    """The first sheet of an XLSX file as a dataset, or ValidationError for the whole file.

    The file is refused when it is not XLSX, when it would inflate to more than
    CRITERIA_IMPORT_MAX_XML_MB or has more than CRITERIA_IMPORT_MAX_ROWS criteria, when a cell
    holds a formula (a formula has no value we can trust: openpyxl sees only what Excel cached
    at the last save, if anything), when it has no header or no data rows, or when its columns
    are not the template's. Blank rows inside the table are kept so that dataset row i is
    Excel row i + 2.
    """
    _check_archive(data)
    try:
        # Read-only: the sheet is parsed as a stream, so reading stops at the row cap.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # a corrupt upload can fail anywhere inside openpyxl
        raise ValidationError(NOT_XLSX) from exc
    try:
        sheet = workbook.worksheets[0]
        # The sheet's declared dimension decides how far openpyxl pads each row; a file could
        # declare 16,384 columns. Rows are padded below to the widest row actually present.
        sheet.reset_dimensions()
        table, formulas = _read_table(sheet, settings.CRITERIA_IMPORT_MAX_ROWS)
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError(NOT_XLSX) from exc
    finally:
        workbook.close()
    if formulas:
        raise ValidationError(formulas)

    while table and all(_is_blank(value) for value in table[-1]):
        table.pop()
    if not table:
        raise ValidationError(
            "Trang tính đầu tiên trống: không có dòng tiêu đề và không có tiêu chí nào."
        )
    width = max(len(row) for row in table)
    table = [row + [None] * (width - len(row)) for row in table]

    headers = [normalize_header(value) if not _is_blank(value) else None for value in table[0]]
    problems = header_problems(headers)
    for index, header in enumerate(headers):
        if header is None and any(not _is_blank(row[index]) for row in table[1:]):
            problems.append(
                f"Cột {get_column_letter(index + 1)} có dữ liệu nhưng không có tiêu đề."
            )
    if problems:
        raise ValidationError(problems)
    if len(table) < FIRST_DATA_ROW:
        raise ValidationError(
            "Tệp không có dòng tiêu chí nào: chỉ có dòng tiêu đề. "
            "Hãy điền mỗi tiêu chí một dòng, bắt đầu từ dòng 2."
        )

    keep = [index for index, header in enumerate(headers) if header]
    dataset = tablib.Dataset(headers=[headers[index] for index in keep])
    for row in table[1:]:
        dataset.append([row[index] for index in keep])
    return dataset


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def read_rows(
    headers: Sequence[str | None], values: Iterable[Sequence], scale: Decimal | None
) -> tuple[list[NodeRow], TreeProblems]:
    """Parse data rows (Excel row 2 onwards) and check the whole tree against `scale`."""
    problems = TreeProblems()
    headers = [normalize_header(header) if header else None for header in headers]
    found = header_problems(headers)
    if found:
        problems.general.extend(found)
        return [], problems

    rows: list[NodeRow] = []
    for excel_row, raw in enumerate(values, start=FIRST_DATA_ROW):
        cells = {header: value for header, value in zip(headers, raw, strict=False) if header}
        if all(_is_blank(value) for value in cells.values()):
            continue
        fields = {
            attr: _text(cells.get(header))
            for header, attr in COLUMNS.items()
            if attr != "max_points"
        }
        for header in ("Mã", "Mã cha"):
            if isinstance(cells.get(header), dt.date):
                problems.add(
                    excel_row,
                    f"Ô “{header}” đã bị Excel đổi thành ngày tháng. Hãy định dạng cột là "
                    "Văn bản (Text) rồi gõ lại mã.",
                )
        try:
            max_points = parse_points(cells.get("Điểm tối đa"))
        except ValueError as exc:
            problems.add(excel_row, str(exc))
            max_points = None
        fields["parent_code"] = fields["parent_code"] or None
        for message in _read_rule_columns(fields, cells):
            problems.add(excel_row, message)
        rows.append(NodeRow(row=excel_row, max_points=max_points, **fields))

    tree = validate_tree(rows, scale)
    problems.general.extend(tree.general)
    for row, messages in tree.by_row.items():
        problems.by_row[row].extend(messages)
    return rows, problems


def _label_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _choice(text: str, labels: dict[str, str], what: str) -> tuple[str | None, str | None]:
    """(code, None) for a label or code a clerk wrote, or (None, message)."""
    key = _label_key(text)
    for code, label in labels.items():
        if key in (_label_key(label), code):
            return code, None
    allowed = ", ".join(f"“{label}”" for label in labels.values())
    return None, f"{what} “{text}” không hợp lệ; chọn một trong: {allowed}."


def _read_rule_columns(fields: dict, cells: dict) -> list[str]:
    """Turn the scoring-rule cells of a row into NodeRow values; return problems."""
    problems = []
    rule_text = fields.get("rule", "")
    fields["rule"] = RuleKind.FREE
    if rule_text:
        code, problem = _choice(rule_text, RULE_LABELS, "Cách chấm")
        fields["rule"] = code or RuleKind.FREE
        problems += [problem] if problem else []
    arising_text = fields.get("not_arising", "")
    fields["not_arising"] = NotArisingPolicy.NOT_ALLOWED
    if arising_text:
        code, problem = _choice(arising_text, NOT_ARISING_LABELS, "Khi không phát sinh")
        fields["not_arising"] = code or NotArisingPolicy.NOT_ALLOWED
        problems += [problem] if problem else []
    raw_step = cells.get("Bước điểm")
    fields["step"] = DEFAULT_STEP
    if not _is_blank(raw_step):
        try:
            fields["step"] = parse_points(raw_step)
        except ValueError as exc:
            problems.append(str(exc).replace("Điểm tối đa", "Bước điểm"))
    return problems


def read_criteria_xlsx(data: bytes, scale: Decimal | None) -> tuple[list[NodeRow], TreeProblems]:
    """Every row of an XLSX file and every problem with it; nothing touches the database."""
    try:
        dataset = read_sheet(data)
    except ValidationError as exc:
        problems = TreeProblems()
        problems.general.extend(exc.messages)
        return [], problems
    return read_rows(dataset.headers, dataset, scale)


def criteria_set_import_xlsx(*, criteria_set: CriteriaSet, data: bytes) -> list[Criterion]:
    """Replace the tree of `criteria_set` by the file's, or change nothing and raise."""
    ensure_editable(criteria_set)
    rows, problems = read_criteria_xlsx(data, criteria_set.scale)
    if problems:
        raise ValidationError(problems.messages())
    return criteria_set_replace_tree(criteria_set=criteria_set, rows=rows)


def write_workbook(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An XLSX file in the template's layout: the table first, then the instructions sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    cells.append(sheet, headers)
    for row in rows:
        cells.append(sheet, ["" if value is None else value for value in row])

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = COLUMN_WIDTHS.get(header, 15)
        if header in ("Mã", "Mã cha"):
            # Text, so that a code typed as 1.10 is not turned into the number 1.1.
            sheet.column_dimensions[letter].number_format = "@"
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)

    guide = workbook.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 120
    for line in INSTRUCTIONS:
        row = cells.append(guide, [line])
        guide.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    guide["A1"].font = Font(bold=True, size=13)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def blank_template() -> bytes:
    return write_workbook(HEADERS, [])
