"""Finding JavaScript in PDFs before a browser is asked to show them."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from guards import bounded
from guards.inline import SCAN_LIMITS
from guards.pdfscript import pdf_script_signs
from tests.evidence.conftest import pdf_bytes
from tests.guards import pdfs

HOSTILE = [pdfs.open_action, pdfs.escaped_names, pdfs.packed_document_script, pdfs.script_link]


def scan(tmp_path, data: bytes) -> list[str]:
    path = tmp_path / "tệp.pdf"
    path.write_bytes(data)
    return pdf_script_signs(str(path))


@pytest.mark.parametrize("make", HOSTILE, ids=lambda make: make.__name__)
def test_every_hiding_place_is_found(tmp_path, make):
    data = make()
    assert len(PdfReader(io.BytesIO(data)).pages) == 1  # a PDF a viewer opens

    assert scan(tmp_path, data)


def test_a_script_packed_in_an_object_stream_is_found_inside_it(tmp_path):
    data = pdfs.packed_document_script()
    assert b"JavaScript" not in data and b"/JS" not in data  # nothing to see in the raw bytes

    assert scan(tmp_path, data) == [
        "/JavaScript trong đối tượng",
        "/S /JavaScript trong đối tượng",
    ]


def test_escaped_names_are_read_as_a_viewer_reads_them(tmp_path):
    assert "/JavaScript trong tệp" in scan(tmp_path, pdfs.escaped_names())


@pytest.mark.parametrize(
    "data",
    [pdf_bytes(pages=3), pdfs.packed_clean(), b""],
    ids=["pdfium", "object-stream", "empty"],
)
def test_pdfs_without_script_are_clean(tmp_path, data):
    assert scan(tmp_path, data) == []


def test_a_password_protected_pdf_counts_as_possibly_scripted(tmp_path):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password="mat-khau", owner_password="chu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)

    assert scan(tmp_path, out.getvalue()) == ["tệp có mật khẩu"]


def test_an_unreadable_file_is_not_called_clean(tmp_path):
    path = tmp_path / "hỏng.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)

    outcome = bounded.run(pdf_script_signs, str(path), limits=SCAN_LIMITS)

    assert outcome.status == "error"  # guards.inline.pdf_may_run_script then says True
    assert "PdfStreamError" in outcome.error


def test_the_scan_runs_in_a_bounded_worker(tmp_path):
    path = tmp_path / "tờ trình.pdf"
    path.write_bytes(pdfs.open_action())

    outcome = bounded.run(pdf_script_signs, str(path), limits=SCAN_LIMITS)

    assert outcome.ok, outcome.error
    assert "/S /JavaScript trong đối tượng" in outcome.value
