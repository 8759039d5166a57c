"""All the evidence of an assessment (or of one criterion) as one ZIP, streamed.

Layout: one folder per sub-criterion code, holding every evidence that backs it. An evidence
linked to three sub-criteria is stored in each of the three folders, so each folder is
complete on its own, the way the evaluation council reads it (one sub-criterion at a time);
the cost is that shared files take room more than once. Inside a folder a file is named
`<evidence code> <original name>`, e.g. `2.1.a/MC-2.1.a-03 Quyết định 12.pdf`.
`danh-muc-minh-chung.xlsx` at the top lists one row per file of the ZIP.

Entries are stored, not deflated (PDFs, photos and videos are compressed already), and
written with data descriptors and ZIP64 headers into a small buffer that is emptied after
every chunk: memory stays flat whatever the size of the archive, and over 4 GB works.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from criteria.models import Criterion
from evidence.models import Evidence, EvidenceFile, EvidenceLink
from evidence.text import fold
from guards.cells import append

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
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
class ArchiveEntry:
    """One file of the ZIP: an evidence's current file in one sub-criterion's folder."""

    path: str
    evidence: Evidence
    criterion: Criterion
    file: EvidenceFile
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
                evidence=evidence,
                criterion=link.criterion,
                file=record,
                present=record.file.storage.exists(record.file.name),
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
        evidence, record = entry.evidence, entry.file
        row = append(
            sheet,
            [
                evidence.code,
                evidence.title,
                evidence.doc_number,
                evidence.issue_date,
                evidence.issuer,
                evidence.location,
                entry.criterion.code,
                entry.path if entry.present else f"{record.original_name} {MISSING}",
                record.size,
                record.sha256,
            ],
        )
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=4).number_format = "DD/MM/YYYY"
        sheet.cell(row=row, column=9).number_format = '#,##0 "byte"'
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class _Sink:
    """A write-only file for zipfile: no seek, no tell, so zipfile writes data descriptors
    and never goes back. The generator empties it after every chunk."""

    def __init__(self):
        self._chunks: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        data = bytes(data)
        self._chunks.append(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.size = 0
        return data


def _zip_info(path: str, when) -> zipfile.ZipInfo:
    local = timezone.localtime(when) if when is not None else timezone.localtime()
    info = zipfile.ZipInfo(path, date_time=local.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def stream_archive(entries: list[ArchiveEntry], *, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The ZIP's bytes, a chunk at a time: the index first, then each file read `chunk_size`
    at a time. Entries whose file is missing on disk are listed in the index only."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
    archive.writestr(_zip_info(INDEX_NAME, None), index_workbook(entries))
    yield sink.drain()
    for entry in entries:
        if not entry.present:
            log.warning("Evidence file missing on disk: %s", entry.file.file.name)
            continue
        storage = entry.file.file.storage
        with (
            storage.open(entry.file.file.name, "rb") as source,
            archive.open(
                _zip_info(entry.path, entry.file.uploaded_at), mode="w", force_zip64=True
            ) as target,
        ):
            while chunk := source.read(chunk_size):
                target.write(chunk)
                yield sink.drain()
        # The data descriptor (CRC and sizes) is written when the entry closes.
        if sink.size:
            yield sink.drain()
    archive.close()  # central directory
    yield sink.drain()


def archive_filename(assessment, criterion: Criterion | None = None) -> str:
    """`minh-chung-nghi-duong-2026-6-thang.zip`, `…-tieu-chi-2.zip` for one criterion."""
    period = {"h1": "6-thang", "year": "ca-nam"}.get(assessment.period, assessment.period)
    parts = ["minh-chung", assessment.commune.name, str(assessment.year), period]
    if criterion is not None:
        parts += ["tieu-chi", criterion.code]
    slug = "-".join(fold(part) for part in parts)
    slug = re.sub(r"[^a-z0-9.]+", "-", slug).strip("-.")
    return f"{slug}.zip"
