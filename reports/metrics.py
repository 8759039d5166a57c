"""How wide a text is in the documents' face: Times New Roman has Liberation Serif's metrics,
so the widths are read from the Liberation Serif files the PDFs embed. Used where a format
cannot lay text out by itself: the DOCX header block's rules, the XLSX row heights."""

from __future__ import annotations

import functools
import math
from pathlib import Path

from django.conf import settings
from docx.shared import Length, Pt

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"


@functools.cache
def _metrics(bold: bool) -> tuple[dict[int, str], dict[str, int], int]:
    from fontTools.ttLib import TTFont  # noqa: PLC0415 (only where widths are measured)

    name = "LiberationSerif-Bold.ttf" if bold else "LiberationSerif-Regular.ttf"
    font = TTFont(str(FONTS / name))
    advance = {glyph: width for glyph, (width, _) in font["hmtx"].metrics.items()}
    return font.getBestCmap(), advance, font["head"].unitsPerEm


def width_points(text: str, size: float, *, bold: bool = False) -> float:
    """The width of one line of `text` at `size` points, in points."""
    cmap, advance, units = _metrics(bold)
    total = sum(advance.get(cmap.get(ord(char), ".notdef"), units // 2) for char in text)
    return total * size / units


def text_width(text: str, size: float, *, bold: bool = False) -> Length:
    """The same width as a python-docx length."""
    return Pt(width_points(text, size, bold=bold))


def wrapped_lines(text: str, width: float, size: float, *, bold: bool = False) -> int:
    """How many lines `text` takes in a box `width` points wide, wrapped at spaces (a word
    longer than the box is broken, as spreadsheets do)."""
    lines = 0
    space = width_points(" ", size, bold=bold)
    for paragraph in (text or "").split("\n"):
        used, count = 0.0, 1
        for word in paragraph.split():
            word_width = width_points(word, size, bold=bold)
            if used and used + space + word_width > width:
                count += 1
                used = 0.0
            if used:
                used += space + word_width
            else:
                count += max(math.ceil(word_width / width) - 1, 0)
                used = word_width % width if word_width > width else word_width
        lines += count
    return max(lines, 1)
