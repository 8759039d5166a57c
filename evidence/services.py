"""Write actions on evidence. Views and commands call these; each is one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessments.access import evidence_change_refusal, is_frozen
from assessments.models import Assessment, Assignment
from audit.services import Action, audit_record
from criteria.models import Criterion
from evidence.models import (
    NO_PREVIEW_BROKEN,
    NO_PREVIEW_TOO_LARGE,
    Evidence,
    EvidenceEvent,
    EvidenceFile,
    EvidenceLink,
)
from evidence.sniff import KINDS, Kind, Refused, sniff
from evidence.text import fold, nfc
from evidence.thumbs import THUMBNAIL_KINDS, make_thumbnail
from guards import bounded
from guards.storage import StoredFiles, removed_on_error
from guards.uploads import temp_dir
from jobs import background

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
MB = 1024 * 1024


@dataclass
class UploadOutcome:
    name: str
    status: str  # "stored", "duplicate" or "refused"
    message: str = ""
    evidence: Evidence | None = None
    duplicate_of: Evidence | None = None
    warning: str = ""


def ensure_open(
    assessment: Assessment,
    criterion: Criterion | None = None,
    explaining_criterion_ids: frozenset[int] = frozenset(),
) -> None:
    """Refuse a change to the evidence of a locked or frozen (report issued) assessment; the
    rule book's one exception is new evidence for a sub-criterion the city asked to explain
    (`explaining_criterion_ids`, given by the appraisal app's answer service only)."""
    refusal = evidence_change_refusal(
        assessment, criterion.pk if criterion is not None else None, explaining_criterion_ids
    )
    if refusal:
        raise ValidationError(refusal, code="frozen" if is_frozen(assessment) else "locked")


def ensure_leaf(assessment: Assessment, criterion: Criterion) -> None:
    if not Assignment.objects.filter(assessment=assessment, criterion=criterion).exists():
        raise ValidationError("Minh chứng chỉ gắn với tiêu chí thành phần của kỳ đánh giá này.")


def period_bounds(assessment: Assessment) -> tuple[dt.date, dt.date]:
    end_month = 6 if assessment.period == Assessment.Period.FIRST_HALF else 12
    end_day = 30 if end_month == 6 else 31
    return dt.date(assessment.year, 1, 1), dt.date(assessment.year, end_month, end_day)


def issue_date_warning(assessment: Assessment, issue_date: dt.date | None) -> str:
    """A warning (never a refusal) when a document's date lies outside the period."""
    if issue_date is None:
        return ""
    start, end = period_bounds(assessment)
    if start <= issue_date <= end:
        return ""
    return (
        f"Ngày ban hành {issue_date:%d/%m/%Y} nằm ngoài kỳ đánh giá "
        f"({start:%d/%m/%Y} – {end:%d/%m/%Y}). Hãy kiểm tra lại nếu đây không phải văn bản "
        "có hiệu lực trong kỳ."
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _OnDisk:
    """The upload as a path on disk; in-memory uploads (tests, scripts) are spooled first."""

    def __init__(self, upload: UploadedFile) -> None:
        self.upload = upload
        self.spooled: Path | None = None

    def __enter__(self) -> Path:
        if hasattr(self.upload, "temporary_file_path"):
            return Path(self.upload.temporary_file_path())
        # Into the upload temp folder, where anything a killed process leaves is swept.
        handle = tempfile.NamedTemporaryFile(delete=False, suffix=".upload", dir=temp_dir())
        self.upload.seek(0)
        shutil.copyfileobj(self.upload, handle, CHUNK)
        handle.close()
        self.spooled = Path(handle.name)
        return self.spooled

    def __exit__(self, *exc: object) -> None:
        if self.spooled is not None:
            self.spooled.unlink(missing_ok=True)
        elif hasattr(self.upload, "temporary_file_path"):
            # Django removes its temporary file when the request ends; a refused or failed
            # upload (or a caller outside a request) should not leave it behind until then.
            Path(self.upload.temporary_file_path()).unlink(missing_ok=True)


def _search_text(evidence: Evidence, file_name: str = "") -> str:
    parts = [evidence.code, evidence.title, evidence.doc_number, evidence.issuer, file_name]
    return fold(" ".join(p for p in parts if p))


def _audit(evidence: Evidence, action: str, by: User, summary: str, **details: Any) -> None:
    audit_record(
        action=action,
        user=by,
        commune=evidence.assessment.commune,
        target=evidence,
        target_label=f"Minh chứng {evidence.code}",
        summary=summary,
        details=details,
    )


def _write_file(assessment_id: int, upload: UploadedFile, path: Path, stored: StoredFiles) -> str:
    """Put the upload's bytes on storage (moved, not copied, when Django already spooled
    them) and return their storage name. Called before any lock is taken: with an object
    store the write lasts as long as the network, and the rows that point at the file are
    written under the locks afterwards. `stored` removes the file if what follows fails or
    finds the upload was not needed (a duplicate stored meanwhile)."""
    holder = EvidenceFile(evidence=Evidence(assessment_id=assessment_id))
    if hasattr(upload, "temporary_file_path"):
        holder.file.save("upload", upload, save=False)
    else:
        with open(path, "rb") as handle:
            holder.file.save("upload", File(handle), save=False)
    stored.add(holder.file)
    return str(holder.file.name)


def _store_version(
    *,
    evidence: Evidence,
    file_name: str,
    size: int,
    name: str,
    kind: Kind,
    digest: str,
    by: User,
    first: bool = False,
) -> EvidenceFile:
    """The row of a file already written (`_write_file`), made the evidence's current file
    (`first`: of an evidence just created, version 1 without asking). Its preview is drawn
    once the transaction commits (`_preview_after_commit`), never while the caller holds its
    row locks."""
    version = 1 if first else (evidence.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    record = EvidenceFile(
        evidence=evidence,
        version=version,
        file=file_name,
        original_name=name,
        size=size,
        sha256=digest,
        kind=kind.key,
        content_type=kind.content_type,
        uploaded_by=by,
        preview=(
            EvidenceFile.Preview.PENDING
            if kind.key in THUMBNAIL_KINDS
            else EvidenceFile.Preview.NONE
        ),
    )
    record.save()
    evidence.current_file = record
    evidence.search_text = _search_text(evidence, name)
    evidence.save(update_fields=["current_file", "search_text"])
    if record.preview == EvidenceFile.Preview.PENDING:
        _preview_after_commit(record.pk)
    return record


def _preview_after_commit(file_id: int) -> None:
    """Start the preview task when the upload's transaction commits (nothing if it rolls
    back): to the worker, or without a broker to this process's background threads, so that
    the upload answers as soon as the file is stored (jobs/background.py). A failure to start
    it is logged, never undoes the upload: the file then shows "đang tạo hình xem trước"
    until the task is run again (evidence_preview_make is idempotent)."""
    # evidence.tasks calls back into this module: a real import cycle.
    from evidence.tasks import make_evidence_preview  # noqa: PLC0415

    transaction.on_commit(lambda: background.send(make_evidence_preview, file_id), robust=True)


def _preview_warning(record: EvidenceFile) -> str:
    """What the uploader is told about the preview. When the task ran in the request at the
    commit (BACKGROUND_THREADS=0 without a broker) its outcome is known now; otherwise it is
    shown later by the file itself (and the row is not read again for nothing)."""
    if record.preview != EvidenceFile.Preview.PENDING or not background.runs_in_caller():
        return ""
    record.refresh_from_db(fields=["preview", "thumbnail"])
    return record.preview_note


def evidence_preview_make(*, file_id: int) -> str:
    """Draw the preview of one stored version (the task of evidence/tasks.py, after the
    upload committed) and return its state.

    Idempotent: a version whose preview is drawn, or that has none to draw, is left as it is;
    two runs at once store one thumbnail (the row is locked and checked again before saving).
    Storage or database errors are raised for the task to retry; a file the decoders cannot
    read is a state ("broken"), not an error."""
    record = EvidenceFile.objects.filter(pk=file_id).first()
    if record is None:
        return "missing"
    if record.preview != EvidenceFile.Preview.PENDING or record.thumbnail:
        return record.preview
    # A local copy for the decoders, whatever the storage; in the swept upload temp folder.
    with tempfile.NamedTemporaryFile(suffix=".preview", dir=temp_dir()) as handle:
        with record.file.open("rb") as source:
            shutil.copyfileobj(source, handle, CHUNK)
        handle.flush()
        thumb, warning = make_preview(Path(handle.name), KINDS[record.kind])
    if thumb:
        state = EvidenceFile.Preview.READY
    elif warning == NO_PREVIEW_BROKEN:
        state = EvidenceFile.Preview.BROKEN
    elif warning:
        state = EvidenceFile.Preview.TOO_LARGE
    else:
        state = EvidenceFile.Preview.NONE
    with removed_on_error() as stored, transaction.atomic():
        record = EvidenceFile.objects.select_for_update().get(pk=file_id)
        if record.preview != EvidenceFile.Preview.PENDING or record.thumbnail:
            return record.preview  # drawn meanwhile by another run
        if thumb:
            record.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
            stored.add(record.thumbnail)
        record.preview = state
        record.save(update_fields=["thumbnail", "preview"])
    return state


def _next_sequence(assessment: Assessment, criterion: Criterion) -> int:
    """The next evidence number of a sub-criterion, under its assignment's row lock: one
    writer at a time per sub-criterion, so sequence numbers never collide."""
    Assignment.objects.select_for_update().get(assessment=assessment, criterion=criterion)
    last = Evidence.objects.filter(assessment=assessment, criterion=criterion).aggregate(
        n=Max("sequence")
    )["n"]
    return (last or 0) + 1


def evidence_code(criterion: Criterion, sequence: int) -> str:
    """'MC-2.2.e-03'."""
    return f"MC-{criterion.code}-{sequence:02d}"


def find_duplicate(assessment: Assessment, digest: str) -> Evidence | None:
    return (
        Evidence.objects.filter(
            assessment=assessment, deleted_at__isnull=True, current_file__sha256=digest
        )
        .select_related("current_file")
        .first()
    )


def _duplicate_outcome(name: str, duplicate: Evidence) -> UploadOutcome:
    return UploadOutcome(
        name=name,
        status="duplicate",
        duplicate_of=duplicate,
        message=f"Tệp trùng nội dung với minh chứng {duplicate.code} “{duplicate.title}”.",
    )


def thumbnail_limits() -> bounded.Limits:
    return bounded.Limits(
        memory=settings.THUMBNAIL_MEMORY_MB * MB,
        cpu_seconds=settings.THUMBNAIL_CPU_SECONDS,
        wall_seconds=settings.THUMBNAIL_WALL_SECONDS,
        nice=settings.THUMBNAIL_NICE,
    )


def make_preview(path: Path, kind: Kind) -> tuple[bytes | None, str]:
    """(JPEG preview or None, warning for the uploader or "").

    Decoders are run in a bounded child: a file that would cost more memory, CPU or time than
    the THUMBNAIL_* settings allow is stored without a preview, and the server never pays."""
    if kind.key not in THUMBNAIL_KINDS:
        return None, ""
    outcome = bounded.run(
        make_thumbnail,
        str(path),
        kind.key,
        settings.THUMBNAIL_MAX_DECODED_MB * MB,
        limits=thumbnail_limits(),
    )
    if outcome.ok and outcome.value[0]:
        return outcome.value[0], ""
    reason = outcome.value[1] if outcome.ok else f"{outcome.status}: {outcome.error}"
    log.warning(
        "No thumbnail for a %s upload (%s; peak %d MB)", kind.key, reason, outcome.peak_rss // MB
    )
    if outcome.status == "error":
        return None, NO_PREVIEW_BROKEN
    return None, NO_PREVIEW_TOO_LARGE


def evidence_upload(
    *,
    assessment: Assessment,
    criterion: Criterion,
    upload: UploadedFile,
    by: User,
    allow_duplicate: bool = False,
    title: str = "",
    explaining_criterion_ids: frozenset[int] = frozenset(),
) -> UploadOutcome:
    """Store one uploaded file as a new evidence of `criterion`, or say why not.

    A refused or duplicate file leaves nothing behind: no row, no file on disk. The slow work
    (checking the content, hashing, writing the file to storage) is done before any lock is
    taken, the preview after the commit.
    `explaining_criterion_ids`: only from the answer to the city's request to explain (which
    checked the person), the sub-criteria a frozen assessment still takes evidence for.
    """
    name = nfc(os.path.basename(upload.name or "tệp"))
    ensure_open(assessment, criterion, explaining_criterion_ids)
    ensure_leaf(assessment, criterion)
    with _OnDisk(upload) as path:
        try:
            kind = sniff(path, name)
        except Refused as refusal:
            return UploadOutcome(name=name, status="refused", message=str(refusal))
        digest = sha256_of(path)
        duplicate = None if allow_duplicate else find_duplicate(assessment, digest)
        if duplicate is not None:
            return _duplicate_outcome(name, duplicate)
        size = path.stat().st_size
        try:
            with removed_on_error() as stored:
                file_name = _write_file(assessment.pk, upload, path, stored)
                evidence = _create_evidence(
                    assessment=assessment,
                    criterion=criterion,
                    file_name=file_name,
                    size=size,
                    name=name,
                    kind=kind,
                    digest=digest,
                    by=by,
                    title=title,
                    allow_duplicate=allow_duplicate,
                    explaining_criterion_ids=explaining_criterion_ids,
                )
        except _StoredMeanwhile as found:  # by another request, while this one was checked
            return _duplicate_outcome(name, found.evidence)
    assert evidence.current_file is not None
    warning = _preview_warning(evidence.current_file)
    return UploadOutcome(name=name, status="stored", evidence=evidence, warning=warning)


class _StoredMeanwhile(Exception):
    def __init__(self, evidence: Evidence):
        super().__init__(evidence.code)
        self.evidence = evidence


@transaction.atomic
def _create_evidence(
    *,
    assessment: Assessment,
    criterion: Criterion,
    file_name: str,
    size: int,
    name: str,
    kind: Kind,
    digest: str,
    by: User,
    title: str,
    allow_duplicate: bool,
    explaining_criterion_ids: frozenset[int] = frozenset(),
) -> Evidence:
    """The new evidence, or _StoredMeanwhile when a live evidence of the assessment already
    has these bytes and duplicates are not allowed."""
    # One upload at a time per assessment, so that the duplicate check and the insert are one
    # step (no-key: rows that merely point at the assessment are not held up), and the
    # assessment cannot be locked half-way.
    # Its commune comes along for the audit entry (only the assessment's row is locked).
    assessment = (
        Assessment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("commune")
        .get(pk=assessment.pk)
    )
    ensure_open(assessment, criterion, explaining_criterion_ids)
    if not allow_duplicate:
        duplicate = find_duplicate(assessment, digest)
        if duplicate is not None:
            raise _StoredMeanwhile(duplicate)
    sequence = _next_sequence(assessment, criterion)
    evidence = Evidence.objects.create(
        assessment=assessment,
        criterion=criterion,
        sequence=sequence,
        code=evidence_code(criterion, sequence),
        title=nfc(title) or Path(name).stem,
        created_by=by,
    )
    record = _store_version(
        evidence=evidence,
        file_name=file_name,
        size=size,
        name=name,
        kind=kind,
        digest=digest,
        by=by,
        first=True,
    )
    EvidenceLink.objects.create(evidence=evidence, criterion=criterion, linked_by=by)
    EvidenceEvent.objects.create(
        assessment=assessment,
        evidence=evidence,
        criterion=criterion,
        action=EvidenceEvent.Action.UPLOAD,
        detail=f"{name} ({record.size} byte)",
        user=by,
    )
    _audit(
        evidence,
        Action.EVIDENCE_UPLOAD,
        by,
        f"Tải lên {evidence.code} “{evidence.title}”: {name} ({record.size} byte)",
        sha256=digest,
        file_id=record.pk,
    )
    return evidence


def evidence_replace(*, evidence: Evidence, upload: UploadedFile, by: User) -> UploadOutcome:
    """A new version of the file; earlier versions stay with who uploaded them and when."""
    name = nfc(os.path.basename(upload.name or "tệp"))
    ensure_open(evidence.assessment)
    with _OnDisk(upload) as path:
        try:
            kind = sniff(path, name)
        except Refused as refusal:
            return UploadOutcome(name=name, status="refused", message=str(refusal))
        digest = sha256_of(path)
        if evidence.current_file and evidence.current_file.sha256 == digest:
            return _unchanged_outcome(name, evidence)
        size = path.stat().st_size
        with removed_on_error() as stored:
            file_name = _write_file(evidence.assessment_id, upload, path, stored)
            with transaction.atomic():
                assessment = Assessment.objects.select_for_update(no_key=True).get(
                    pk=evidence.assessment_id
                )
                ensure_open(assessment)
                evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
                evidence.assessment = assessment
                current = evidence.current_file
                if current is not None and current.sha256 == digest:
                    stored.remove_all()  # the same bytes were stored meanwhile
                    return _unchanged_outcome(name, evidence)
                record = _store_version(
                    evidence=evidence,
                    file_name=file_name,
                    size=size,
                    name=name,
                    kind=kind,
                    digest=digest,
                    by=by,
                )
            EvidenceEvent.objects.create(
                assessment=evidence.assessment,
                evidence=evidence,
                action=EvidenceEvent.Action.REPLACE,
                detail=f"Phiên bản {record.version}: {name}",
                user=by,
            )
            _audit(
                evidence,
                Action.EVIDENCE_REPLACE,
                by,
                f"Thay tệp {evidence.code}, phiên bản {record.version}: {name}",
                sha256=digest,
                file_id=record.pk,
            )
    warning = _preview_warning(record)
    return UploadOutcome(name=name, status="stored", evidence=evidence, warning=warning)


def _unchanged_outcome(name: str, evidence: Evidence) -> UploadOutcome:
    return UploadOutcome(
        name=name,
        status="duplicate",
        duplicate_of=evidence,
        message="Tệp mới giống hệt phiên bản hiện hành; không có gì thay đổi.",
    )


DESCRIBED_FIELDS = ["title", "doc_number", "issue_date", "issuer", "location"]


@transaction.atomic
def evidence_describe(*, evidence: Evidence, by: User, **fields: Any) -> str:
    """Update the description; returns a warning (empty if none) about the issue date."""
    ensure_open(evidence.assessment)
    unknown = set(fields) - set(DESCRIBED_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {unknown}")
    changed = []
    for field, value in fields.items():
        value = nfc(value) if isinstance(value, str) else value
        if getattr(evidence, field) != value:
            setattr(evidence, field, value)
            changed.append(field)
    if not evidence.title.strip():
        raise ValidationError("Trích yếu không được để trống.")
    if changed:
        name = evidence.current_file.original_name if evidence.current_file else ""
        evidence.search_text = _search_text(evidence, name)
        evidence.save(update_fields=[*changed, "search_text"])
        labels = {f.name: str(f.verbose_name) for f in Evidence._meta.fields}
        EvidenceEvent.objects.create(
            assessment=evidence.assessment,
            evidence=evidence,
            action=EvidenceEvent.Action.UPDATE,
            detail="Sửa: " + ", ".join(labels[f] for f in changed),
            user=by,
        )
        _audit(
            evidence,
            Action.EVIDENCE_DESCRIBE,
            by,
            f"Sửa thông tin {evidence.code}: " + ", ".join(labels[f].lower() for f in changed),
            fields=changed,
        )
    return issue_date_warning(evidence.assessment, evidence.issue_date)


@transaction.atomic
def evidence_link(*, evidence: Evidence, criterion: Criterion, by: User) -> EvidenceLink:
    """Let one evidence back another sub-criterion without uploading it again."""
    ensure_open(evidence.assessment)
    ensure_leaf(evidence.assessment, criterion)
    # Read again under lock: the caller's copy may predate a delete.
    evidence = Evidence.objects.select_for_update().select_related("assessment").get(pk=evidence.pk)
    if evidence.is_deleted:
        raise ValidationError(f"Minh chứng {evidence.code} đã bị xóa.")
    link, created = EvidenceLink.objects.get_or_create(
        evidence=evidence, criterion=criterion, defaults={"linked_by": by}
    )
    if created:
        EvidenceEvent.objects.create(
            assessment=evidence.assessment,
            evidence=evidence,
            criterion=criterion,
            action=EvidenceEvent.Action.LINK,
            detail=f"Liên kết với tiêu chí {criterion.code}",
            user=by,
        )
        _audit(
            evidence,
            Action.EVIDENCE_LINK,
            by,
            f"Dùng {evidence.code} cho tiêu chí {criterion.code}",
            criterion=criterion.code,
        )
    return link


@transaction.atomic
def evidence_unlink(*, evidence: Evidence, criterion: Criterion, by: User) -> None:
    ensure_open(evidence.assessment)
    if criterion.pk == evidence.criterion_id:
        raise ValidationError(
            f"Không thể bỏ liên kết với tiêu chí gốc {criterion.code}; hãy xóa minh chứng nếu "
            "không dùng nữa."
        )
    deleted, _ = EvidenceLink.objects.filter(evidence=evidence, criterion=criterion).delete()
    if deleted:
        EvidenceEvent.objects.create(
            assessment=evidence.assessment,
            evidence=evidence,
            criterion=criterion,
            action=EvidenceEvent.Action.UNLINK,
            detail=f"Bỏ liên kết với tiêu chí {criterion.code}",
            user=by,
        )
        _audit(
            evidence,
            Action.EVIDENCE_UNLINK,
            by,
            f"Bỏ liên kết {evidence.code} khỏi tiêu chí {criterion.code}",
            criterion=criterion.code,
        )


@transaction.atomic
def evidence_delete(*, evidence: Evidence, by: User) -> None:
    """Soft delete: the evidence disappears from lists; its files stay on disk."""
    ensure_open(evidence.assessment)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if evidence.is_deleted:
        return
    evidence.deleted_at = timezone.now()
    evidence.deleted_by = by
    evidence.save(update_fields=["deleted_at", "deleted_by"])
    EvidenceEvent.objects.create(
        assessment=evidence.assessment,
        evidence=evidence,
        action=EvidenceEvent.Action.DELETE,
        user=by,
    )
    _audit(evidence, Action.EVIDENCE_DELETE, by, f"Xóa {evidence.code} “{evidence.title}”")


@transaction.atomic
def evidence_restore(*, evidence: Evidence, by: User) -> None:
    ensure_open(evidence.assessment)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if not evidence.is_deleted:
        return
    evidence.deleted_at = None
    evidence.deleted_by = None
    evidence.save(update_fields=["deleted_at", "deleted_by"])
    EvidenceEvent.objects.create(
        assessment=evidence.assessment,
        evidence=evidence,
        action=EvidenceEvent.Action.RESTORE,
        user=by,
    )
    _audit(evidence, Action.EVIDENCE_RESTORE, by, f"Khôi phục {evidence.code} “{evidence.title}”")


def period_label(assessment: Assessment) -> str:
    """'6 tháng đầu năm 2026'."""
    return f"{assessment.get_period_display()} {assessment.year}"


@transaction.atomic
def evidence_reuse(
    *, evidence: Evidence, assessment: Assessment, criterion: Criterion, by: User
) -> Evidence:
    """Use an evidence of the previous period again for the same sub-criterion (same code)
    of `assessment`: a new evidence of this period, with its own code and history, that
    points back to the old one (`reused_from`) and shares its stored file (no bytes copied:
    stored files are never removed or changed, each version is a new file)."""
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    ensure_open(assessment)
    ensure_leaf(assessment, criterion)
    old = (
        Evidence.objects.select_related("assessment", "current_file").filter(pk=evidence.pk).first()
    )
    if old is None or assessment.previous_id is None or old.assessment_id != assessment.previous_id:
        raise ValidationError("Chỉ dùng lại được minh chứng của kỳ đánh giá trước.")
    if old.is_deleted or old.current_file is None:
        raise ValidationError(f"Minh chứng {old.code} của kỳ trước đã bị xóa.")
    if not old.links.filter(criterion__code=criterion.code).exists():
        raise ValidationError(
            f"Minh chứng {old.code} không thuộc tiêu chí {criterion.code} ở kỳ trước."
        )
    again = Evidence.objects.filter(
        assessment=assessment, reused_from=old, deleted_at__isnull=True
    ).first()
    if again is not None:
        raise ValidationError(f"Minh chứng {old.code} đã được dùng lại thành {again.code}.")
    source = old.current_file
    duplicate = find_duplicate(assessment, source.sha256)
    if duplicate is not None:
        raise ValidationError(
            f"Kỳ này đã có minh chứng {duplicate.code} “{duplicate.title}” cùng nội dung tệp; "
            "dùng “Liên kết” để gắn minh chứng đó vào tiêu chí này."
        )
    sequence = _next_sequence(assessment, criterion)
    new = Evidence.objects.create(
        assessment=assessment,
        criterion=criterion,
        sequence=sequence,
        code=evidence_code(criterion, sequence),
        title=old.title,
        doc_number=old.doc_number,
        issue_date=old.issue_date,
        issuer=old.issuer,
        location=old.location,
        reused_from=old,
        created_by=by,
    )
    record = EvidenceFile.objects.create(
        evidence=new,
        version=1,
        file=source.file.name,  # the same stored file
        thumbnail=source.thumbnail.name,
        preview=source.preview,
        original_name=source.original_name,
        size=source.size,
        sha256=source.sha256,
        kind=source.kind,
        content_type=source.content_type,
        uploaded_by=by,
    )
    new.current_file = record
    new.search_text = _search_text(new, source.original_name)
    new.save(update_fields=["current_file", "search_text"])
    if record.preview == EvidenceFile.Preview.PENDING and not record.thumbnail:
        _preview_after_commit(record.pk)  # the source's preview was not drawn yet
    EvidenceLink.objects.create(evidence=new, criterion=criterion, linked_by=by)
    detail = f"Dùng lại {old.code} từ {period_label(old.assessment)}"
    EvidenceEvent.objects.create(
        assessment=assessment,
        evidence=new,
        criterion=criterion,
        action=EvidenceEvent.Action.UPLOAD,
        detail=detail,
        user=by,
    )
    new.assessment = assessment
    _audit(
        new,
        Action.EVIDENCE_REUSE,
        by,
        f"{detail} thành {new.code} “{new.title}”: {source.original_name} (không tải lại tệp)",
        sha256=source.sha256,
        file_id=record.pk,
        reused_from=old.pk,
    )
    return new
