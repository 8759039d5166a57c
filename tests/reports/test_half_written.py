"""Issuing, signing and the dossier leave nothing half-written: when a step fails after files
were stored, the files are removed and no row is left; and the dossier reads the evidence
through evidence's public functions, with every column of its index filled."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from criteria.models import Criterion
from evidence.archive import INDEX_COLUMNS
from evidence.services import evidence_describe, evidence_upload
from reports.demo.signing import DEMO_PASSPHRASE
from reports.models import DocumentEvent, Dossier, IssuedFile, RegisteredNumber, Report
from reports.services import dossier as dossier_service
from reports.services import issuing, report_create
from reports.services.dossier import dossier_build
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.evidence.conftest import pdf_bytes


def stored_files(folder: str) -> list[Path]:
    """Every file under `folder` of the private documents storage."""
    root = Path(storages["documents"].path(folder))
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_issuing_that_fails_after_storing_a_file_leaves_no_file_and_no_row(
    draft, secretary, monkeypatch
):
    def disk_full(report):
        # By now the report and appendix PDFs are stored.
        assert len(stored_files("issued")) == 2
        raise OSError("disk full")

    monkeypatch.setattr(issuing, "appendix_xlsx", disk_full)
    with pytest.raises(OSError, match="disk full"):
        report_issue(report=draft, by=secretary)
    assert stored_files("issued") == []
    assert not IssuedFile.objects.filter(report=draft).exists()
    assert not RegisteredNumber.objects.filter(report=draft).exists()
    assert not DocumentEvent.objects.filter(report=draft).exists()
    draft.refresh_from_db()
    assert draft.status == Report.Status.DRAFT and draft.number is None


def test_signing_that_fails_after_storing_the_report_leaves_no_file_and_no_row(
    issued, keys, secretary, monkeypatch
):
    person, organisation = keys
    report_sign_person(report=issued, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    before = sorted(stored_files("issued"))
    real_sign = __import__("reports.services.signing", fromlist=["sign_pdf"]).sign_pdf
    calls = []

    def fails_on_the_appendix(pdf, **kwargs):
        calls.append(kwargs["field_name"])
        if kwargs["field_name"] == "ChuKyCoQuanPhuLuc":
            # The report signed by the organisation is stored by now.
            assert len(stored_files("issued")) == len(before) + 1
            raise OSError("disk full")
        return real_sign(pdf, **kwargs)

    monkeypatch.setattr("reports.services.signing.sign_pdf", fails_on_the_appendix)
    with pytest.raises(OSError, match="disk full"):
        report_sign_organisation(
            report=issued, key=organisation, secret=DEMO_PASSPHRASE, by=secretary
        )
    assert calls == ["ChuKyCoQuan", "ChuKyCoQuanPhuLuc"]
    assert sorted(stored_files("issued")) == before
    assert not IssuedFile.objects.filter(
        report=issued, stage=IssuedFile.Stage.ORGANISATION
    ).exists()


def test_dossier_that_fails_while_writing_leaves_no_file_and_no_row(signed, secretary, monkeypatch):
    before = sorted(stored_files("issued"))

    def broken_index(entries):
        raise OSError("disk full")

    monkeypatch.setattr(dossier_service, "index_workbook", broken_index)
    with pytest.raises(OSError, match="disk full"):
        dossier_build(report=signed, by=secretary)
    assert sorted(stored_files("issued")) == before
    assert not Dossier.objects.filter(report=signed).exists()


def test_dossier_that_fails_half_way_through_the_zip_removes_it(signed, secretary, monkeypatch):
    before = sorted(stored_files("issued"))

    def broken_members(entries):
        yield from ()
        raise OSError("disk full")

    monkeypatch.setattr(dossier_service, "archive_members", broken_members)
    with pytest.raises(OSError, match="disk full"):
        dossier_build(report=signed, by=secretary)
    assert sorted(stored_files("issued")) == before
    assert not Dossier.objects.filter(report=signed).exists()


def test_dossier_index_says_where_in_each_document_the_evidence_is(
    demo_scored, keys, own_staff, secretary
):
    """The "Vị trí" column of 04-danh-muc-minh-chung.xlsx is the evidence's location, as it
    was at issuing, with the rest of its description."""
    criterion = Criterion.objects.get(
        criteria_set=demo_scored.assessment.criteria_set, code="2.2.e"
    )
    outcome = evidence_upload(
        assessment=demo_scored.assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("Thư biểu dương.pdf", pdf_bytes(pages=2)),
        by=own_staff,
    )
    evidence_describe(
        evidence=outcome.evidence,
        by=own_staff,
        doc_number="12/TB-UBND",
        issuer="Ủy ban nhân dân xã Nghi Dương",
        location="trang 2, mục II",
    )

    report = report_create(assessment=demo_scored.assessment, by=secretary)
    report = report_issue(report=report, by=secretary)
    person, organisation = keys
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    evidence_describe(evidence=outcome.evidence, by=own_staff, location="trang 9")  # after issuing
    dossier = dossier_build(report=report, by=secretary)
    with dossier.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    sheet = load_workbook(io.BytesIO(archive.read("04-danh-muc-minh-chung.xlsx"))).active
    header = [cell.value for cell in sheet[1]]
    assert header == [title for title, _ in INDEX_COLUMNS]
    rows = {
        row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)
    }
    row = rows[outcome.evidence.code]
    assert row["Vị trí"] == "trang 2, mục II"
    assert row["Số, ký hiệu"] == "12/TB-UBND"
    assert row["Cơ quan ban hành"] == "Ủy ban nhân dân xã Nghi Dương"
    assert row["Tiêu chí thành phần"] == "2.2.e"
    assert row["Tên tệp"] == f"minh-chung/2.2.e/{outcome.evidence.code} Thư biểu dương.pdf"
    assert row["SHA-256"] == outcome.evidence.current_file.sha256
