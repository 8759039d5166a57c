"""The report and its appendix as HTML (the preview) and PDF (the same HTML, by WeasyPrint)."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import qrcode
from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.urls import reverse
from qrcode.image.pil import PilImage

from assessments.selectors import ResultNode, Results, assessment_results
from guards.versions import code_hash, report_version
from reports.appendix import AppendixRow, appendix
from reports.fields import LiveData
from reports.models import Report, ReportSection
from reports.rendering import render_all

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
PDF_CACHE_SECONDS = 7 * 24 * 3600
DRAFT_KINDS = ("report", "appendix")


@dataclass
class ShortfallRow:
    number: int
    title: str
    max_points: Decimal
    unit: str
    reason: str
    code: str = ""
    points: Decimal | None = None  # the points that count now ("Điểm đạt")


def shortfall_reason(leaf: ResultNode) -> str:
    """The reason that counts: the leader's when the leader changed the unit's points, else
    the unit's own."""
    score = leaf.score
    if score is None:
        return ""
    leader_changed = (
        score.leader_points is not None and score.leader_points != score.proposed_points
    )
    if leader_changed and score.leader_reason.strip():
        return score.leader_reason.strip()
    return score.shortfall_reason


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
            reason=shortfall_reason(leaf),
            code=leaf.criterion.code,
            points=leaf.current_points,
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
    """The report template's context. Each section carries `expanded` (its text with the live
    fields substituted, report markup, one paragraph per line: what the DOCX writes) and
    `html` (the same, rendered), from one `assessment_results()`."""
    data = LiveData(report, results or assessment_results(report.assessment))
    sections = list(report.sections.all())
    for section in sections:
        rendered = data.section(section, highlight=not for_pdf)
        section.expanded = rendered.expanded  # type: ignore[attr-defined]  # for the templates
        section.html = rendered.html  # type: ignore[attr-defined]
    commune = report.assessment.commune
    statement = data.statement
    return {
        # why no level is named: a note on the screen preview, never in the PDF
        "level_note": "" if for_pdf else statement.why_not_stated,
        "report": report,
        "assessment": report.assessment,
        "commune": commune,
        "agency_lines": [
            "ỦY BAN NHÂN DÂN",
            f"{commune.get_kind_display().upper()} {commune.name.upper()}",
        ],
        "sections": sections,
        "shortfalls": shortfall_rows(data.results),
        "table_shortfalls": ReportSection.Table.SHORTFALLS,
        "place_and_date": place_and_date(report),
        "font_base": font_base(for_pdf),
        "for_pdf": for_pdf,
    }


def appendix_context(
    report: Report, *, for_pdf: bool, results: Results | None = None, electronic: bool = False
) -> dict:
    """The appendix template's context: the read model of `reports.appendix`."""
    table = appendix(report, results=results, electronic=electronic)
    return {
        "report": report,
        "assessment": table.assessment,
        "appendix": table,
        "blocks": row_blocks(table.rows),
        "font_base": font_base(for_pdf),
        "for_pdf": for_pdf,
    }


def row_blocks(rows: list[AppendixRow]) -> list[list[AppendixRow]]:
    """The appendix rows cut into blocks that must stay on one page: a criterion with
    children goes with the row after it (its first child, in tree order), so a group row is
    never left alone at the bottom of a page. The template puts each block in its own
    `<tbody>` (`break-inside: avoid`: WeasyPrint ignores `break-after` on table rows)."""
    blocks: list[list[AppendixRow]] = []
    for row in rows:
        if blocks and not blocks[-1][-1].is_leaf:
            blocks[-1].append(row)
        else:
            blocks.append([row])
    return blocks


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    signature_box: dict  # where the signature space landed (see reports.rendering.render)


def _pdfs(
    jobs: list[tuple[str, str | None]], *, cached: bool, identifier: str | None = None
) -> list[RenderedPdf]:
    """PDFs of (html, class to locate) jobs, side by side (reports.rendering). The same HTML
    always gives the same PDF (WeasyPrint adds no timestamp), so a PDF is kept in the cache
    under the hash of its HTML: a secretary who previews, then downloads, then downloads
    again waits for one rendering only. With `identifier` (issued documents), the PDFs get
    their own /ID ("<identifier>/<n>"), so no draft is ever byte-identical to them."""
    import weasyprint  # noqa: PLC0415 (about a second to import: paid by PDF pages only)

    cache = caches["documents"]
    ids = [f"{identifier}/{index}" if identifier else None for index in range(len(jobs))]
    keys = [
        "pdf:"
        + hashlib.sha256(f"{weasyprint.__version__}\n{find}\n{pdf_id}\n{html}".encode()).hexdigest()
        for (html, find), pdf_id in zip(jobs, ids, strict=True)
    ]
    found: list[tuple[bytes, dict[str, Any]] | None]
    found = [cache.get(key) if cached else None for key in keys]
    missing = [index for index, hit in enumerate(found) if hit is None]
    base = str(settings.BASE_DIR)
    rendered = render_all([(jobs[index][0], base, jobs[index][1], ids[index]) for index in missing])
    for index, (data, box) in zip(missing, rendered, strict=True):
        found[index] = (data, box)
        if cached:
            cache.set(keys[index], (data, box), timeout=PDF_CACHE_SECONDS)
    return [RenderedPdf(data=data, signature_box=box) for data, box in filter(None, found)]


