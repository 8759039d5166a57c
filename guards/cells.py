"""Write what people typed into spreadsheets as text, never as a formula.

openpyxl stores any string that starts with "=" as a formula, and a spreadsheet program
that re-reads a cell (a CSV opened in Excel, a cell edited and confirmed) evaluates text
starting with "=", "+", "-" or "@"; tab and carriage return let such text hide behind an
innocent first character. Every XLSX and CSV the portal writes puts user text through
`put`, `append` or `csv_text`: the value stays exactly as typed, stored as a string, and
Excel's quote-prefix flag keeps it text even when someone edits the cell.

Formulas the portal writes itself (SUM, IF) are passed with `formula=True`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_risky(value: Any) -> bool:
    """Text a spreadsheet program could take for a formula (leading spaces do not hide it)."""
    return isinstance(value, str) and value.lstrip(" ").startswith(RISKY_PREFIXES)


def put(
    ws: Worksheet, row: int, column: int, value: Any = None, *, formula: bool = False
) -> Cell | MergedCell:
    """`ws.cell(row, column, value)`, with text always stored as text. Returns the cell."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str) and not formula:
        # Control characters XML cannot hold (a vertical tab pasted from Word) would make
        # openpyxl refuse the whole file; they carry nothing a reader could see.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"  # openpyxl made "=..." a formula on assignment; undo that
        if is_risky(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def append(ws: Worksheet, values: Iterable[Any]) -> int:
    """`ws.append(values)` with every string written through `put`. Returns the row number.

    openpyxl's own append keeps the current row (`ws.max_row` would scan every cell each
    time); the strings it turned into formulas are then written again as text."""
    values = list(values)
    ws.append(values)
    row: int = ws._current_row  # type: ignore[attr-defined]  # openpyxl's own counter
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            put(ws, row, column, value)
    return row


def csv_text(value: Any) -> Any:
    """A value for a CSV cell: risky text gets a leading apostrophe (OWASP's advice), since a
    CSV has no way to say "this is text"."""
    if is_risky(value):
        return "'" + value
    return value


# Parts of an XLSX that openpyxl parses.
PARSED_PARTS = (".xml", ".rels", ".vml")


def xlsx_size(data: bytes, *, not_xlsx: str) -> tuple[int, int]:
    """(number of parts, bytes the parsed parts inflate to) of an uploaded XLSX, read from its
    ZIP directory before openpyxl opens it, so that a zip bomb or a sheet of a million rows is
    refused first. zipfile never inflates a part past the size its directory declares (it
    stops with a bad CRC), so these bound what openpyxl reads. Not a ZIP: `not_xlsx`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(not_xlsx) from exc
    inflated = sum(part.file_size for part in parts if part.filename.lower().endswith(PARSED_PARTS))
    return len(parts), inflated
