"""The little markup of report sections: one paragraph per line, **bold**, *italic*.

Vietnamese administrative documents write lists as paragraphs that start with "- " or "+ "
or "1. ", justified with a first-line indent, exactly like any other paragraph; so every
non-empty line becomes a paragraph. Text is escaped first: nothing typed becomes markup
except the two emphasis marks.
"""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

# Document numbers and dates ("343/UBND-VHXXH", "10/02/2026") must not break across lines.
NUMBER = re.compile(r"(?<![\w/])(\d+/[\w./-]*\w)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")


def inline(text: str) -> str:
    html: str = escape(text)
    html = NUMBER.sub(r'<span class="nobr">\1</span>', html)
    html = BOLD.sub(r"<strong>\1</strong>", html)
    return ITALIC.sub(r"<em>\1</em>", html)


def render(body: str) -> str:
    paragraphs = [line.strip() for line in (body or "").splitlines() if line.strip()]
    return mark_safe("".join(f"<p>{inline(line)}</p>" for line in paragraphs))


def plain(body: str) -> str:
    """The text without emphasis marks (for search and tests)."""
    return re.sub(r"\*{1,2}(.+?)\*{1,2}", r"\1", body or "")
