"""Account sheets for the import tests, written with openpyxl the way a clerk's Excel saves
them (the template's headers, then one person a row)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from administration.system_import import CONTENT_TYPE, HEADERS

GOOD_ROWS = [
    ["lan.nguyen", "Nguyễn Thị Lan", "Cán bộ, công chức", "VHXH", "Công chức VHXH", "lan@example.vn", "Không"],
    ["hung.tran", "Trần Văn Hưng", "Lãnh đạo UBND", "", "Phó Chủ tịch UBND xã", "", "Có"],
    ["thu.le", "Lê Thị Thu", "Văn thư", "Văn phòng HĐND và UBND", "", "", ""],
]  # fmt: skip


def sheet_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_upload(rows=GOOD_ROWS, name="tai-khoan.xlsx", headers=HEADERS) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sheet_bytes(rows, headers), CONTENT_TYPE)
