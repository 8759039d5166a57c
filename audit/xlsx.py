"""The filtered audit trail as a workbook. Every text a person typed goes through
guards.cells, so a summary or a failed login's username beginning with "=" stays text."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from audit.models import AuditEntry
from guards.cells import put

COLUMNS = [
    ("Số thứ tự", 10),
    ("Thời điểm", 19),
    ("Người thực hiện", 26),
    ("Tên đăng nhập", 16),
    ("Xã, phường", 20),
    ("Đơn vị", 26),
    ("Thao tác", 24),
    ("Đối tượng", 24),
    ("Nội dung", 60),
    ("Địa chỉ IP", 16),
    ("Trình duyệt", 30),
    ("Mã băm", 20),
]


def entries_xlsx(entries: list[AuditEntry], *, heading: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "Nhật ký hoạt động"
    for row, line in enumerate(heading, start=1):
        put(sheet, row, 1, line)
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    header = len(heading) + 1
    for column, (title, width) in enumerate(COLUMNS, start=1):
        put(sheet, header, column, title).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{header + 1}"
    # Rows are numbered here rather than by `append`, which looks for the sheet's last row
    # on each call (every cell, every time: minutes for ten thousand rows).
    for row, entry in enumerate(entries, start=header + 1):
        values = [
            entry.id,
            # A real date cell (sortable), in the portal's time zone: spreadsheets have none.
            timezone.localtime(entry.at).replace(tzinfo=None),
            entry.full_name,
            entry.username,
            entry.commune_name,
            entry.unit_name,
            entry.get_action_display(),
            entry.target_label,
            entry.summary,
            entry.ip,
            entry.user_agent,
            entry.hash,
        ]
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value)
        sheet.cell(row, 2).number_format = "dd/mm/yyyy hh:mm:ss"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
