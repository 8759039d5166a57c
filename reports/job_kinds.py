"""The reports' jobs (jobs.registry): work a download should not hold its request for."""

from __future__ import annotations

from jobs.registry import job_kind
from jobs.services import Run
from reports import documents
from reports.models import Report

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
