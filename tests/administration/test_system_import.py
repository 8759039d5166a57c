"""Reading and judging an accounts sheet: every kind of bad row is named with its Excel row."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from administration import system_import
from administration.system_import import HEADERS, blank_template, judge_rows, read_accounts_xlsx
from tests.administration.system_sheets import GOOD_ROWS, sheet_bytes

pytestmark = pytest.mark.django_db


def _judge(demo, rows, commune=None):
    return judge_rows(read_accounts_xlsx(sheet_bytes(rows)), commune or demo.commune)


def _refusal(data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        read_accounts_xlsx(data)
    return caught.value.messages


def test_a_good_sheet_is_read_with_its_units_roles_and_flags(demo):
    accounts, problems = _judge(demo, GOOD_ROWS)
    assert problems == []
    lan, hung, thu = accounts
    assert (lan.row, lan.username, lan.full_name, lan.role) == (
        2,
        "lan.nguyen",
        "Nguyễn Thị Lan",
        "staff",
    )
    assert lan.unit == demo.commune.units.get(short_name="VHXH")  # by short name
    assert lan.email == "lan@example.vn" and not lan.is_commune_admin
    assert hung.role == "leader" and hung.unit is None and hung.is_commune_admin
    assert thu.role == "secretary" and thu.unit.name == "Văn phòng HĐND và UBND"  # by name


def test_unit_names_ignore_case_and_spacing(demo):
    rows = [["an.pham", "Phạm An", "cán bộ, công chức", "  phòng  kinh tế ", "", "", "không"]]
    accounts, problems = _judge(demo, rows)
    assert problems == []
    assert accounts[0].unit.short_name == "KT"


@pytest.mark.parametrize(
    "row,message",
    [
        (["", "Nguyễn A", "Văn thư", "", "", "", ""], "Dòng 2: thiếu tên đăng nhập."),
        (["a.b", "", "Văn thư", "", "", "", ""], "Dòng 2: thiếu họ và tên."),
        (["a b", "Nguyễn A", "Văn thư", "", "", "", ""], "Dòng 2: tên đăng nhập chỉ gồm"),
        (["nguyễn", "Nguyễn A", "Văn thư", "", "", "", ""], "Dòng 2: tên đăng nhập chỉ gồm"),
        (["a.b", "Nguyễn A", "Trưởng thôn", "", "", "", ""], "Dòng 2: vai trò “Trưởng thôn” không có"),
        (["a.b", "Nguyễn A", "", "", "", "", ""], "Dòng 2: thiếu vai trò."),
        (["a.b", "Nguyễn A", "Cán bộ, công chức", "", "", "", ""], "Dòng 2: cán bộ, công chức phải có đơn vị."),
        (["a.b", "Nguyễn A", "Cán bộ, công chức", "Phòng Y tế", "", "", ""], "Dòng 2: xã không có đơn vị “Phòng Y tế”."),
        (["a.b", "Nguyễn A", "Văn thư", "", "", "khong-phai-email", ""], "Dòng 2: email không hợp lệ."),
        (["a.b", "Nguyễn A", "Văn thư", "", "", "", "Có lẽ"], "Dòng 2: cột “Quản trị của xã” chỉ ghi Có hoặc Không."),
        (["vhxh", "Trần Thị Mai", "Văn thư", "", "", "", ""], "Dòng 2: tên đăng nhập “vhxh” đã có người dùng."),
        (["VHXH", "Trần Thị Mai", "Văn thư", "", "", "", ""], "Dòng 2: tên đăng nhập “VHXH” đã có người dùng."),
        (["a.b", "Nguyễn A" * 50, "Văn thư", "", "", "", ""], "Dòng 2: ô “Họ và tên” dài quá 300 ký tự."),
        (["a.b", "Nguyễn A", "Văn thư", "", "x" * 201, "", ""], "Dòng 2: Chức danh:"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_row_is_named(demo, row, message):
    accounts, problems = _judge(demo, [row])
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems


def test_another_communes_unit_is_refused_as_such(demo):
    """Phòng Kinh tế is Nghi Dương's; An Lão has none of that name."""
    rows = [["b.c", "Ngô B", "Cán bộ, công chức", "Phòng Kinh tế", "", "", ""]]
    _accounts, problems = _judge(demo, rows, commune=demo.other_commune)
    assert problems == [
        "Dòng 2: đơn vị “Phòng Kinh tế” thuộc xã, phường khác, không phải của xã này."
    ]


