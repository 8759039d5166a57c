"""The alphabet of criterion codes: ASCII letters and digits, joined by dots or dashes.

A code travels far from the sheet it was typed in: into evidence codes (`MC-2.1.a-03`),
HTML attributes, URLs, folder and file names inside ZIP archives, spreadsheet cells. Keeping
it to `1`, `1.1`, `1.1.a`, `TD-b` means none of those places has quoting to get right: no
quote, bracket, space, slash or letter that looks like another. The same pattern is a
validator (admin forms, `full_clean`), a check on every imported row (`criteria.tree`) and a
database constraint (bulk inserts), so no path stores a code outside it.

`\\A` and `\\Z` rather than `^` and `$`: in Python `$` also matches before a final newline,
so "1\\n" would pass. Both Python's `re` (the validator, and SQLite's REGEXP, which Django
implements with `re.search`) and PostgreSQL's regular expressions read `\\A`/`\\Z` as the
very start and end of the text.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

CODE_PATTERN = r"\A[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*\Z"
CODE_RULE = (
    "chỉ gồm chữ số, chữ cái không dấu (a–z, A–Z), dấu chấm và dấu gạch ngang, ví dụ 1.2.a "
    "hoặc TD-b; không có khoảng trắng, không có hai dấu liền nhau, không bắt đầu hay kết thúc "
    "bằng dấu chấm hay dấu gạch ngang"
)

_CODE = re.compile(CODE_PATTERN)


def is_safe_code(code: str) -> bool:
    return bool(_CODE.search(code))


def code_problem(code: str, what: str = "Mã") -> str | None:
    """A Vietnamese sentence when `code` is outside the alphabet, else None."""
    if not code or is_safe_code(code):
        return None
    return f"{what} “{code}” không hợp lệ: mã {CODE_RULE}."


def validate_code(value: str) -> None:
    """Field validator (a function, so migrations refer to it by name, not by its text)."""
    if not is_safe_code(str(value)):
        raise ValidationError(f"Mã {CODE_RULE}.", code="unsafe_code")
