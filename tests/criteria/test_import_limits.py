"""Criteria workbooks are capped in size and rows before and while they are read (issue 9:
a 358 KB workbook of a million rows took 72 s and 2.1 GB to import).

The workbooks are written as XML straight into a ZIP (tests/criteria/workbooks.py). How much
work a refusal took is measured by the rows openpyxl parsed, never by the clock.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl.worksheet._reader import WorkSheetParser

from criteria.models import CriteriaSet
from criteria.xlsx import criteria_set_import_xlsx, read_sheet
from tests.criteria.workbooks import many_parts_xlsx, many_rows_xlsx

pytestmark = pytest.mark.django_db

GOOD_TABLE = [("1", "Công khai minh bạch", 10), ("1.1", "Niêm yết thủ tục", 10)]


@pytest.fixture
def rows_parsed(monkeypatch):
    """How many <row> elements openpyxl has parsed so far."""
    parsed = {"rows": 0}
    parse_row = WorkSheetParser.parse_row

    def counting(self, row):
        parsed["rows"] += 1
        return parse_row(self, row)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return parsed


@pytest.fixture
def target():
    return CriteriaSet.objects.create(title="Bộ thử", scale=Decimal("10"))


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as raised:
        read_sheet(data)
    return " ".join(raised.value.messages)


def test_a_million_rows_are_refused_by_size_before_a_row_is_read(rows_parsed):
    workbook = many_rows_xlsx(rows=1_000_000)
    assert len(workbook) < 500_000  # a few hundred KB, as in the issue

    message = refusal(workbook)

    assert "Tệp Excel khi giải nén có 117 MB dữ liệu, vượt giới hạn 10 MB" in message
    assert "bom giải nén" in message
    assert rows_parsed["rows"] == 0


def test_without_the_size_check_the_row_cap_stops_reading_a_million_rows(settings, rows_parsed):
    settings.CRITERIA_IMPORT_MAX_XML_MB = 1000
    # With its size declared, as Excel writes it (without, openpyxl scans the whole sheet for
    # it when it opens the file: the size check is what bounds that scan).
    workbook = many_rows_xlsx(rows=1_000_000, dimension="A1:C1000001")

    message = refusal(workbook)

    assert "Trang tính đầu tiên có hơn 2.000 dòng tiêu chí: dòng 2002 vẫn có dữ liệu." in message
    assert rows_parsed["rows"] == 2002  # the header, 2,000 criteria and the row over the cap


def test_rows_over_the_cap_are_refused_with_the_row_number(settings, rows_parsed):
    settings.CRITERIA_IMPORT_MAX_ROWS = 50

    message = refusal(many_rows_xlsx(rows=60))

    assert "có hơn 50 dòng tiêu chí: dòng 52 vẫn có dữ liệu" in message
    assert rows_parsed["rows"] == 52


def test_a_table_at_the_cap_is_read_whole(settings):
    settings.CRITERIA_IMPORT_MAX_ROWS = 50

    dataset = read_sheet(many_rows_xlsx(rows=50))

    assert dataset.height == 50


def test_empty_formatted_rows_under_the_table_are_skipped(settings, target):
    settings.CRITERIA_IMPORT_MAX_ROWS = 50
    # 400 formatted but empty rows, as Excel leaves them: beyond the cap, and harmless.
    workbook = many_rows_xlsx(rows=400, row=(), table=GOOD_TABLE)

    created = criteria_set_import_xlsx(criteria_set=target, data=workbook)

    assert [c.code for c in created] == ["1", "1.1"]


def test_a_million_empty_rows_are_not_read_to_the_end(settings, rows_parsed):
    settings.CRITERIA_IMPORT_MAX_XML_MB = 1000

    workbook = many_rows_xlsx(rows=1_000_000, row=(), table=GOOD_TABLE, dimension="A1:C1000003")

    message = refusal(workbook)

    assert "Trang tính đầu tiên dài hơn 20.010 dòng" in message
    assert "xóa các dòng thừa" in message
    assert rows_parsed["rows"] == 20_011  # up to the first row over the limit


def test_a_declared_size_of_the_whole_grid_is_not_trusted(rows_parsed):
    # The sheet says it spans A1:XFD1048576; openpyxl would pad every row to 16,384 cells.
    workbook = many_rows_xlsx(rows=0, table=GOOD_TABLE, dimension="A1:XFD1048576")

    dataset = read_sheet(workbook)

    assert dataset.headers == ["Mã", "Tên tiêu chí", "Điểm tối đa"]
    assert [list(row) for row in dataset] == [list(row) for row in GOOD_TABLE]
    assert rows_parsed["rows"] == 3


def test_a_workbook_of_a_thousand_parts_is_refused():
    message = refusal(many_parts_xlsx(1000))

    assert "thành phần, quá nhiều" in message


def test_the_command_and_the_admin_give_the_same_message(admin_client, target, tmp_path):
    path = tmp_path / "trieu-dong.xlsx"
    path.write_bytes(many_rows_xlsx(rows=1_000_000))

    with pytest.raises(CommandError, match="vượt giới hạn 10 MB"):
        call_command("import_criteria_xlsx", target.pk, path)
    response = admin_client.post(
        "/admin/criteria/criterion/import/",
        {
            "criteria_set": target.pk,
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("trieu-dong.xlsx", path.read_bytes()),
        },
    )

    assert response.status_code == 200
    assert "vượt giới hạn 10 MB" in response.content.decode()
    assert not target.criteria.exists()


def test_a_cell_far_to_the_right_is_refused_with_its_row():
    far = [*GOOD_TABLE[1], *([""] * 60), "xa"]  # column BM

    message = refusal(many_rows_xlsx(rows=0, table=[GOOD_TABLE[0], far]))

    assert "Dòng 3 có dữ liệu ở bên phải cột AX, ngoài bảng tiêu chí (15 cột" in message


def test_empty_cells_far_to_the_right_are_ignored():
    wide = [*GOOD_TABLE[1], *([""] * 16_000)]

    dataset = read_sheet(many_rows_xlsx(rows=0, table=[GOOD_TABLE[0], wide]))

    assert dataset.headers == ["Mã", "Tên tiêu chí", "Điểm tối đa"]
    assert dataset.height == 2
