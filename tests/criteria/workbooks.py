"""Oversized criteria workbooks written straight as XML into a ZIP: a million rows in a fraction
of a second (openpyxl would take minutes to write them). Used by
tests/criteria/test_import_limits.py and bench/hostile_files_bench.py."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Bộ tiêu chí" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"


def _row(values) -> str:
    """A row without row or cell references (Excel numbers them in order): every row of the
    same values is the same bytes, which compress to almost nothing."""
    cells = "".join(
        f"<c><v>{value}</v></c>"
        if isinstance(value, int | float)
        else f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
        for value in values
    )
    return f"<row>{cells}</row>"


def many_rows_xlsx(
    rows: int = 1_000_000,
    row=("1", "Tiêu chí lặp lại", 1),
    headers=("Mã", "Tên tiêu chí", "Điểm tối đa"),
    table=(),
    dimension: str = "",
) -> bytes:
    """A workbook whose first sheet has the header, the `table` rows, then `rows` copies of
    `row` (an empty `row` is a formatted but empty row, as Excel leaves them); `dimension`
    is the sheet's declared size, e.g. "A1:XFD1048576"."""
    repeated = _row(row) if row else '<row><c s="1"/></row>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            start = SHEET_START
            if dimension:
                start = start.replace("<sheetData>", f'<dimension ref="{dimension}"/><sheetData>')
            sheet.write((start + _row(headers) + "".join(map(_row, table))).encode())
            chunk = repeated.encode() * 10_000
            for _ in range(rows // 10_000):
                sheet.write(chunk)
            sheet.write(repeated.encode() * (rows % 10_000))
            sheet.write(SHEET_END.encode())
    return out.getvalue()


def many_parts_xlsx(parts: int) -> bytes:
    """A small valid workbook carrying `parts` extra (empty) parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(many_rows_xlsx(rows=0))) as small:
            for name in small.namelist():
                archive.writestr(name, small.read(name))
        for number in range(parts):
            archive.writestr(f"customXml/item{number}.xml", "<a/>")
    return out.getvalue()