def render_pdf(template: str, context: dict, *, cached: bool = True) -> bytes:
    """The PDF of any document template (e.g. the dossier's evidence list)."""
    return _pdfs([(render_to_string(template, context), None)], cached=cached)[0].data


def render_signable_pdf(template: str, context: dict, *, identifier: str) -> RenderedPdf:
    """An issued document of any template (e.g. the city's): its PDF with its own /ID, never
    from the cache, and where its signature space ("signature-space") landed, for signing."""
    html = render_to_string(template, context)
    return _pdfs([(html, "signature-space")], cached=False, identifier=identifier)[0]


def render_pdfs(
    report: Report,
    kinds: tuple[str, ...] = ("report", "appendix"),
    *,
    issued: bool = False,
    cached: bool = True,
) -> list[RenderedPdf]:
    """The report's and the appendix's PDFs, the one way they are made: the preview's
    downloads and issuing alike. Issued (`issued=True`), the report carries the verification
    QR code on page 1 and the box of its signature space, and the appendix leaves its
    reference to the organisation's signature stamp. Not issued, every page of both carries
    the "DỰ THẢO" watermark, so a downloaded draft never looks like (or is) the issued file."""
    jobs: list[tuple[str, str | None]] = []
    for kind in kinds:
        if kind == "report":
            context = report_context(report, for_pdf=True)
            context["draft"] = not issued
            if issued:
                url = verification_url(report)
                context.update(verify_url=url, verify_qr=qr_data_uri(url))
            html = render_to_string("reports/report_document.html", context)
            jobs.append((html, "signature-space" if issued else None))
        else:
            context = appendix_context(report, for_pdf=True, electronic=issued)
            context["draft"] = not issued
            jobs.append((render_to_string("reports/appendix_document.html", context), None))
    identifier = f"cqtt-issued:{report.verify_token}" if issued else None
    return _pdfs(jobs, cached=cached, identifier=identifier)


def report_pdf(report: Report, *, cached: bool = True) -> bytes:
    return render_pdfs(report, ("report",), cached=cached)[0].data


def appendix_pdf(report: Report, *, cached: bool = True) -> bytes:
    return render_pdfs(report, ("appendix",), cached=cached)[0].data


def shortfall_rows_for(report: Report) -> list[ShortfallRow]:
    return shortfall_rows(assessment_results(report.assessment))


# -- Issued documents: the number, the date, the verification QR code, the signature boxes ----


def verification_url(report: Report) -> str:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return base + reverse("verify:document", args=[report.verify_token])


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, box_size=6, border=1, image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# -- Draft PDFs by data version: a hit costs no results and no template ------------------------


def _code_files() -> list[Path]:
    """What the drafts are made by, besides the data: the templates, this app's code and the
    reads it calls, and the fonts (by name). A deploy that changes any of them misses."""
    base = Path(settings.BASE_DIR)
    apps_code = [base / app for app in ("reports", "assessments", "criteria", "evidence")]
    return [
        *sorted((base / "templates" / "reports").glob("*.html")),
        *(
            path
            for folder in apps_code
            for path in sorted(folder.rglob("*.py"))
            if "migrations" not in path.parts
        ),
    ]


def _code_version() -> str:
    fonts = ",".join(sorted(path.name for path in FONTS.iterdir()))
    return f"{importlib.metadata.version('weasyprint')}-{code_hash(*_code_files())}-{fonts}"


DRAFT_CODE = hashlib.sha256(_code_version().encode()).hexdigest()[:12]


def draft_version(report: Report) -> str:
    """The version of a draft's PDFs (no query: the counters of guards.versions)."""
    return report_version(report, report.assessment)


def draft_pdf_key(report: Report, kind: str, version: str) -> str:
    return f"draft:{DRAFT_CODE}:{kind}:{report.pk}:{version}"


def cached_draft_pdf(report: Report, kind: str, version: str) -> bytes | None:
    """The draft PDF (report or appendix) of this version of the data, if one was made."""
    data = caches["documents"].get(draft_pdf_key(report, kind, version))
    return data if isinstance(data, bytes) else None


def draft_pdf_make(report: Report, kind: str) -> bytes:
    """Render a draft PDF (the job "reports.pdf", or a request whose cache cannot keep it) and
    keep it under the version read BEFORE its data: a change while it renders leaves it under
    the old version, which nobody asks for any more."""
    if kind not in DRAFT_KINDS:
        raise ValueError(f"Unknown draft document {kind!r}")
    version = draft_version(report)
    data = render_pdfs(report, (kind,))[0].data
    caches["documents"].set(draft_pdf_key(report, kind, version), data, PDF_CACHE_SECONDS)
    return data
