"""All the evidence of an assessment (or of one criterion) as one ZIP, streamed.

Layout: one folder per sub-criterion code, holding every evidence that backs it. An evidence
linked to three sub-criteria is stored in each of the three folders, so each folder is
complete on its own, the way the evaluation council reads it (one sub-criterion at a time);
the cost is that shared files take room more than once. Inside a folder a file is named
`<evidence code> <original name>`, e.g. `2.1.a/MC-2.1.a-03 Quyết định 12.pdf`.
`danh-muc-minh-chung.xlsx` at the top lists one row per file of the ZIP.

The ZIP itself is written by guards.zipstream (stored members, ZIP64, a buffer emptied after
every chunk: memory stays flat whatever the size of the archive). The report's dossier uses
the same entries and index for the evidence as it was at issuing (`snapshot_entries`).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth.models import User
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from assessments.models import Assessment
from audit.services import Action, audit_record
from criteria.models import Criterion
from evidence.models import EvidenceFile, EvidenceLink
from evidence.selectors import evidence_files_by_id
from evidence.text import fold
from guards.cells import append
from guards.zipstream import CHUNK, Member, zip_stream

log = logging.getLogger(__name__)

INDEX_NAME = "danh-muc-minh-chung.xlsx"
INDEX_COLUMNS = [
    ("Mã minh chứng", 18),
    ("Trích yếu", 60),
    ("Số, ký hiệu", 18),
    ("Ngày ban hành", 14),
    ("Cơ quan ban hành", 30),
    ("Vị trí", 20),
    ("Tiêu chí thành phần", 12),
    ("Tên tệp", 60),
    ("Dung lượng", 16),
    ("SHA-256", 68),
]
MISSING = "(không tìm thấy tệp trên máy chủ)"
# Path separators, control characters and what Windows refuses in a file name.
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME_BYTES = 200  # file systems allow 255 bytes per name; Vietnamese takes 2-3 per letter


@dataclass(frozen=True)
class Description:
    """What the index sheet says of an evidence: as it is now (the evidence ZIP), or as it
    was frozen at issuing (the report's dossier)."""

    code: str
    title: str
    doc_number: str
    issue_date: dt.date | None
    issuer: str
    location: str
    criterion_code: str
    file_name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ArchiveEntry:
    """One file of the ZIP: an evidence's file in one sub-criterion's folder."""

    path: str
    description: Description
    file: EvidenceFile | None
    present: bool = True


def safe_name(name: str, *, fallback: str = "tệp") -> str:
    """NFC, no path separators or characters Windows refuses, at most MAX_NAME_BYTES bytes
    (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = " ".join(UNSAFE.sub("_", name).split()).strip(" .")
    if not name:
        return fallback
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_NAME_BYTES - len(suffix.encode())
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix


def archive_entries(links: Iterable[EvidenceLink]) -> list[ArchiveEntry]:
    """One entry per (sub-criterion, evidence) link; links come ordered from
    `evidence.selectors.evidence_links_for_archive`."""
    entries = []
    for link in links:
        evidence, record = link.evidence, link.evidence.current_file
        folder = safe_name(link.criterion.code)
        name = safe_name(f"{evidence.code} {record.original_name}")
        entries.append(
            ArchiveEntry(
                path=f"{folder}/{name}",
                description=Description(
                    code=evidence.code,
                    title=evidence.title,
                    doc_number=evidence.doc_number,
                    issue_date=evidence.issue_date,
                    issuer=evidence.issuer,
                    location=evidence.location,
                    criterion_code=link.criterion.code,
                    file_name=record.original_name,
                    size=record.size,
                    sha256=record.sha256,
                ),
                file=record,
                present=record.file.storage.exists(record.file.name),
            )
        )
    return entries


def snapshot_entries(rows: list[dict], *, folder: str = "") -> list[ArchiveEntry]:
    """Entries for evidence frozen by `evidence.selectors.evidence_snapshot`: each file as it
    was (a later version or a deletion does not change it), described as it was, under
    `folder` (e.g. "minh-chung/")."""
    files = evidence_files_by_id([row["file_id"] for row in rows])
    entries = []
    for row in rows:
        record = files.get(row["file_id"])
        name = safe_name(f"{row['code']} {row['file_name']}")
        entries.append(
            ArchiveEntry(
                path=f"{folder}{safe_name(row['criterion'])}/{name}",
                description=Description(
                    code=row["code"],
                    title=row["title"],
                    doc_number=row.get("doc_number", ""),
                    issue_date=(
                        dt.date.fromisoformat(row["issue_date"]) if row.get("issue_date") else None
                    ),
                    issuer=row.get("issuer", ""),
                    location=row.get("location", ""),
                    criterion_code=row["criterion"],
                    file_name=row["file_name"],
                    size=row["size"],
                    sha256=row["sha256"],
                ),
                file=record,
                present=record is not None and record.file.storage.exists(record.file.name),
            )
        )
    return entries


def index_workbook(entries: list[ArchiveEntry]) -> bytes:
    """The index sheet: one row per file of the ZIP, header bold and frozen."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh mục minh chứng"
    append(sheet, [title for title, _ in INDEX_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for index, (_, width) in enumerate(INDEX_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "A2"
    for entry in entries:
        described = entry.description
        row = append(
            sheet,
            [
                described.code,
                described.title,
                described.doc_number,
                described.issue_date,
                described.issuer,
                described.location,
                described.criterion_code,
                entry.path if entry.present else f"{described.file_name} {MISSING}",
                described.size,
                described.sha256,
            ],
        )
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=4).number_format = "DD/MM/YYYY"
        sheet.cell(row=row, column=9).number_format = '#,##0 "byte"'
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def archive_members(entries: list[ArchiveEntry]) -> Iterator[Member]:
    """The files of `entries` as ZIP members; those missing on disk are listed in the
    index only."""
    for entry in entries:
        if not entry.present:
            log.warning("Evidence file missing on disk: %s", entry.path)
            continue
        record = entry.file
        yield Member(
            path=entry.path,
            open=lambda record=record: record.file.storage.open(record.file.name, "rb"),
            when=record.uploaded_at,
        )


def stream_archive(
    entries: list[ArchiveEntry],
    *,
    chunk_size: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[bytes]:
    """The ZIP's bytes, a chunk at a time: the index first, then each file read `chunk_size`
    at a time. `progress(done, total)` is called before each file (the job's progress bar)."""
    index = Member(path=INDEX_NAME, data=index_workbook(entries))
    members: Iterable[Member] = archive_members(entries)
    if progress is not None:
        members = _counted(list(members), progress)
    return zip_stream(itertools.chain([index], members), chunk_size=chunk_size)


def _counted(members: list[Member], progress: Callable[[int, int], None]) -> Iterator[Member]:
    for done, member in enumerate(members):
        progress(done, len(members))
        yield member


def archive_size(entries: list[ArchiveEntry]) -> tuple[int, int]:
    """How many files the ZIP holds and their total size in bytes (those missing on disk are
    only listed)."""
    present = [entry for entry in entries if entry.present]
    return len(present), sum(entry.description.size for entry in present)


def archive_filename(assessment, criterion: Criterion | None = None) -> str:
    """`minh-chung-nghi-duong-2026-6-thang.zip`, `…-tieu-chi-2.zip` for one criterion."""
    period = {"h1": "6-thang", "year": "ca-nam"}.get(assessment.period, assessment.period)
    parts = ["minh-chung", assessment.commune.name, str(assessment.year), period]
    if criterion is not None:
        parts += ["tieu-chi", criterion.code]
    slug = "-".join(fold(part) for part in parts)
    slug = re.sub(r"[^a-z0-9.]+", "-", slug).strip("-.")
    return f"{slug}.zip"


def archive_record(
    *, assessment: Assessment, criterion: Criterion | None, name: str, files: int, user: User
) -> None:
    """The ZIP's download on the record, by whoever asked for it (in the request, or in the
    job it started)."""
    audit_record(
        action=Action.EXPORT,
        user=user,
        commune=assessment.commune,
        target=criterion or assessment,
        target_label=f"Tiêu chí {criterion.code}" if criterion else "",
        summary=f"Tải ZIP minh chứng {name} ({files} tệp)",
    )
