"""The dossier sent to the city's Department of Home Affairs: one ZIP, built on disk.

Contents: the signed report and appendix (or their latest stage), the scoring table
(appendix XLSX) frozen at issuing, every evidence file as it was at issuing in folders by
sub-criterion code, and the evidence list (danh mục minh chứng) as XLSX and PDF. Files are
copied a chunk at a time into a ZIP written straight to a file, so memory stays flat; the
ZIP's SHA-256 is computed as it is written and shown to the secretary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.services import Action, audit_record
from evidence.archive import INDEX_NAME, index_workbook, safe_name
from evidence.models import EvidenceFile
from guards.storage import get_document_storage
from reports import documents
from reports.models import DocumentEvent, Dossier, IssuedFile, Report, issued_name
from reports.services.issuing import current_file

CHUNK = 1024 * 1024


class _HashingFile:
    """A write-only file that hashes what passes through it."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self):
        self.handle.flush()

    def tell(self):
        return self.size


@dataclass
class _Entry:  # what evidence.archive.index_workbook reads
    path: str
    evidence: object
    criterion: object
    file: EvidenceFile
    present: bool = True


class _Snap:
    """An evidence as it was at issuing (from the frozen list), for the index sheet."""

    def __init__(self, row: dict):
        self.code = row["code"]
        self.title = row["title"]
        self.doc_number = row.get("doc_number", "")
        self.issue_date = (
            dt.date.fromisoformat(row["issue_date"]) if row.get("issue_date") else None
        )
        self.issuer = row.get("issuer", "")
        self.location = row.get("location", "")


class _Code:
    def __init__(self, code):
        self.code = code


def dossier_build(*, report: Report, by) -> Dossier:
    if not report.files.filter(stage=IssuedFile.Stage.ORGANISATION).exists():
        raise ValidationError(
            "Hãy ký số đủ (người có thẩm quyền, rồi cơ quan) trước khi lập hồ sơ gửi thành phố."
        )
    frozen = json.loads(current_file(report, IssuedFile.Kind.EVIDENCE_LIST).read())
    files = EvidenceFile.objects.in_bulk([row["file_id"] for row in frozen])
    entries = []
    for row in frozen:
        record = files.get(row["file_id"])
        folder = safe_name(row["criterion"])
        entries.append(
            _Entry(
                path=f"minh-chung/{folder}/{safe_name(row['code'] + ' ' + row['file_name'])}",
                evidence=_Snap(row),
                criterion=_Code(row["criterion"]),
                file=record,
                present=record is not None and record.file.storage.exists(record.file.name),
            )
        )
    index_pdf = documents.render_pdf(
        "reports/evidence_index_document.html",
        {"report": report, "rows": frozen, "font_base": documents.font_base(True)},
        cached=False,
    )
    number = f"{report.number:02d}" if report.number else "du-thao"
    dossier = Dossier(report=report, created_by=by, sha256="", size=0)
    # The ZIP is written straight into its place in the private storage, a chunk at a time.
    document_storage = get_document_storage()
    dossier.file.name = document_storage.generate_filename(issued_name(dossier, "dossier.zip"))
    path = document_storage.path(dossier.file.name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        sink = _HashingFile(raw)
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for kind, name in (
                (IssuedFile.Kind.REPORT, f"01-bao-cao-so-{number}.pdf"),
                (IssuedFile.Kind.APPENDIX, f"02-phu-luc-bao-cao-so-{number}.pdf"),
                (IssuedFile.Kind.APPENDIX_XLSX, f"03-bang-cham-diem-so-{number}.xlsx"),
            ):
                issued = current_file(report, kind)
                with (
                    issued.file.open("rb") as source,
                    archive.open(_info(name), "w", force_zip64=True) as target,
                ):
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
            archive.writestr(_info(f"04-{INDEX_NAME}"), index_workbook(entries))
            archive.writestr(_info("05-danh-muc-minh-chung.pdf"), index_pdf)
            for entry in entries:
                if not entry.present:
                    continue
                with (
                    entry.file.file.open("rb") as source,
                    archive.open(_info(entry.path), "w", force_zip64=True) as target,
                ):
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
    with transaction.atomic():
        dossier.sha256 = sink.digest.hexdigest()
        dossier.size = sink.size
        dossier.save()
        DocumentEvent.objects.create(
            report=report,
            action=DocumentEvent.Action.DOSSIER,
            user=by,
            sha256=dossier.sha256,
            detail=f"{len(entries)} tệp minh chứng, {dossier.size} byte",
        )
        audit_record(
            action=Action.DOSSIER_BUILD,
            user=by,
            commune=report.assessment.commune,
            target=dossier,
            target_label=f"Hồ sơ báo cáo số {report.number:02d}/{report.symbol}",
            summary=f"Lập hồ sơ gửi thành phố: {len(entries)} tệp minh chứng, {dossier.size} byte",
            details={"sha256": dossier.sha256},
        )
    return dossier


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def render_index_html(report: Report, rows: list[dict]) -> str:
    return render_to_string(
        "reports/evidence_index_document.html",
        {"report": report, "rows": rows, "font_base": documents.font_base(False)},
    )
