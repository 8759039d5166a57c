"""Write actions on what the report says from data: the secretary's general tasks and the
order of section "Nhiệm vụ", and the assessment's implementing documents (section I.2)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.models import Assessment
from assessments.selectors import assessment_results
from audit.services import Action, audit_record
from reports.content import report_tasks
from reports.models import ImplementingDocument, Report, ReportTask
from reports.services.drafting import ensure_draft, report_audit

TASK_TOO_LONG = 2000
ISSUED_TASKS = "Báo cáo đã ban hành: không sửa được nhiệm vụ nữa."
FROZEN_DOCUMENTS = (
    "Kỳ đánh giá đã có báo cáo ban hành: không sửa được văn bản triển khai. Lãnh đạo cần mở "
    "lại kỳ đánh giá (kèm lý do) trước khi sửa."
)


def _locked_report(report: Report) -> Report:
    locked = Report.objects.select_for_update().select_related("assessment").get(pk=report.pk)
    if locked.status != Report.Status.DRAFT:
        raise ValidationError(ISSUED_TASKS)
    ensure_draft(locked)
    return locked


def _clean_task(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValidationError("Nội dung nhiệm vụ không được để trống.")
    if len(text) > TASK_TOO_LONG:
        raise ValidationError(f"Nhiệm vụ dài quá {TASK_TOO_LONG} ký tự; hãy viết gọn lại.")
    return text


@transaction.atomic
def report_task_add(*, report: Report, text: str, by: User) -> ReportTask:
    """A general task of section "Nhiệm vụ", typed by the secretary (goes first until moved)."""
    report = _locked_report(report)
    task = ReportTask.objects.create(report=report, text=_clean_task(text), created_by=by)
    report_audit(report, Action.REPORT_EDIT, by, f"Thêm nhiệm vụ: {task.text[:120]}")
    return task


@transaction.atomic
def report_task_edit(*, task: ReportTask, text: str, by: User) -> ReportTask:
    report = _locked_report(task.report)
    task = ReportTask.objects.select_for_update().get(pk=task.pk, report=report)
    new = _clean_task(text)
    if new != task.text:
        task.text = new
        task.save(update_fields=["text"])
        report_audit(report, Action.REPORT_EDIT, by, f"Sửa nhiệm vụ: {task.text[:120]}")
    return task


@transaction.atomic
def report_task_delete(*, task: ReportTask, by: User) -> None:
    report = _locked_report(task.report)
    task = ReportTask.objects.select_for_update().get(pk=task.pk, report=report)
    key = f"task:{task.pk}"
    text = task.text
    task.delete()
    if key in report.task_order:
        report.task_order = [k for k in report.task_order if k != key]
        report.save(update_fields=["task_order", "updated_at"])
    report_audit(report, Action.REPORT_EDIT, by, f"Xóa nhiệm vụ: {text[:120]}")


@transaction.atomic
def report_tasks_reorder(*, report: Report, keys: list[str], by: User) -> list[str]:
    """Store the full order of section "Nhiệm vụ": `keys` first (unknown ones dropped), then
    the items they leave out in their current order."""
    report = _locked_report(report)
    current = [item.key for item in report_tasks(report, assessment_results(report.assessment))]
    known = set(current)
    wanted = list(dict.fromkeys(key for key in keys if key in known))
    order = wanted + [key for key in current if key not in set(wanted)]
    if order != report.task_order:
        report.task_order = order
        report.save(update_fields=["task_order", "updated_at"])
        report_audit(report, Action.REPORT_EDIT, by, "Sắp xếp lại mục “Nhiệm vụ”", order=order)
    return order


@transaction.atomic
def report_task_move(*, report: Report, key: str, up: bool, by: User) -> list[str]:
    """Move one item of section "Nhiệm vụ" one place up or down; stores the full key list."""
    report = _locked_report(report)
    order = [item.key for item in report_tasks(report, assessment_results(report.assessment))]
    if key not in order:
        raise ValidationError("Nhiệm vụ này không còn trong danh sách; hãy tải lại trang.")
    index = order.index(key)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(order):
        return order  # already first or last: nothing to do
    order[index], order[other] = order[other], order[index]
    return report_tasks_reorder(report=report, keys=order, by=by)


# -- Implementing documents ------------------------------------------------------------------


def _ensure_documents_open(assessment: Assessment) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update().select_related("commune").get(pk=assessment.pk)
    )
    if assessment.status == Assessment.Status.FROZEN:
        raise ValidationError(FROZEN_DOCUMENTS)
    return assessment


def _document_fields(*, kind: str, number: str, summary: str, issuer: str) -> dict[str, str]:
    number = " ".join(number.split())
    summary = " ".join(summary.split())
    if kind not in ImplementingDocument.Kind.values:
        raise ValidationError("Loại văn bản không hợp lệ.")
    if not number:
        raise ValidationError("Hãy ghi số, ký hiệu của văn bản (ví dụ: 403/UBND-VHXX).")
    if "/" not in number:
        raise ValidationError(
            f"“{number}” không giống số, ký hiệu văn bản: cần dạng số/ký hiệu, ví dụ 403/UBND-VHXX."
        )
    if not summary:
        raise ValidationError("Hãy ghi nội dung chính của văn bản.")
    return {"kind": kind, "number": number, "summary": summary, "issuer": " ".join(issuer.split())}


def _document_audit(document: ImplementingDocument, by: User, summary: str) -> None:
    audit_record(
        action=Action.REPORT_EDIT,
        user=by,
        commune=document.assessment.commune,
        target=document,
        target_label=f"Văn bản triển khai {document.number}",
        summary=summary,
    )


@transaction.atomic
def implementing_document_add(
    *,
    assessment: Assessment,
    by: User,
    kind: str,
    number: str,
    summary: str,
    date: dt.date | None = None,
    issuer: str = "",
    order: int | None = None,
) -> ImplementingDocument:
    """Record a document the commune issued to implement the model (feeds section I.2)."""
    assessment = _ensure_documents_open(assessment)
    fields = _document_fields(kind=kind, number=number, summary=summary, issuer=issuer)
    if order is None:
        last = assessment.implementing_documents.order_by("-order").first()
        order = (last.order + 1) if last else 1
    document = ImplementingDocument.objects.create(
        assessment=assessment, date=date, order=order, created_by=by, **fields
    )
    _document_audit(document, by, f"Thêm văn bản triển khai {document.number}")
    return document


@transaction.atomic
def implementing_document_edit(
    *,
    document: ImplementingDocument,
    by: User,
    kind: str,
    number: str,
    summary: str,
    date: dt.date | None = None,
    issuer: str = "",
    order: int | None = None,
) -> ImplementingDocument:
    _ensure_documents_open(document.assessment)
    document = ImplementingDocument.objects.select_for_update().get(pk=document.pk)
    fields = _document_fields(kind=kind, number=number, summary=summary, issuer=issuer)
    for name, value in fields.items():
        setattr(document, name, value)
    document.date = date
    if order is not None:
        document.order = order
    document.save()
    _document_audit(document, by, f"Sửa văn bản triển khai {document.number}")
    return document


@transaction.atomic
def implementing_document_delete(*, document: ImplementingDocument, by: User) -> None:
    _ensure_documents_open(document.assessment)
    _document_audit(document, by, f"Xóa văn bản triển khai {document.number}")
    document.delete()
