"""Spreadsheet text: what people typed is stored as text, never as a formula."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from guards.cells import append, csv_text, put

RISKY = ["=1+2", "+84 912", "-3", "@SUM(A1)", "\t=cmd", "\r=cmd", " =HYPERLINK(1)"]


@pytest.mark.parametrize("text", RISKY)
def test_risky_text_stays_text(text):
    workbook = Workbook()
    put(workbook.active, 1, 1, text)
    append(workbook.active, [text, 3])
    out = io.BytesIO()
    workbook.save(out)

    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    for cell in (sheet["A1"], sheet["A2"]):
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert sheet["B2"].value == 3


def test_formulas_the_portal_writes_stay_formulas():
    workbook = Workbook()
    put(workbook.active, 1, 1, "=SUM(B1:B2)", formula=True)

    assert workbook.active["A1"].data_type == "f"


def test_csv_text_prefixes_an_apostrophe():
    assert csv_text("=1+2") == "'=1+2"
    assert csv_text("Biên bản") == "Biên bản"
    assert csv_text(5) == 5


def test_characters_xml_cannot_hold_are_dropped_instead_of_failing_the_file():
    workbook = Workbook()
    put(workbook.active, 1, 1, "Quyết\x0bđịnh\x00 số 12")
    out = io.BytesIO()
    workbook.save(out)

    assert load_workbook(io.BytesIO(out.getvalue())).active["A1"].value == "Quyếtđịnh số 12"
