"""What the report says from data: the general tasks and the order of section "Nhiệm vụ"
(edited in the report editor), and the implementing documents of section I.2 (a page per
assessment)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.access import get_assessment_for_user, require_implementing_documents, rule
from assessments.models import Assessment
from reports.content import implementing_paragraphs
from reports.forms import ImplementingDocumentForm, TaskForm, TaskMoveForm
from reports.models import ImplementingDocument, Report, ReportTask
from reports.services.content import (
    implementing_document_add,
    implementing_document_delete,
    implementing_document_edit,
    report_task_add,
    report_task_delete,
    report_task_edit,
    report_task_move,
)
from reports.templatetags.report_content import tasks_editor_context
from reports.views.report import PageRequest, _get_report

TASKS_ANCHOR = "nhiem-vu"


def _tasks_response(request: PageRequest, report: Report, error: str = "") -> HttpResponse:
    """The editor partial for htmx, else back to the report editor with a message."""
    if request.htmx:
        report.refresh_from_db()  # the service saved the order on its own copy
        context = tasks_editor_context(report, request=request, error=error)
        return render(request, "reports/_tasks_list.html", context)
    if error:
        messages.error(request, error)
    url = reverse("reports:edit", args=[report.assessment_id, report.pk])
    return redirect(f"{url}#{TASKS_ANCHOR}")


def _task(report: Report, task_pk: int) -> ReportTask:
    return get_object_or_404(ReportTask, report=report, pk=task_pk)


def _task_change(
    request: PageRequest, report: Report, change: Callable[[], object], done: str
) -> HttpResponse:
    """Run one change of the general tasks; its refusal, or `done`, is what the page says."""
    try:
        change()
    except ValidationError as error:
        return _tasks_response(request, report, " ".join(error.messages))
    if not request.htmx:
        messages.success(request, done)
    return _tasks_response(request, report)


TASK_TEXT_REFUSED = "Hãy ghi nội dung nhiệm vụ (tối đa 2000 ký tự)."


@rule("reviewer")
@require_POST
def task_add(request: PageRequest, pk: int, report_pk: int) -> HttpResponse:
    """Add a general task of section "Nhiệm vụ"."""
    report = _get_report(request.user, pk, report_pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _tasks_response(request, report, TASK_TEXT_REFUSED)
    text = form.cleaned_data["text"]
    return _task_change(
        request,
        report,
        lambda: report_task_add(report=report, text=text, by=request.user),
        "Đã thêm nhiệm vụ.",
    )


@rule("reviewer")
@require_POST
def task_edit(request: PageRequest, pk: int, report_pk: int, task_pk: int) -> HttpResponse:
    """Change the text of a general task."""
    report = _get_report(request.user, pk, report_pk)
    task = _task(report, task_pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _tasks_response(request, report, TASK_TEXT_REFUSED)
    text = form.cleaned_data["text"]
    return _task_change(
        request,
        report,
        lambda: report_task_edit(task=task, text=text, by=request.user),
        "Đã sửa nhiệm vụ.",
    )


@rule("reviewer")
@require_POST
def task_delete(request: PageRequest, pk: int, report_pk: int, task_pk: int) -> HttpResponse:
    """Delete a general task."""
    report = _get_report(request.user, pk, report_pk)
    task = _task(report, task_pk)
    return _task_change(
        request,
        report,
        lambda: report_task_delete(task=task, by=request.user),
        "Đã xóa nhiệm vụ.",
    )


@rule("reviewer")
@require_POST
def task_move(request: PageRequest, pk: int, report_pk: int) -> HttpResponse:
    """Move one item of section "Nhiệm vụ" up or down."""
    report = _get_report(request.user, pk, report_pk)
    form = TaskMoveForm(request.POST)
    if not form.is_valid():
        return _tasks_response(request, report, "Dữ liệu không hợp lệ; hãy tải lại trang.")
    try:
        report_task_move(
            report=report,
            key=form.cleaned_data["key"],
            up=form.cleaned_data["direction"] == "up",
            by=request.user,
        )
    except ValidationError as error:
        return _tasks_response(request, report, " ".join(error.messages))
    return _tasks_response(request, report)


# -- Implementing documents ------------------------------------------------------------------


def _documents_assessment(request: PageRequest, pk: int) -> Assessment:
    assessment = get_assessment_for_user(request.user, pk)
    require_implementing_documents(request.user, assessment)
    return assessment


def _document_kwargs(form: ImplementingDocumentForm) -> dict:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "number": data["number"],
        "summary": data["summary"],
        "date": data.get("date"),
        "issuer": data.get("issuer") or "",
        "order": data.get("order"),
    }


def _documents_page(
    request: PageRequest,
    assessment: Assessment,
    form: ImplementingDocumentForm,
    editing: ImplementingDocument | None = None,
) -> HttpResponse:
    documents = list(assessment.implementing_documents.order_by("order", "date", "id"))
    draft = assessment.reports.filter(status=Report.Status.DRAFT).first()
    preview = implementing_paragraphs(draft or Report(assessment=assessment), None)  # type: ignore[arg-type]
    return render(
        request,
        "reports/implementing_documents.html",
        {
            "assessment": assessment,
            "documents": documents,
            "form": form,
            "editing": editing,
            "draft": draft,
            "preview": preview,
            "editable": assessment.status != Assessment.Status.FROZEN,
        },
    )


@rule("reviewer")
def documents(request: PageRequest, pk: int) -> HttpResponse:
    """The assessment's implementing documents: list them, add one."""
    assessment = _documents_assessment(request, pk)
    form = ImplementingDocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            implementing_document_add(
                assessment=assessment, by=request.user, **_document_kwargs(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Đã thêm văn bản triển khai.")
            return redirect("reports:documents", pk=pk)
    return _documents_page(request, assessment, form)


@rule("reviewer")
def document_edit(request: PageRequest, pk: int, document_pk: int) -> HttpResponse:
    """Change one implementing document."""
    assessment = _documents_assessment(request, pk)
    document = get_object_or_404(ImplementingDocument, assessment=assessment, pk=document_pk)
    form = ImplementingDocumentForm(request.POST or None, instance=document)
    if request.method == "POST" and form.is_valid():
        try:
            implementing_document_edit(document=document, by=request.user, **_document_kwargs(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Đã lưu văn bản triển khai.")
            return redirect("reports:documents", pk=pk)
    return _documents_page(request, assessment, form, editing=document)


@rule("reviewer")
@require_POST
def document_delete(request: PageRequest, pk: int, document_pk: int) -> HttpResponse:
    """Delete one implementing document."""
    assessment = _documents_assessment(request, pk)
    document = get_object_or_404(ImplementingDocument, assessment=assessment, pk=document_pk)
    try:
        implementing_document_delete(document=document, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Đã xóa văn bản {document.number}.")
    return redirect("reports:documents", pk=pk)
