"""Issuing, the dossier, the audit trail's export and draft PDFs run as jobs (jobs/): in the
worker with a broker, at the commit of the request without one. The views check who may and
start them.

Each is idempotent: the storage names are announced (`Run.track`) before anything is
written, and the job is marked done (`Run.finish`) in the transaction that records the
number or the dossier. A worker killed half-way leaves a rolled-back transaction (the number
is not used, no Dossier row) and files that the retry removes before it starts again.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from audit.context import restored
from guards.storage import DOCUMENTS
from jobs.registry import job_kind
from jobs.services import Run
from reports import documents
from reports.models import Dossier, Report
from reports.services.dossier import dossier_build
from reports.services.issuing import issued_file_names, report_issue
from reports.trail_export import trail_export_record, trail_xlsx


def issued_url(report: Report) -> str:
    return reverse("reports:issued", args=[report.assessment_id, report.pk])


def issued_note(report: Report) -> str:
    return f"Đã ban hành {report.number_text} ngày {report.issue_date:%d/%m/%Y}."


DOSSIER_NOTE = "Đã lập hồ sơ gửi thành phố. Tải về ở mục “Hồ sơ gửi Sở Nội vụ” bên dưới."


@job_kind("reports.issue")
def issue(run: Run) -> None:
    """params: report, reason (the leader's, when scores are not all approved), back."""
    report = Report.objects.get(pk=run.params["report"])
    run.progress(10, "Đang cấp số, tạo văn bản và lưu các tệp ban hành")
    names = {kind: run.track(DOCUMENTS, name) for kind, name in issued_file_names(report).items()}

    def done(issued: Report) -> None:
        run.finish(url=issued_url(issued), note=issued_note(issued))

    report_issue(
        report=report,
        by=run.job.user,
        override_reason=run.params.get("reason", ""),
        file_names=names,
        on_issued=done,
    )


@job_kind("reports.dossier")
def dossier(run: Run) -> None:
    """params: report, back."""
    report = Report.objects.select_related("assessment__commune").get(pk=run.params["report"])
    run.progress(0, "Đang chuẩn bị hồ sơ")
    field = Dossier._meta.get_field("file")
    name = run.track(DOCUMENTS, field.generate_filename(Dossier(report=report), "dossier.zip"))

    def done(saved: Dossier) -> None:
        run.finish(url=issued_url(report), note=DOSSIER_NOTE)

    dossier_build(report=report, by=run.job.user, name=name, progress=run.progress, on_saved=done)


@job_kind("reports.trail_xlsx")
def trail_export(run: Run) -> None:
    """The audit trail's export for the person who asked for it, recorded as theirs (and as
    coming from their request's address)."""
    user = run.job.user
    run.progress(10, "Đang đọc nhật ký hoạt động")
    export = trail_xlsx(user=user, filters=run.params.get("filters", {}))
    run.progress(80, "Đang lưu tệp")
    run.save_result(export.data, export.name)
    with restored(run.params.get("origin")), transaction.atomic():
        trail_export_record(export, user=user)
        run.finish(note=f"Đã xuất {export.rows} mục nhật ký.")


DRAFT_TITLES = {
    "report": "Tạo tệp PDF dự thảo báo cáo",
    "appendix": "Tạo tệp PDF dự thảo phụ lục",
}


@job_kind("reports.pdf")
def draft_pdf(run: Run) -> None:
    """Render a draft's PDF into the documents cache; the job's result is the download URL
    that started it, which now finds the PDF there (reports.views.report)."""
    report = Report.objects.select_related(
        "assessment__commune", "assessment__criteria_set", "signer__membership"
    ).get(pk=run.params["report"])
    run.progress(10, "Đang dựng tệp PDF")
    documents.draft_pdf_make(report, run.params["kind"])
    run.finish(url=run.params["url"])
