"""Accounts from an XLSX sheet: the template, reading a clerk's workbook and judging its rows.

A sheet is taken whole or not at all: `read_accounts_xlsx` refuses a file that is not XLSX,
too large once unzipped, longer than MAX_ROWS, wider than the template, with a formula or an
oversize cell; `judge_rows` checks every row against the commune (its units, the accounts
that exist) and against the other rows, and says what is wrong row by row ("Dòng 5: …", the
row number Excel shows). Only a sheet without a single problem is offered for confirmation.

Each row becomes a User and a Membership through `assessments.services.user_create` (which
audits it), with a password made at that moment: django-import-export's Resource imports one
model per row and keeps no room for that, so each row is a Django form instead (the fields'
own validation, Vietnamese messages) and the rows are checked together here.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models import Q
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from assessments.models import Commune, Membership, Unit
from guards import cells
from guards.inputs import CleanInputMixin

HEADERS = [
    "Tên đăng nhập",
    "Họ và tên",
    "Vai trò",
    "Đơn vị",
    "Chức danh",
    "Email",
    "Quản trị của xã",
]
FIELDS = dict(
    zip(
        HEADERS,
        ["username", "full_name", "role", "unit", "title", "email", "is_commune_admin"],
        strict=True,
    )
)
REQUIRED_HEADERS = ["Tên đăng nhập", "Họ và tên", "Vai trò"]
COLUMN_WIDTHS = [18, 28, 24, 34, 28, 28, 16]
SHEET_TITLE = "Tài khoản"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_DATA_ROW = 2

MAX_ROWS = 500  # accounts in one sheet: a commune has a few dozen people
MAX_COLUMNS = 20
MAX_CELL = 300  # characters in one cell; the longest field (a unit's name) holds 300
MAX_XML_BYTES = 5 * 1024 * 1024  # the sheet's parts, unzipped
MAX_PARTS = 200
BLANK_ROWS_FACTOR = 10

YES = {"có", "co", "x", "yes"}
NO = {"không", "khong", ""}

NOT_XLSX = (
    "Tệp không phải là tệp Excel .xlsx hợp lệ (có thể là tệp khác được đổi đuôi thành .xlsx). "
    "Hãy tải tệp mẫu, điền vào rồi lưu thành “Sổ làm việc Excel (*.xlsx)”."
)

INSTRUCTIONS = [
    "Cách điền danh sách tài khoản",
    "1. Chỉ điền vào trang tính đầu tiên (“Tài khoản”), mỗi người một dòng, bắt đầu từ dòng 2. "
    "Giữ nguyên dòng tiêu đề; không thêm, bớt hay đổi tên cột.",
    "2. Tên đăng nhập: chữ không dấu, chữ số và các ký tự . @ + - _, không dấu cách; không "
    "trùng với tài khoản đã có hay với dòng khác.",
    "3. Họ và tên: bắt buộc, ví dụ Nguyễn Thị Lan.",
    "4. Vai trò: Lãnh đạo UBND, Văn thư hoặc Cán bộ, công chức.",
    "5. Đơn vị: tên hoặc tên viết tắt của một đơn vị của xã (ví dụ Phòng Văn hóa - Xã hội, "
    "hoặc VHXH). Bắt buộc với Cán bộ, công chức; lãnh đạo và văn thư có thể để trống.",
    "6. Chức danh, Email: không bắt buộc. Quản trị của xã: Có hoặc Không (để trống là Không).",
    f"7. Tối đa {MAX_ROWS} tài khoản mỗi tệp. Không dùng công thức: gõ giá trị trực tiếp.",
    "8. Tệp có lỗi bị từ chối toàn bộ, kèm lỗi theo số dòng của Excel: không tài khoản nào "
    "được tạo cho đến khi sửa hết lỗi.",
    "9. Mật khẩu tạm thời do cổng tạo cho từng người, chỉ hiện một lần sau khi nhập; hãy dặn "
    "mỗi người đổi mật khẩu ngay lần đăng nhập đầu tiên (Đổi mật khẩu, trên menu tài khoản): "
    "cổng chưa tự buộc đổi.",
]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _key(value: Any) -> str:
    return " ".join(_text(value).split()).casefold()


_HEADER_BY_KEY = {_key(header): header for header in HEADERS}


# -- the template ----------------------------------------------------------------------------


def blank_template(commune: Commune | None = None) -> bytes:
    """The sheet to fill in, its headers bold, plus the instructions and the commune's units."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = SHEET_TITLE
    cells.append(sheet, HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        sheet.column_dimensions[letter].number_format = "@"

    guide = workbook.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 110
    for line in INSTRUCTIONS:
        row = cells.append(guide, [line])
        guide.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    guide["A1"].font = Font(bold=True, size=13)

    if commune is not None:
        units = workbook.create_sheet("Đơn vị của xã")
        cells.append(units, ["Tên đơn vị", "Tên viết tắt"])
        for unit in commune.units.filter(is_collective=False).order_by("order", "name"):
            cells.append(units, [unit.name, unit.short_name])
        units.column_dimensions["A"].width = 50
        units.column_dimensions["B"].width = 16
        for cell in units[1]:
            cell.font = Font(bold=True)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- reading the file ------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """A row as typed: its Excel number and its cells by field name (text)."""

    row: int
    values: dict[str, str]


def _check_archive(data: bytes) -> None:
    """Refuse a zip bomb or a giant sheet before openpyxl reads it (guards.cells.xlsx_size)."""
    parts, size = cells.xlsx_size(data, not_xlsx=NOT_XLSX)
    if parts > MAX_PARTS:
        raise ValidationError(
            f"Tệp Excel có {parts} thành phần, quá nhiều so với một danh sách tài khoản. "
            "Hãy chép bảng sang tệp mẫu rồi tải lên."
        )
    if size > MAX_XML_BYTES:
        raise ValidationError(
            f"Tệp Excel khi giải nén có hơn {MAX_XML_BYTES // (1024 * 1024)} MB dữ liệu, quá "
            "lớn so với một danh sách tài khoản (thường chỉ vài chục KB)."
        )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_table(sheet: Any) -> list[list[Any]]:
    # `sheet` is a read-only worksheet; openpyxl's stubs type its iter_rows for Worksheet only
    table: list[list[Any]] = []
    formulas: list[str] = []
    first = sheet.min_row or 1
    for position, row in enumerate(sheet.iter_rows()):
        excel_row = first + position
        if position >= (MAX_ROWS + 1) * BLANK_ROWS_FACTOR:
            raise ValidationError(
                "Trang tính đầu tiên quá dài (kể cả các dòng trống đã được định dạng). Hãy xóa "
                "các dòng thừa bên dưới danh sách rồi tải lại."
            )
        values = []
        for cell in row:
            if cell.data_type == "f":
                formulas.append(
                    f"Dòng {excel_row}: ô {cell.coordinate} chứa công thức; hãy gõ giá trị "
                    "trực tiếp (Sao chép rồi Dán đặc biệt → Giá trị)."
                )
            values.append(cell.value)
        if len(values) > MAX_COLUMNS:
            if any(not _blank(v) for v in values[MAX_COLUMNS:]):
                raise ValidationError(
                    f"Dòng {excel_row} có dữ liệu ở bên phải cột "
                    f"{get_column_letter(MAX_COLUMNS)}, ngoài danh sách ({len(HEADERS)} cột, "
                    "xem tệp mẫu)."
                )
            del values[MAX_COLUMNS:]
        if position > MAX_ROWS:
            if any(not _blank(v) for v in values):
                raise ValidationError(
                    f"Tệp có hơn {MAX_ROWS} tài khoản (dòng {excel_row} vẫn có dữ liệu): mỗi "
                    f"tệp nhận tối đa {MAX_ROWS} tài khoản; hãy chia thành nhiều tệp."
                )
            continue
        table.append(values)
    if formulas:
        raise ValidationError(formulas)
    return table


def read_accounts_xlsx(data: bytes) -> list[SheetRow]:
    """The rows of the first sheet, or ValidationError (a list of messages) for the file."""
    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # a corrupt upload can fail anywhere inside openpyxl
        raise ValidationError(NOT_XLSX) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a file could declare 16,384 columns
        table = _read_table(sheet)
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError(NOT_XLSX) from exc
    finally:
        workbook.close()

    while table and all(_blank(v) for v in table[-1]):
        table.pop()
    if not table:
        raise ValidationError(
            "Trang tính đầu tiên trống: không có dòng tiêu đề, không có tài khoản."
        )
    headers = [_HEADER_BY_KEY.get(_key(v)) if not _blank(v) else None for v in table[0]]
    problems = []
    unknown = [_text(v) for v in table[0] if not _blank(v) and _key(v) not in _HEADER_BY_KEY]
    if unknown:
        problems.append("Cột không có trong tệp mẫu: " + ", ".join(f"“{h}”" for h in unknown) + ".")
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        problems.append("Thiếu cột: " + ", ".join(f"“{h}”" for h in missing) + ".")
    repeated = sorted({h for h in headers if h and headers.count(h) > 1})
    if repeated:
        problems.append("Cột bị lặp: " + ", ".join(f"“{h}”" for h in repeated) + ".")
    if problems:
        raise ValidationError(problems)

    rows = []
    for excel_row, raw in enumerate(table[1:], start=FIRST_DATA_ROW):
        values = {
            FIELDS[header]: _text(value)
            for header, value in zip(headers, raw, strict=False)
            if header
        }
        if all(not value for value in values.values()):
            continue
        rows.append(SheetRow(excel_row, values))
    if not rows:
        raise ValidationError(
            "Tệp không có tài khoản nào: chỉ có dòng tiêu đề. Hãy điền mỗi người một dòng, "
            "bắt đầu từ dòng 2."
        )
    return rows


# -- judging the rows ------------------------------------------------------------------------


ROLE_LABELS = {_key(label): value for value, label in Membership.Role.choices}
ROLE_LABELS.update({_key(value): value for value in Membership.Role.values})
ROLE_HINT = "“Lãnh đạo UBND”, “Văn thư” hoặc “Cán bộ, công chức”"


class AccountRowForm(CleanInputMixin, forms.Form):
    """One row of the sheet; `unit` and `role` are checked against the commune in clean()."""

    username = forms.CharField(
        max_length=150,
        validators=[
            ASCIIUsernameValidator(
                message="tên đăng nhập chỉ gồm chữ không dấu, chữ số và các ký tự . @ + - _."
            )
        ],
        error_messages={"required": "thiếu tên đăng nhập."},
    )
    full_name = forms.CharField(max_length=150, error_messages={"required": "thiếu họ và tên."})
    role = forms.CharField(error_messages={"required": "thiếu vai trò."})
    unit = forms.CharField(required=False)
    title = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(
        max_length=254, required=False, error_messages={"invalid": "email không hợp lệ."}
    )
    is_commune_admin = forms.CharField(required=False)

    LABELS = {field: header for header, field in FIELDS.items()}

    def __init__(
        self, *args: Any, units: dict[str, Unit], elsewhere: set[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = units
        self.elsewhere = elsewhere

    def clean_username(self) -> str:
        username = unicodedata.normalize("NFKC", self.cleaned_data["username"])
        if username != username.strip() or " " in username:
            raise ValidationError("tên đăng nhập không được có dấu cách.")
        return username

    def clean_role(self) -> str:
        role = ROLE_LABELS.get(_key(self.cleaned_data["role"]))
        if role is None:
            raise ValidationError(
                f"vai trò “{self.cleaned_data['role']}” không có; hãy ghi {ROLE_HINT}."
            )
        return role

    def clean_is_commune_admin(self) -> bool:
        value = _key(self.cleaned_data["is_commune_admin"])
        if value in YES:
            return True
        if value in NO:
            return False
        raise ValidationError("cột “Quản trị của xã” chỉ ghi Có hoặc Không.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        text = cleaned.get("unit") or ""
        unit = self.units.get(_key(text)) if text else None
        if text and unit is None:
            if _key(text) in self.elsewhere:
                self.add_error(
                    "unit", f"đơn vị “{text}” thuộc xã, phường khác, không phải của xã này."
                )
            else:
                self.add_error("unit", f"xã không có đơn vị “{text}”.")
        cleaned["unit"] = unit
        if cleaned.get("role") == Membership.Role.STAFF and not text:
            self.add_error("unit", "cán bộ, công chức phải có đơn vị.")
        return cleaned

    def row_messages(self, excel_row: int) -> list[str]:
        messages = []
        order = [*self.fields, "__all__"]  # the sheet's columns, left to right
        for field, errors in sorted(self.errors.items(), key=lambda item: order.index(item[0])):
            for item in errors:
                error = str(item)  # ErrorList hands out each message as text
                if error.endswith(".") and error[:1].islower():
                    messages.append(f"Dòng {excel_row}: {error}")
                else:
                    messages.append(f"Dòng {excel_row}: {self.LABELS.get(field, '')}: {error}")
        return messages


@dataclass(frozen=True)
class AccountRow:
    row: int
    username: str
    full_name: str
    role: str
    unit: Unit | None
    title: str
    email: str
    is_commune_admin: bool

    @property
    def role_label(self) -> str:
        return str(Membership.Role(self.role).label)


def _unit_lookup(commune: Commune) -> tuple[dict[str, Unit], set[str]]:
    """This commune's units by name and short name (case and spacing ignored), and the names
    of other communes' units (to say why a name is refused)."""
    units: dict[str, Unit] = {}
    for unit in commune.units.filter(is_collective=False):
        units[_key(unit.name)] = unit
        if unit.short_name:
            units.setdefault(_key(unit.short_name), unit)
    elsewhere = set()
    for name, short in Unit.objects.exclude(commune=commune).values_list("name", "short_name"):
        elsewhere.add(_key(name))
        if short:
            elsewhere.add(_key(short))
    return units, elsewhere - set(units)


def judge_rows(rows: Iterable[SheetRow], commune: Commune) -> tuple[list[AccountRow], list[str]]:
    """(the accounts, the problems by row): the sheet may be imported only without problems."""
    rows = list(rows)
    units, elsewhere = _unit_lookup(commune)
    accounts: list[AccountRow] = []
    problems: list[str] = []
    first_row: dict[str, tuple[int, str]] = {}  # username, casefolded -> (row, as typed)
    for sheet_row in rows:
        too_long = [
            FIELDS_LABEL[field]
            for field, value in sheet_row.values.items()
            if len(value) > MAX_CELL
        ]
        if too_long:
            problems += [
                f"Dòng {sheet_row.row}: ô “{label}” dài quá {MAX_CELL} ký tự." for label in too_long
            ]
            continue
        form = AccountRowForm(sheet_row.values, units=units, elsewhere=elsewhere)
        valid = form.is_valid()
        if not valid:
            problems += form.row_messages(sheet_row.row)
        username = form.cleaned_data.get("username")
        if username is None:
            continue
        # A row with other problems is still checked for its username, so that one upload
        # names every problem.
        key = username.casefold()
        if key in first_row:
            problems.append(
                f"Dòng {sheet_row.row}: tên đăng nhập “{username}” trùng với dòng "
                f"{first_row[key][0]}."
            )
            continue
        first_row[key] = (sheet_row.row, username)
        if valid:
            accounts.append(AccountRow(row=sheet_row.row, **form.cleaned_data))
    taken = _existing_usernames(list(first_row))
    for key, (row, username) in first_row.items():
        if key in taken:
            problems.append(f"Dòng {row}: tên đăng nhập “{username}” đã có người dùng.")
    problems.sort(key=_row_number)
    return accounts, problems


FIELDS_LABEL = {field: header for header, field in FIELDS.items()}


def _existing_usernames(usernames: list[str]) -> set[str]:
    if not usernames:
        return set()
    found = set()
    model = get_user_model()
    # Case-insensitive, in chunks (SQLite binds at most a few hundred parameters at once).
    for start in range(0, len(usernames), 200):
        chunk = usernames[start : start + 200]
        query = Q()
        for name in chunk:
            query |= Q(username__iexact=name)
        found |= {
            name.casefold()
            for name in model.objects.filter(query).values_list("username", flat=True)
        }
    return found


def _row_number(message: str) -> int:
    head = message.split(":", 1)[0].removeprefix("Dòng ")
    return int(head) if head.isdecimal() else 0
