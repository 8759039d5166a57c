"""The report and its appendix as HTML (the preview) and PDF (the same HTML, by WeasyPrint)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string

from assessments.selectors import Results, assessment_results
from evidence.selectors import evidence_by_criterion
from reports import markup
from reports.models import Report, ReportSection

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
PDF_CACHE_SECONDS = 7 * 24 * 3600


@dataclass
class ShortfallRow:
    number: int
    title: str
    max_points: Decimal
    unit: str
    reason: str


def shortfall_rows(results: Results) -> list[ShortfallRow]:
    """The "Tồn tại, hạn chế" table: every sub-criterion below its maximum, in tree order."""
    losing = sorted(results.losing, key=lambda leaf: leaf.criterion.order)
    return [
        ShortfallRow(
            number=index,
            title=leaf.criterion.title,
            max_points=leaf.criterion.max_points,
            unit=leaf.assignment.lead_unit.name
            if leaf.assignment and leaf.assignment.lead_unit
            else "",
            reason=leaf.score.shortfall_reason if leaf.score else "",
        )
        for index, leaf in enumerate(losing, start=1)
    ]


def place_and_date(report: Report) -> str:
    place = report.assessment.commune.document_place
    if report.issue_date is None:
        return f"{place}, ngày\u2003\u2003tháng\u2003\u2003năm {report.assessment.year}"
    day = report.issue_date
    return f"{place}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def font_base(for_pdf: bool) -> str:
    return FONTS.as_uri() + "/" if for_pdf else settings.STATIC_URL.rstrip("/") + "/fonts/"


def report_context(report: Report, *, for_pdf: bool, results: Results | None = None) -> dict:
    results = results or assessment_results(report.assessment)
    sections = list(report.sections.all())
    for section in sections:
        section.html = markup.render(section.body)
    commune = report.assessment.commune
    return {
        "report": report,
        "assessment": report.assessment,
        "commune": commune,
        "agency_lines": [
            "ỦY BAN NHÂN DÂN",
            f"{commune.get_kind_display().upper()} {commune.name.upper()}",
        ],
        "sections": sections,
        "shortfalls": shortfall_rows(results),
        "table_shortfalls": ReportSection.Table.SHORTFALLS,
        "place_and_date": place_and_date(report),
        "font_base": font_base(for_pdf),
        "for_pdf": for_pdf,
    }


@dataclass
class AppendixRow:
    node: object  # assessments.selectors.ResultNode
    evidence: list

    @property
    def note(self) -> str:
        score = self.node.score
        if score is None:
            return ""
        parts = []
        if score.not_arising:
            parts.append("Không phát sinh.")
        if score.shortfall_reason and self.node.lost > 0:
            parts.append(score.shortfall_reason)
        if score.leader_reason:
            parts.append(f"Lãnh đạo điều chỉnh: {score.leader_reason}")
        return " ".join(parts)


def appendix_context(
    report: Report, *, for_pdf: bool, results: Results | None = None, electronic: bool = False
) -> dict:
    assessment = report.assessment
    results = results or assessment_results(assessment)
    evidence = evidence_by_criterion(assessment)
    rows = [AppendixRow(node, evidence.get(node.criterion.pk, [])) for node in results.rows()]
    commune = assessment.commune
    kind = commune.get_kind_display().lower()
    # An electronic appendix leaves the reference unfilled: the organisation's digital
    # signature stamp gives the number and the time (Nghị định 30/2020, Phụ lục I, III.1).
    if report.number is None or electronic:
        reference = (
            f"(Kèm theo Báo cáo số\u2003\u2003/{report.symbol} ngày\u2003\u2003tháng\u2003\u2003"
            f"năm {assessment.year} của Ủy ban nhân dân {kind} {commune.name})"
        )
    else:
        day = report.issue_date
        reference = (
            f"(Kèm theo Báo cáo số {report.number:02d}/{report.symbol} ngày {day:%d} tháng "
            f"{day:%m} năm {day:%Y} của Ủy ban nhân dân {kind} {commune.name})"
        )
    return {
        "report": report,
        "assessment": assessment,
        "results": results,
        "rows": rows,
        "reference": reference,
        "font_base": font_base(for_pdf),
        "for_pdf": for_pdf,
    }


def render_pdf(template: str, context: dict, *, cached: bool = True) -> bytes:
    """The PDF of `template`. The same HTML always gives the same PDF (WeasyPrint adds no
    timestamp), so a PDF is kept in the cache under the hash of its HTML: a secretary who
    previews, then downloads, then downloads again waits for one rendering only."""
    import weasyprint  # imported lazily: it costs about a second at start-up

    html = render_to_string(template, context)
    key = "pdf:" + hashlib.sha256(f"{weasyprint.__version__}\n{html}".encode()).hexdigest()
    if cached and (pdf := caches["documents"].get(key)) is not None:
        return pdf
    pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    caches["documents"].set(key, pdf, timeout=PDF_CACHE_SECONDS)
    return pdf


def report_pdf(report: Report, *, cached: bool = True) -> bytes:
    return render_pdf(
        "reports/report_document.html", report_context(report, for_pdf=True), cached=cached
    )


def appendix_pdf(report: Report, *, cached: bool = True) -> bytes:
    return render_pdf(
        "reports/appendix_document.html", appendix_context(report, for_pdf=True), cached=cached
    )


def shortfall_rows_for(report: Report) -> list[ShortfallRow]:
    return shortfall_rows(assessment_results(report.assessment))


# -- Issued documents: the number, the date, the verification QR code, the signature boxes ----


def verification_url(report: Report) -> str:
    from django.urls import reverse

    base = settings.PORTAL_BASE_URL.rstrip("/")
    return base + reverse("verify:document", args=[report.verify_token])


def qr_data_uri(text: str) -> str:
    import base64
    import io

    import qrcode

    image = qrcode.make(text, box_size=6, border=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def issued_documents(report: Report) -> tuple[bytes, dict, bytes]:
    """The report as issued (number, date, verification QR code on page 1) with the box of
    its signature space, and the appendix; rendered side by side (reports.rendering)."""
    from reports.rendering import render_all

    context = report_context(report, for_pdf=True)
    url = verification_url(report)
    context.update(verify_url=url, verify_qr=qr_data_uri(url))
    appendix = appendix_context(report, for_pdf=True, electronic=True)
    base = str(settings.BASE_DIR)
    (report_pdf_bytes, box), (appendix_bytes, _) = render_all(
        [
            (render_to_string("reports/report_document.html", context), base, "signature-space"),
            (render_to_string("reports/appendix_document.html", appendix), base, None),
        ]
    )
    return report_pdf_bytes, box, appendix_bytes


def report_and_appendix_pdfs(report: Report) -> tuple[bytes, bytes]:
    """Both PDFs of a draft, side by side (reports.rendering); the bench measures this."""
    from reports.rendering import render_all

    base = str(settings.BASE_DIR)
    (report_bytes, _), (appendix_bytes, _) = render_all(
        [
            (
                render_to_string(
                    "reports/report_document.html", report_context(report, for_pdf=True)
                ),
                base,
                None,
            ),
            (
                render_to_string(
                    "reports/appendix_document.html", appendix_context(report, for_pdf=True)
                ),
                base,
                None,
            ),
        ]
    )
    return report_bytes, appendix_bytes
