"""Issuing (ban hành) a report: the next number of the commune's register, today's date,
and the frozen files (report and appendix PDFs, appendix XLSX, evidence list).

Order follows Nghị định 30/2020, Điều 14: the number and date are given, the content is
frozen, then it is signed (reports.services.signing) and sent (reports.services.dossier).

Issuing also freezes the assessment (`Assessment.Status.FROZEN`): its scores and evidence are
read-only for everyone (assessments.access) until a leader reopens it with a reason
(`assessment_reopen`), which marks the issued report as needing a correction; a correcting
report (a new draft that `replaces` it) is issued the same way and freezes it again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.access import (
    is_frozen,
    reopen_refusal,
    report_reference,
    require_unfreeze,
    signer_refusal,
)
from assessments.models import Assessment, AssessmentEvent, City, Commune, Score
from audit.services import Action, audit_record
from evidence.selectors import evidence_snapshot
from guards.storage import StoredFiles, removed_on_error
from reports import documents, fields
from reports.models import (
    STAGES_NEWEST_FIRST,
    DocumentEvent,
    IssuedFile,
    NumberSequence,
    RegisteredNumber,
    Report,
)
from reports.services.drafting import report_audit
from reports.services.notices import report_issued_notify
from reports.xlsx import appendix_xlsx


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unapproved_codes(report: Report) -> list[str]:
    return list(
        Score.objects.filter(assessment=report.assessment)
        .exclude(status=Score.Status.APPROVED)
        .order_by("criterion__order")
        .values_list("criterion__code", flat=True)
    )


def register_next_number(
    *, year: int, commune: Commune | None = None, city: City | None = None, book: str = ""
) -> int:
    """The next number of a register (the commune's, or the city's for `book`, its issuing
    body), under a row lock: two secretaries issuing at once get two numbers, never the
    same one. Called inside the issuing transaction, so a failed issue gives its number
    back."""
    owner = (
        {"commune": commune, "book": ""} if commune is not None else {"city": city, "book": book}
    )
    try:
        with transaction.atomic():
            NumberSequence.objects.get_or_create(year=year, **owner)
    except IntegrityError:
        pass  # created meanwhile by another transaction; it is there now
    sequence = NumberSequence.objects.select_for_update().get(year=year, **owner)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def issued_file_store(
    *,
    report: Report,
    kind: str,
    stage: str,
    data: bytes,
    by: User,
    stored: StoredFiles,
    meta: dict[str, Any] | None = None,
    name: str = "",
) -> IssuedFile:
    """One frozen file of the report, on storage and in the database; the stored file is
    added to `stored` so that the caller's `removed_on_error` removes it if a later step
    fails. `name`, if given, is the storage name decided beforehand (`issued_file_names`)."""
    record = IssuedFile(
        report=report,
        kind=kind,
        stage=stage,
        sha256=sha256(data),
        size=len(data),
        meta=meta or {},
        created_by=by,
    )
    if name:
        stored.add_name(record.file.storage, name)
        saved = record.file.storage.save(name, ContentFile(data))
        if saved != name:  # announced names are fresh; another one would escape the clean-up
            stored.add_name(record.file.storage, saved)
            raise RuntimeError(f"Storage saved {name!r} as {saved!r}")
        record.file.name = saved
    else:
        record.file.save(kind, ContentFile(data), save=False)
        stored.add(record.file)
    record.save()
    return record


ISSUED_KINDS = (
    IssuedFile.Kind.REPORT,
    IssuedFile.Kind.APPENDIX,
    IssuedFile.Kind.APPENDIX_XLSX,
    IssuedFile.Kind.EVIDENCE_LIST,
)


def issued_file_names(report: Report) -> dict[str, str]:
    """Fresh storage names for the files `report_issue` freezes, decided before it starts:
    a job announces them (jobs.services.Run.track), so that the files of an attempt killed
    half-way are removed by the next one."""
    field = IssuedFile._meta.get_field("file")
    return {
        kind: field.generate_filename(IssuedFile(report=report, kind=kind), kind)
        for kind in ISSUED_KINDS
    }


def ensure_report_true(report: Report) -> None:
    """Refuse to issue a report that would state something the data does not: a field with no
    data, a typed figure contradicting the live total, a figure the appendix prints otherwise."""
    problems = fields.report_problems(report)
    if problems:
        raise ValidationError(
            "Chưa ban hành được, báo cáo cần sửa: "
            + " ".join(f"({index}) {problem}" for index, problem in enumerate(problems, start=1)),
            code="untrue",
        )


def report_issue(
    *,
    report: Report,
    by: User,
    override_reason: str = "",
    file_names: Mapping[str, str] | None = None,
    on_issued: Callable[[Report], None] | None = None,
) -> Report:
    """Give the report its number and date and freeze it: the PDFs, the appendix XLSX and
    the evidence list with their SHA-256 are stored as they are now.

    The PDFs are made by `documents.render_pdfs`, the function behind the preview's PDFs. If
    any step fails, the transaction is rolled back and the files already stored are removed.
    `file_names` (from `issued_file_names`) stores the files under names announced
    beforehand; `on_issued` is called last, inside the transaction (the issuing job marks
    itself done there: reports/job_kinds.py).
    """
    names = file_names or {}
    with removed_on_error() as stored, transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .select_related("assessment__commune")
            .get(pk=report.pk)
        )
        if report.status != Report.Status.DRAFT:
            raise ValidationError("Báo cáo đã được ban hành.")
        refusal = signer_refusal(report.signer, report.assessment)
        if refusal:
            raise ValidationError(refusal, code="no_signer")
        missing = unapproved_codes(report)
        if missing and not override_reason.strip():
            raise ValidationError(
                f"Còn {len(missing)} tiêu chí thành phần chưa được lãnh đạo duyệt điểm "
                f"({', '.join(missing[:8])}{'…' if len(missing) > 8 else ''}). Lãnh đạo có thể "
                "cho ban hành khi ghi rõ lý do."
            )
        assessment = _assessment_to_freeze(report)
        ensure_report_true(report)
        today = timezone.localdate()
        number = register_next_number(year=today.year, commune=report.assessment.commune)
        report.number = number
        report.issue_date = today
        report.status = Report.Status.ISSUED
        report.issued_at = timezone.now()
        report.issued_by = by
        report.verify_token = secrets.token_urlsafe(16)
        if missing:
            report.override_reason = override_reason.strip()
            report.override_by = by
        report.save()
        RegisteredNumber.objects.create(
            commune=report.assessment.commune,
            year=today.year,
            number=number,
            symbol=report.symbol,
            report=report,
        )
        report_pdf, appendix_pdf = documents.render_pdfs(report, issued=True, cached=False)
        unsigned = IssuedFile.Stage.UNSIGNED
        files = [
            issued_file_store(
                report=report,
                kind=IssuedFile.Kind.REPORT,
                stage=unsigned,
                name=names.get(IssuedFile.Kind.REPORT, ""),
                data=report_pdf.data,
                by=by,
                meta={"signature_box": report_pdf.signature_box},
                stored=stored,
            ),
            issued_file_store(
                report=report,
                kind=IssuedFile.Kind.APPENDIX,
                stage=unsigned,
                name=names.get(IssuedFile.Kind.APPENDIX, ""),
                data=appendix_pdf.data,
                by=by,
                stored=stored,
            ),
            issued_file_store(
                report=report,
                kind=IssuedFile.Kind.APPENDIX_XLSX,
                stage=unsigned,
                name=names.get(IssuedFile.Kind.APPENDIX_XLSX, ""),
                data=appendix_xlsx(report),
                by=by,
                stored=stored,
            ),
            issued_file_store(
                report=report,
                kind=IssuedFile.Kind.EVIDENCE_LIST,
                stage=unsigned,
                name=names.get(IssuedFile.Kind.EVIDENCE_LIST, ""),
                data=json.dumps(
                    evidence_snapshot(report.assessment), ensure_ascii=False, indent=1
                ).encode(),
                by=by,
                stored=stored,
            ),
        ]
        DocumentEvent.objects.create(
            report=report,
            action=DocumentEvent.Action.ISSUE,
            user=by,
            sha256=files[0].sha256,
            detail=f"{report.number_text} ngày {today:%d/%m/%Y}",
        )
        if missing:
            DocumentEvent.objects.create(
                report=report,
                action=DocumentEvent.Action.OVERRIDE,
                user=by,
                detail=f"Chưa duyệt: {', '.join(missing)}. Lý do: {report.override_reason}",
            )
        summary = f"Ban hành {report.number_text} ngày {today:%d/%m/%Y}"
        if missing:
            summary += (
                f" khi còn {len(missing)} tiêu chí chưa duyệt. Lý do: {report.override_reason}"
            )
        report_audit(report, Action.REPORT_ISSUE, by, summary, sha256=files[0].sha256)
        _freeze(assessment, report, by)
        report_issued_notify(report=report, by=by)
        if on_issued is not None:
            on_issued(report)
    return report


def _assessment_to_freeze(report: Report) -> Assessment:
    """The report's assessment under the row lock every score and evidence change takes
    first: none slips in between the files being made and the assessment being frozen."""
    assessment = (
        Assessment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("commune")
        .get(pk=report.assessment_id)
    )
    report.assessment = assessment
    return assessment


def _freeze(assessment: Assessment, report: Report, by: User) -> None:
    """Freeze the assessment under the report just issued. Nothing else is remembered: the
    report that froze it is its latest issued report, and the status to go back to is read,
    on reopening, from the last lock / reopen event (`status_before_freezing`)."""
    assessment.status = Assessment.Status.FROZEN
    assessment.save(update_fields=["status"])
    AssessmentEvent.objects.create(
        assessment=assessment,
        action=AssessmentEvent.Action.FREEZE,
        reason=f"Ban hành {report_reference(report)}",
        user=by,
    )


def status_before_freezing(assessment: Assessment) -> str:
    """LOCKED when the last lock / reopen event is a lock, else OPEN. Neither can happen
    while frozen (assessments.services refuses them), so this is the status it was frozen in.
    """
    last = (
        AssessmentEvent.objects.filter(
            assessment=assessment,
            action__in=[AssessmentEvent.Action.LOCK, AssessmentEvent.Action.REOPEN],
        )
        .order_by("-at", "-pk")
        .first()
    )
    if last is not None and last.action == AssessmentEvent.Action.LOCK:
        return Assessment.Status.LOCKED
    return Assessment.Status.OPEN


@transaction.atomic
def assessment_reopen(*, report: Report, by: User, reason: str) -> Report:
    """A leader reopens the assessment that `report` froze, with a reason: it goes back to
    the status it had before (open or locked) and the report is marked as needing a
    correction (a new draft replaces it; issuing that freezes the assessment again)."""
    reason = reason.strip()
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=report.assessment_id)
    require_unfreeze(by, assessment)
    if refusal := reopen_refusal(assessment):
        raise ValidationError(refusal)
    if not reason:
        raise ValidationError("Phải ghi lý do mở lại kỳ đánh giá đã ban hành báo cáo.")
    report = Report.objects.select_for_update().get(pk=report.pk)
    report.assessment = assessment
    if report.status != Report.Status.ISSUED:
        raise ValidationError("Chỉ mở lại được kỳ đánh giá từ một báo cáo đã ban hành.")
    latest = (
        Report.objects.filter(assessment=assessment, status=Report.Status.ISSUED)
        .order_by("-issued_at", "-pk")
        .first()
    )
    if not is_frozen(assessment) or latest is None or latest.pk != report.pk:
        raise ValidationError(
            f"Kỳ đánh giá không còn đóng băng theo {report_reference(report)}; không cần mở lại."
        )
    status = status_before_freezing(assessment)
    assessment.status = status
    assessment.save(update_fields=["status"])
    report.reopened_at = timezone.now()
    report.reopened_by = by
    report.reopen_reason = reason
    report.save(update_fields=["reopened_at", "reopened_by", "reopen_reason", "updated_at"])
    AssessmentEvent.objects.create(
        assessment=assessment,
        action=AssessmentEvent.Action.UNFREEZE,
        reason=f"{report_reference(report)} cần đính chính. Lý do: {reason}",
        user=by,
    )
    back_to = Assessment.Status(status).label
    audit_record(
        action=Action.ASSESSMENT_REOPEN,
        user=by,
        commune=assessment.commune,
        target=assessment,
        summary=f"Mở lại kỳ đánh giá đã ban hành {report_reference(report)} (trở về “{back_to}”"
        f"); báo cáo cần đính chính. Lý do: {reason}",
        details={"report": report.pk, "status": status},
    )
    return report


def current_file(report: Report, kind: str) -> IssuedFile:
    """The latest stage of a frozen file (organisation > person > unsigned)."""
    files = {f.stage: f for f in report.files.filter(kind=kind)}
    for stage in STAGES_NEWEST_FIRST:
        if stage in files:
            return files[stage]
    raise IssuedFile.DoesNotExist