def test_a_collective_unit_is_not_a_persons_unit(demo):
    rows = [["b.c", "Ngô B", "Cán bộ, công chức", "Các cơ quan, đơn vị", "", "", ""]]
    _accounts, problems = _judge(demo, rows)
    assert problems == ["Dòng 2: xã không có đơn vị “Các cơ quan, đơn vị”."]


def test_a_username_twice_in_the_sheet_names_both_rows(demo):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], ["Lan.Nguyen", "Nguyễn Lan", "Văn thư", "", "", "", ""]]
    _accounts, problems = _judge(demo, rows)
    assert problems == ["Dòng 4: tên đăng nhập “Lan.Nguyen” trùng với dòng 2."]


def test_problems_come_in_row_order_with_every_row(demo):
    rows = [
        ["", "A", "Văn thư", "", "", "", ""],
        GOOD_ROWS[0],
        ["x.y", "B", "Giám đốc", "", "", "bad", ""],
    ]
    _accounts, problems = _judge(demo, rows)
    assert [p.split(":")[0] for p in problems] == ["Dòng 2", "Dòng 4", "Dòng 4"]


def test_blank_rows_are_skipped_and_row_numbers_stay_excels(demo):
    rows = [GOOD_ROWS[0], [None] * 7, ["", "A", "Văn thư", "", "", "", ""]]
    _accounts, problems = _judge(demo, rows)
    assert problems == ["Dòng 4: thiếu tên đăng nhập."]


def test_not_an_xlsx_is_refused():
    assert _refusal(b"%PDF-1.7 not a sheet") == [system_import.NOT_XLSX]
    assert _refusal(b"") == [system_import.NOT_XLSX]


def test_an_empty_sheet_and_a_header_only_sheet_are_refused():
    assert "trống" in _refusal(sheet_bytes([], headers=[]))[0]
    assert "không có tài khoản nào" in _refusal(sheet_bytes([]))[0]


def test_wrong_columns_are_refused():
    headers = ["Tên đăng nhập", "Tên", "Vai trò", "Mật khẩu"]
    messages = _refusal(sheet_bytes([["a", "b", "Văn thư", "x"]], headers=headers))
    assert messages == [
        "Cột không có trong tệp mẫu: “Tên”, “Mật khẩu”.",
        "Thiếu cột: “Họ và tên”.",
    ]


def test_a_formula_is_refused_with_its_cell():
    data = sheet_bytes([['=A1&"x"', "Nguyễn A", "Văn thư", "", "", "", ""]])
    assert _refusal(data) == [
        "Dòng 2: ô A2 chứa công thức; hãy gõ giá trị trực tiếp (Sao chép rồi Dán đặc biệt → Giá trị)."
    ]


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(system_import, "MAX_ROWS", 3)
    rows = [[f"u{i}", "A", "Văn thư", "", "", "", ""] for i in range(4)]
    assert "hơn 3 tài khoản (dòng 5 vẫn có dữ liệu)" in _refusal(sheet_bytes(rows))[0]
    assert read_accounts_xlsx(sheet_bytes(rows[:3]))  # three is fine


def test_data_far_to_the_right_is_refused():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.cell(row=2, column=30, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "bên phải cột T" in _refusal(buffer.getvalue())[0]


def test_a_zip_bomb_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(system_import, "MAX_XML_BYTES", 1000)
    assert "khi giải nén" in _refusal(sheet_bytes(GOOD_ROWS))[0]


def test_the_template_has_the_headers_instructions_and_the_communes_units(demo):
    workbook = load_workbook(io.BytesIO(blank_template(demo.commune)))
    first, guide, units = workbook.worksheets
    assert [c.value for c in first[1]] == HEADERS
    assert guide["A1"].value == "Cách điền danh sách tài khoản"
    names = [row[0] for row in units.iter_rows(min_row=2, values_only=True)]
    assert "Phòng Kinh tế" in names and "Các cơ quan, đơn vị" not in names
    # The template read back is a header-only sheet.
    with pytest.raises(ValidationError, match="không có tài khoản nào"):
        read_accounts_xlsx(blank_template(demo.commune))
