"""Files the portal sends: the headers that keep them inert, and which PDFs may open inline.

Every stored or issued file goes out with a sandboxing Content-Security-Policy: the document
gets an opaque origin (no cookies, no access to the portal), no script, no plugin-launched
navigation of the tab, no forms. Chromium 156 still shows PDFs, images and video under it
(the PDF viewer renders as usual; checked with Playwright, tests/browser/test_inline_pdf.py).

That policy does not reach a PDF's own JavaScript: PDFium runs it whatever the header says
(see guards.pdfscript). So an uploaded PDF opens inline only when no script was found in it;
otherwise it is sent as a download, which the browser saves without running anything.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.core.cache import cache
from django.db.models.fields.files import FieldFile
from django.http import HttpResponseBase

from guards import bounded
from guards.pdfscript import pdf_script_signs
from guards.storage import local_path

log = logging.getLogger(__name__)

# django-csp's middleware leaves a response's own policy alone, so this one wins.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
SCAN_LIMITS = bounded.Limits(memory=512 * bounded.MB, cpu_seconds=10, wall_seconds=20)
VERDICT_SECONDS = 30 * 24 * 3600  # a verdict is about bytes, which never change under a hash
RETRY_SECONDS = 3600  # a scan that failed (a busy server can time out) is tried again later


def inert(response: HttpResponseBase) -> HttpResponseBase:
    """Mark a file response so that a browser neither sniffs it nor runs anything in it."""
    response["Content-Security-Policy"] = FILE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_may_run_script(source: str | FieldFile, sha256: str) -> bool:
    """True unless the PDF (a path, or a stored file: copied to a temporary file first when
    its storage is remote) was read and no script found. Remembered by content."""
    key = f"guards.pdf-script:{sha256}"
    verdict = cache.get(key)
    if verdict is None:
        with nullcontext(source) if isinstance(source, str) else local_path(source) as path:
            outcome = bounded.run(pdf_script_signs, path, limits=SCAN_LIMITS)
        verdict = not outcome.ok or bool(outcome.value)
        if not outcome.ok:
            log.warning(
                "PDF %s not scanned for script (%s): %s", sha256, outcome.status, outcome.error
            )
        elif outcome.value:
            log.info("PDF %s carries script: %s", sha256, ", ".join(outcome.value))
        cache.set(key, verdict, VERDICT_SECONDS if outcome.ok else RETRY_SECONDS)
    return verdict
