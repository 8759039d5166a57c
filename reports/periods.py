"""The issued reports and dossiers of each period, for the period switcher (assessments.periods).

Registered in ReportsConfig.ready: the assessments app lists the periods, this adds the links
to what was issued in each, for the people who may open them (the commune's reviewers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.urls import reverse

from assessments.access import is_reviewer
from assessments.periods import DocumentLink, PeriodRow
from reports.models import Dossier, Report

if TYPE_CHECKING:
    from assessments.access import User


def issued_documents(user: User, rows: list[PeriodRow]) -> None:
    """Append to each row its issued reports (the page, the signed PDF) and latest dossier.
    Two queries whatever the number of periods; none when the person may open none."""
    shown = {row.assessment.pk: row for row in rows if is_reviewer(user, row.assessment)}
    if not shown:
        return
    reports = (
        Report.objects.filter(assessment_id__in=shown, status=Report.Status.ISSUED)
        .prefetch_related(Prefetch("dossiers", queryset=Dossier.objects.order_by("-created_at")))
        .order_by("issued_at", "pk")
    )
    for report in reports:
        row = shown[report.assessment_id]
        args = [report.assessment_id, report.pk]
        number = f"số {report.number:02d}/{report.symbol}" if report.number else ""
        label = f"{report.get_kind_display()} {number}".strip()
        if report.reopened_at:
            label += " (đã mở lại)"
        row.documents.append(DocumentLink(label, reverse("reports:issued", args=args)))
        row.documents.append(
            DocumentLink(
                "Tệp PDF báo cáo",
                reverse("reports:latest", args=[*args, "report"]),
                "bi-file-earmark-pdf",
            )
        )
        dossiers = list(report.dossiers.all())
        if dossiers:
            row.documents.append(
                DocumentLink(
                    f"Hồ sơ gửi thành phố ({dossiers[0].created_at:%d/%m/%Y})",
                    reverse("reports:dossier_download", args=[*args, dossiers[0].pk]),
                    "bi-file-earmark-zip",
                )
            )
