"""PDFs opened with "Xem" in Chromium: shown in a sandbox, and never with their JavaScript.

The third test pins why the portal scans PDFs at all: Chromium's PDF viewer runs a PDF's
script even under `Content-Security-Policy: sandbox; default-src 'none'`. If a Chromium
release stops doing that, that test fails and the scan could be reconsidered.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from criteria.models import Criterion
from evidence.services import evidence_upload
from guards.inline import FILE_CSP
from tests.browser.test_evidence_upload import log_in
from tests.evidence.conftest import pdf_bytes
from tests.guards import pdfs

pytestmark = pytest.mark.django_db(transaction=True)

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"
SCRIPT_TIME_MS = 3000  # the hostile PDF's alert shows well within this (see the third test)


def _evidence(demo, by, name: str, data: bytes):
    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=leaf,
        upload=_upload(name, data),
        by=by,
    )
    assert outcome.status == "stored", outcome.message
    return leaf, outcome.evidence


def _upload(name, data):
    return SimpleUploadedFile(name, data)


def _click_view(page, live_server, demo, leaf, evidence):
    """Open the sub-criterion page and click the evidence's "Xem"; return the new tab and
    what happened in it (dialogs, downloads)."""
    seen = {"dialogs": [], "downloads": []}

    def watch(tab):
        tab.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
        tab.on("download", lambda download: seen["downloads"].append(download))

    page.context.on("page", watch)
    # Chromium closes a tab that only downloads and hands the download to the opener.
    page.on("download", lambda download: seen["downloads"].append(download))
    page.goto(
        live_server.url + reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])
    )
    item = page.locator(f'.evidence-item[data-code="{evidence.code}"]')
    with page.context.expect_page() as opened:
        item.get_by_role("link", name="Xem").click()
    tab = opened.value
    page.wait_for_timeout(SCRIPT_TIME_MS)  # on the opener: a tab that only downloads closes
    return tab, seen


def test_a_clean_pdf_opens_in_the_viewer_inside_the_sandbox(live_server, demo, page, own_staff):
    leaf, evidence = _evidence(demo, own_staff, "Kế hoạch.pdf", pdf_bytes(pages=2))
    log_in(page, live_server.url, "lanhdao")

    tab, seen = _click_view(page, live_server, demo, leaf, evidence)

    assert any(frame.url.startswith(PDF_VIEWER) for frame in tab.frames)
    assert seen == {"dialogs": [], "downloads": []}
    response = page.request.get(
        live_server.url
        + reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id])
        + "?xem=1"
    )
    assert response.headers["content-security-policy"] == FILE_CSP
    assert response.headers["content-disposition"].startswith("inline;")


def test_a_pdf_with_javascript_downloads_and_nothing_runs(live_server, demo, page, own_staff):
    hostile = pdfs.open_action()
    leaf, evidence = _evidence(demo, own_staff, "Tờ trình.pdf", hostile)
    log_in(page, live_server.url, "lanhdao")

    tab, seen = _click_view(page, live_server, demo, leaf, evidence)

    assert seen["dialogs"] == []
    assert len(seen["downloads"]) == 1
    download = seen["downloads"][0]
    assert download.suggested_filename == "Tờ trình.pdf"
    with open(download.path(), "rb") as saved:
        assert saved.read() == hostile
    assert tab.is_closed()


def test_chromium_runs_pdf_script_despite_the_sandbox(
    live_server, demo, page, monkeypatch, own_staff
):
    """Without the scan, the same PDF opens inline under the sandboxing policy and its
    /OpenAction still shows its alert: the header alone cannot keep PDF script out."""
    monkeypatch.setattr("evidence.views.files.pdf_may_run_script", lambda *args: False)
    leaf, evidence = _evidence(demo, own_staff, "Tờ trình.pdf", pdfs.open_action())
    log_in(page, live_server.url, "lanhdao")

    tab, seen = _click_view(page, live_server, demo, leaf, evidence)

    assert any(frame.url.startswith(PDF_VIEWER) for frame in tab.frames)
    assert seen["dialogs"] == ["PDF-JS"]
    expect(tab).to_have_url(
        live_server.url
        + reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id])
        + "?xem=1"
    )
    response = page.request.get(tab.url)
    assert response.headers["content-security-policy"] == FILE_CSP
