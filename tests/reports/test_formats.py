"""Issue 11, items 8 and 9: drafts look like drafts, and the format fixes, measured on the
rendered files (PDF boxes and words, the DOCX XML, the XLSX read back)."""

import io
import re
import subprocess

import pytest
from django.template.loader import render_to_string
from pypdf import PdfReader

from reports import rendering
from reports.appendix import appendix
from reports.documents import (
    appendix_context,
    qr_data_uri,
    render_pdfs,
    report_context,
    row_blocks,
    verification_url,
)
from reports.services import report_create

MM = 72 / 25.4  # points per millimetre
WATERMARK = "DỰ THẢO"


@pytest.fixture
def report(demo_scored, secretary, settings):
    settings.RENDER_WORKERS = 0
    return report_create(assessment=demo_scored.assessment, by=secretary)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def words(data: bytes, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, word) of one page (1-based, y from the top), by pdftotext."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    pattern = (
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, html)
    ]


# -- the "DỰ THẢO" watermark ------------------------------------------------------------------


def test_draft_pdfs_carry_the_watermark_on_every_page_and_issued_ones_never(report):
    draft_report, draft_appendix = render_pdfs(report, cached=False)
    report.verify_token = "t" * 32
    issued_report, issued_appendix = render_pdfs(report, issued=True, cached=False)
    for data in (draft_report.data, draft_appendix.data):
        texts = page_texts(data)
        assert len(texts) >= 2
        assert all(WATERMARK in text for text in texts)
    for data in (issued_report.data, issued_appendix.data):
        assert not any(WATERMARK in text for text in page_texts(data))
    # The draft appendix is no longer byte-identical to the issued one (item 10).
    assert draft_appendix.data != issued_appendix.data


# -- the verification QR code ----------------------------------------------------------------


def test_qr_code_and_caption_stay_in_the_bottom_margin_10_mm_from_the_edge(report):
    report.verify_token = "t" * 32
    context = report_context(report, for_pdf=True)
    url = verification_url(report)
    context.update(verify_url=url, verify_qr=qr_data_uri(url))
    html = render_to_string("reports/report_document.html", context)
    base = str(rendering.settings.BASE_DIR)
    _, qr = rendering.render(html, base, "verify-qr")
    _, caption = rendering.render(html, base, "verify-caption")  # its last (lowest) line
    assert qr["page"] == caption["page"] == 0
    for found in (qr, caption):
        left, bottom, right, top = found["box"]
        assert bottom >= 10 * MM  # printers cut nothing
        assert top <= 25 * MM + 0.5  # inside page 1's bottom margin, under the text
        assert left >= 30 * MM - 0.5 and right <= found["page_size"][0] - 15 * MM
    assert qr["box"][3] - qr["box"][1] >= 11 * MM  # still big enough to scan


# -- the appendix: margin, group rows kept with their first child -----------------------------


def test_appendix_left_margin_is_30_mm(report):
    (pdf,) = render_pdfs(report, ("appendix",), issued=True, cached=False)
    for page in (1, 2):
        body = [w for w in words(pdf.data, page) if w[1] > 20 * MM]
        assert 30 * MM - 0.5 <= min(w[0] for w in body) <= 32 * MM


def test_row_blocks_join_each_group_row_with_its_first_child(report):
    rows = appendix(report).rows
    blocks = row_blocks(rows)
    assert [row for block in blocks for row in block] == rows
    for block in blocks:
        assert block[-1].is_leaf
        assert all(not row.is_leaf for row in block[:-1])
        for parent, child in zip(block, block[1:], strict=False):
            assert parent.children[0] is child


def _last_codes(data: bytes, codes: set[str]) -> list[str]:
    """The code of the lowest table row on every page."""
    pages = len(PdfReader(io.BytesIO(data)).pages)
    last = []
    for page in range(1, pages + 1):
        found = [w for w in words(data, page) if w[4] in codes and w[0] < 40 * MM]
        last.append(max(found, key=lambda w: w[1])[4] if found else "")
    return last


def _appendix_pdf(report, spacer_mm: float, *, keep_groups: bool) -> bytes:
    context = appendix_context(report, for_pdf=True, electronic=True)
    if not keep_groups:  # what the template did before: one row at a time
        context["blocks"] = [[row] for row in context["appendix"].rows]
    html = render_to_string("reports/appendix_document.html", context).replace(
        '<table class="results"', f'<div style="height: {spacer_mm}mm"></div><table class="results"'
    )
    return rendering.render(html, str(rendering.settings.BASE_DIR))[0]


def test_no_group_row_is_stranded_at_the_bottom_of_a_page(report):
    """Shift the table down a few millimetres at a time until a group row lands alone at the
    bottom of a page when rows break one by one; the kept blocks never leave one there."""
    content = appendix(report)
    groups = {row.code for row in content.rows if not row.is_leaf}
    codes = {row.code for row in content.rows}
    for spacer in range(0, 60, 6):
        stranded = set(_last_codes(_appendix_pdf(report, spacer, keep_groups=False), codes))
        if stranded & groups:
            break
    else:
        pytest.fail("no layout strands a group row: the test would prove nothing")
    kept = _last_codes(_appendix_pdf(report, spacer, keep_groups=True), codes)
    assert not set(kept) & groups, kept
