"""The report of an assessment: create, edit its sections, preview, and download as PDF/XLSX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from assessments.access import (
    get_assessment_for_user,
    is_leader,
    require_report_work,
    rule,
    signer_label,
    signer_refusal,
)
from audit.services import Action
from guards.filenames import send_as
from guards.http import AuthenticatedRequest
from guards.inline import inert
from guards.versions import is_version
from jobs.models import Job
from jobs.services import job_start
from jobs.views import job_redirect
from reports import documents
from reports.docx import appendix_docx, report_docx
from reports.fields import LiveData, report_problems
from reports.forms import ReportSettingsForm, SectionForm, VersionForm
from reports.job_kinds import DRAFT_TITLES
from reports.models import Report, ReportSection
from reports.names import live_file_name
from reports.rendering import warm_up
from reports.services import (
    report_create,
    report_section_keep,
    report_section_refresh,
    report_section_save,
    report_update,
)
from reports.services.drafting import report_audit
from reports.services.issuing import unapproved_codes
from reports.xlsx import appendix_xlsx

PDF = "application/pdf"
View = Callable[..., HttpResponseBase]


class PageRequest(AuthenticatedRequest):
    """What django-htmx's and django-csp's middleware add to the request (annotations only)."""

    htmx: HtmxDetails
    csp_nonce: str


STYLE_NONCE = {"style-src": [NONCE]}


def allows_style_nonce(view: View) -> View:
    """A document preview is the HTML that becomes the PDF, print CSS in one <style> element:
    the Content-Security-Policy of that page (enforced or report-only) allows it by nonce."""
    return csp_update(STYLE_NONCE)(csp_update(STYLE_NONCE, REPORT_ONLY=True)(view))


def document_preview(request: PageRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    # str(): the nonce is lazy and only reaches the header once read.
    return HttpResponse(
        render_to_string(template, {**context, "csp_nonce": str(request.csp_nonce)})
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get_report(user: User, pk: int, report_pk: int) -> Report:
    assessment = get_assessment_for_user(user, pk)
    require_report_work(user, assessment)
    report = get_object_or_404(
        Report.objects.select_related("signer__membership"), assessment=assessment, pk=report_pk
    )
    report.assessment = assessment
    return report


@rule("reviewer")
def report_home(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The assessment's reports; the draft opens for editing, or one can be created."""
    assessment = get_assessment_for_user(request.user, pk)
    require_report_work(request.user, assessment)
    if request.method == "POST":
        try:
            report = report_create(assessment=assessment, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reports:home", pk=pk)
        messages.success(request, "Đã tạo dự thảo báo cáo từ dữ liệu của kỳ đánh giá.")
        return redirect("reports:edit", pk=pk, report_pk=report.pk)
    reports = list(assessment.reports.order_by("-created_at"))
    draft = next((r for r in reports if r.status == Report.Status.DRAFT), None)
    if draft is not None and len(reports) == 1:
        return redirect("reports:edit", pk=pk, report_pk=draft.pk)
    return render(
        request,
        "reports/report_home.html",
        {"assessment": assessment, "reports": reports, "draft": draft},
    )


@rule("reviewer")
def report_edit(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    report = _get_report(request.user, pk, report_pk)
    if report.status == Report.Status.ISSUED:
        return redirect("reports:issued", pk=pk, report_pk=report_pk)
    assessment = report.assessment
    settings_form = ReportSettingsForm(
        request.POST if "save_settings" in request.POST else None,
        instance=report,
        commune=assessment.commune,
    )
    if settings_form.is_bound and settings_form.is_valid():
        try:
            report_update(report=report, by=request.user, **settings_form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Đã lưu thông tin chung của báo cáo.")
            return redirect("reports:edit", pk=pk, report_pk=report.pk)
    warm_up()  # the PDF worker starts now, not when the secretary issues
    prefetch_related_objects([report], "tasks")  # read by the fields and the tasks editor
    data = LiveData(report)
    sections = list(report.sections.select_related("updated_by"))
    for section in sections:
        _editor(section, data)
        section.form = SectionForm(  # type: ignore[attr-defined]  # read by the template
            initial={"version": section.version, "body": section.body}
        )
    return render(
        request,
        "reports/report_edit.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "report": report,
            "sections": sections,
            "settings_form": settings_form,
            "shortfalls": documents.shortfall_rows(data.results),
            "editable": report.status == Report.Status.DRAFT,
            "unapproved": unapproved_codes(report),
            # Issuing refuses a report whose signer is not a leader of the commune.
            "problems": [
                *filter(None, [signer_refusal(report.signer, assessment)]),
                *report_problems(report, data, sections),
            ],
            "signer_label": signer_label(report),
            "warnings": data.warnings(sections),
            "level_note": data.statement.why_not_stated,
            "live_results": data.results,
            "is_leader": is_leader(request.user, assessment),
        },
    )


def _editor(section: ReportSection, data: LiveData) -> ReportSection:
    """What the section's card shows besides its text: the preview with the fields
    highlighted, the fields usable there with today's values, what changed since the text
    was written."""
    section.rendered = data.section(section, highlight=True)  # type: ignore[attr-defined]
    section.fields = data.usable(section.key)  # type: ignore[attr-defined]
    section.changes = data.changes(section)  # type: ignore[attr-defined]
    return section


def _section_card(
    request: PageRequest, report: Report, section: ReportSection, error: str | None, body: str
) -> HttpResponse:
    """The section's card after an htmx POST (saved, refreshed, kept or refused)."""
    section.refresh_from_db()
    data = LiveData(report)
    _editor(section, data)
    section.form = SectionForm(  # type: ignore[attr-defined]  # read by the template
        initial={"version": section.version, "body": body if error else section.body}
    )
    return render(
        request,
        "reports/_section_editor.html",
        {
            "report": report,
            "assessment": report.assessment,
            "section": section,
            "error": error,
            "saved": error is None,
            "editable": True,
            "shortfalls": documents.shortfall_rows(data.results),
            "level_note": data.statement.why_not_stated,
        },
    )


@rule("reviewer")
@require_POST
def section_save(request: PageRequest, pk: int, report_pk: int, section_pk: int) -> HttpResponse:
    report = _get_report(request.user, pk, report_pk)
    section = get_object_or_404(ReportSection, report=report, pk=section_pk)
    form = SectionForm(request.POST)
    error = None
    if form.is_valid():
        try:
            section = report_section_save(
                section=section,
                body=form.cleaned_data["body"],
                by=request.user,
                expected_version=form.cleaned_data["version"],
                show_points=form.cleaned_data["show_points"] if section.table else None,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Dữ liệu không hợp lệ; hãy tải lại trang."
    if request.htmx:
        return _section_card(request, report, section, error, form.data.get("body", ""))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Đã lưu mục “{section.heading or 'kết luận'}”.")
    return redirect(f"{reverse('reports:edit', args=[pk, report_pk])}#muc-{section.pk}")


def _section_action(
    request: PageRequest, pk: int, report_pk: int, section_pk: int, action: Callable, done: str
) -> HttpResponse:
    report = _get_report(request.user, pk, report_pk)
    section = get_object_or_404(ReportSection, report=report, pk=section_pk)
    form = VersionForm(request.POST)
    error = None
    if form.is_valid():
        try:
            action(section=section, by=request.user, expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Dữ liệu không hợp lệ; hãy tải lại trang."
    if request.htmx:
        return _section_card(request, report, section, error, section.body)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(f"{reverse('reports:edit', args=[pk, report_pk])}#muc-{section.pk}")


@rule("reviewer")
@require_POST
def section_refresh(request: PageRequest, pk: int, report_pk: int, section_pk: int) -> HttpResponse:
    """ "Làm mới từ dữ liệu": the section's text becomes today's default text."""
    return _section_action(
        request, pk, report_pk, section_pk, report_section_refresh, "Đã làm mới mục từ dữ liệu."
    )


@rule("reviewer")
@require_POST
def section_keep(request: PageRequest, pk: int, report_pk: int, section_pk: int) -> HttpResponse:
    """ "Giữ nguyên lời văn": the changes were read; the text stays as written."""
    return _section_action(
        request, pk, report_pk, section_pk, report_section_keep, "Đã giữ nguyên lời văn của mục."
    )


@rule("reviewer")
def section_history(
    request: AuthenticatedRequest, pk: int, report_pk: int, section_pk: int
) -> HttpResponse:
    report = _get_report(request.user, pk, report_pk)
    section = get_object_or_404(ReportSection, report=report, pk=section_pk)
    return render(
        request,
        "reports/section_history.html",
        {
            "report": report,
            "assessment": report.assessment,
            "section": section,
            "revisions": section.revisions.select_related("user"),
        },
    )


@rule("reviewer")
@allows_style_nonce
def report_preview(request: PageRequest, pk: int, report_pk: int) -> HttpResponse:
    """The report as the same HTML that becomes the PDF."""
    report = _get_report(request.user, pk, report_pk)
    return document_preview(
        request, "reports/report_document.html", documents.report_context(report, for_pdf=False)
    )


def audit_file(
    request: AuthenticatedRequest, report: Report, action: str, summary: str, **details: Any
) -> None:
    """Record that the user took a file of `report` away (exported or downloaded)."""
    report_audit(report, action, request.user, summary, **details)


def _download(
    request: HttpRequest, data: bytes, content_type: str, filename: str
) -> HttpResponseBase:
    """`?xem=1` opens a PDF in the browser; otherwise the file downloads."""
    response = HttpResponse(data, content_type=content_type)
    inline = request.GET.get("xem") == "1" and content_type == PDF
    return inert(send_as(response, filename, inline=inline))


def _draft_pdf_job_key(report: Report, kind: str, version: str) -> str:
    return f"reports.pdf:{report.pk}:{kind}:{version}"


def _rendered_for(request: AuthenticatedRequest, report: Report, kind: str, version: str) -> bool:
    """Whether a job of this person has rendered this version of the draft."""
    key = _draft_pdf_job_key(report, kind, version)
    return Job.objects.filter(user=request.user, key=key, state=Job.State.DONE).exists()


def _pinned_draft_pdf(request: AuthenticatedRequest, report: Report, kind: str) -> bytes | None:
    """The PDF a job of this person rendered, when its result URL comes back with the version
    it was asked at (`?v=`) and the data have changed since: the person gets the file they
    waited for, of the data as they were when they asked (and is told so), instead of a new
    job for every change the commune made meanwhile. Any other `v` is ignored."""
    pinned = request.GET.get("v", "")
    if not is_version(pinned) or not _rendered_for(request, report, kind, pinned):
        return None
    data = documents.cached_draft_pdf(report, kind, pinned)
    if data is not None:
        messages.info(
            request,
            "Dữ liệu đã thay đổi sau khi bạn yêu cầu tệp PDF dự thảo: tệp vừa tải là bản của "
            "dữ liệu lúc yêu cầu. Tải lại để có bản mới nhất.",
        )
    return data


def _draft_pdf(
    request: AuthenticatedRequest, report: Report, kind: str, summary: str
) -> HttpResponseBase:
    """The draft PDF of the data as they are now: from the documents cache (no results, no
    template), else made by the job "reports.pdf" (in the worker; without a broker at the
    commit), whose result is this same URL pinned to the version asked for (see
    `_pinned_draft_pdf`). If that job is done and the cache still misses (it could not keep
    the file), the PDF is made here."""
    version = documents.draft_version(report)
    data = documents.cached_draft_pdf(report, kind, version)
    if data is None and request.GET.get("v", version) != version:
        data = _pinned_draft_pdf(request, report, kind)
    if data is None:
        if not _rendered_for(request, report, kind, version):
            query = {"xem": "1"} if request.GET.get("xem") == "1" else {}
            job = job_start(
                kind="reports.pdf",
                user=request.user,
                title=DRAFT_TITLES[kind],
                params={
                    "report": report.pk,
                    "kind": kind,
                    "url": f"{request.path}?{urlencode({**query, 'v': version})}",
                    "back": reverse("reports:edit", args=[report.assessment_id, report.pk]),
                },
                key=_draft_pdf_job_key(report, kind, version),
            )
            job.refresh_from_db()  # it may have run at the commit already (no broker)
            return job_redirect(request, job)
        data = documents.draft_pdf_make(report, kind)
    audit_file(request, report, Action.EXPORT, summary)
    return _download(request, data, PDF, live_file_name(report, kind, ".pdf"))


@rule("reviewer")
def report_pdf(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    return _draft_pdf(request, report, "report", "Xuất báo cáo (PDF)")


@rule("reviewer")
@allows_style_nonce
def appendix_preview(request: PageRequest, pk: int, report_pk: int) -> HttpResponse:
    report = _get_report(request.user, pk, report_pk)
    return document_preview(
        request,
        "reports/appendix_document.html",
        documents.appendix_context(report, for_pdf=False),
    )


@rule("reviewer")
def appendix_pdf(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    return _draft_pdf(request, report, "appendix", "Xuất phụ lục (PDF)")


@rule("reviewer")
def appendix_xlsx_view(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    data = appendix_xlsx(report)
    audit_file(request, report, Action.EXPORT, "Xuất phụ lục (Excel)")
    return _download(request, data, XLSX, live_file_name(report, "appendix", ".xlsx"))


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@rule("reviewer")
def report_docx_view(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponseBase:
    """The report as a Word file, for a clerk who wants to finish it in Word."""
    report = _get_report(request.user, pk, report_pk)
    data = report_docx(report)
    audit_file(request, report, Action.EXPORT, "Xuất báo cáo (Word)")
    return _download(request, data, DOCX, live_file_name(report, "report", ".docx"))


@rule("reviewer")
def appendix_docx_view(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    data = appendix_docx(report)
    audit_file(request, report, Action.EXPORT, "Xuất phụ lục (Word)")
    return _download(request, data, DOCX, live_file_name(report, "appendix", ".docx"))
