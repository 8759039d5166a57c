"""The city's documents, as drafts: Sở Nội vụ's report of the appraisal's results (báo cáo kết
quả thẩm định) and the draft decision recognising the communes the council recommended
(Quyết định công nhận, with its list as an appendix). Nghị định 30/2020's layout, rendered by
the reports app's renderer with the "DỰ THẢO" mark on every page.

Every figure comes from the data (the round, its submissions' stored standing, the council's
results); every legal basis named is one the data holds (the criteria set's decision, the
council's session). Issuing, numbering and signing them go through the reports app's path
in a later step (issue 14 note)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone

from appraisal.council_services import concluded_with_result
from appraisal.models import CityDocument, CouncilItem, Round, Submission
from appraisal.standing import ranking
from assessments.levels import set_levels_verified, why_set_levels_unverified
from assessments.models import Assessment, Commune, Score
from criteria.models import Level
from reports.documents import font_base, render_pdf

SUMMARY_TEMPLATE = "appraisal/documents/summary_document.html"
DECISION_TEMPLATE = "appraisal/documents/decision_document.html"


def _date_line(place: str, year: int, document: CityDocument | None = None) -> str:
    if document is None:
        return f"{place}, ngày\u2003\u2003tháng\u2003\u2003năm {year}"
    day = document.issue_date
    return f"{place}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def department_code(department: str) -> str:
    """'Sở Nội vụ' -> 'SNV': the department's letters in its documents' symbols."""
    return "".join(word[0] for word in department.split()).upper()


# The issuing body's register (reports.NumberSequence.book) and symbol of each document.
COMMITTEE_BOOK = "UBND"


def book_and_symbol(kind: str, department: str) -> tuple[str, str]:
    if kind == CityDocument.Kind.SUMMARY:
        code = department_code(department)
        return code, f"BC-{code}"
    return COMMITTEE_BOOK, "QĐ-UBND"


# Nghị định 30/2020, Phụ lục I: who signs for the body, by the signer's authority.
AUTHORITY_LINES = {
    CityDocument.Kind.SUMMARY: {
        CityDocument.Authority.HEAD: ["GIÁM ĐỐC"],
        CityDocument.Authority.DEPUTY: ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"],
        CityDocument.Authority.ACTING: ["Q. GIÁM ĐỐC"],
    },
    CityDocument.Kind.DECISION: {
        CityDocument.Authority.HEAD: ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
        CityDocument.Authority.DEPUTY: ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
        CityDocument.Authority.ACTING: ["TM. ỦY BAN NHÂN DÂN", "Q. CHỦ TỊCH"],
    },
}


def _issued_words(
    kind: str, document: CityDocument | None, department: str, draft_number: str
) -> dict:
    """Number, signer block and draft mark: blank spaces and the draft mark until issued."""
    authority = CityDocument.Authority.HEAD
    if document is not None:
        authority = CityDocument.Authority(document.authority)
    _book, symbol = book_and_symbol(kind, department)
    return {
        "number_text": f"Số: {document.number_text}" if document else draft_number,
        "reference_number": document.number_text if document else f"\u2003\u2003/{symbol}",
        "reference_date": f"{document.issue_date:%d/%m/%Y}" if document else "\u2003\u2003",
        "authority_lines": AUTHORITY_LINES[kind][authority],
        "signer_name": document.signer_name if document else "",
        "draft": document is None,
        "document": document,
    }


def _period_words(round_: Round) -> str:
    return f"{round_.get_period_display().lower()} {round_.year}"


def _basis(round_: Round) -> str:
    """'Quyết định số 5049/QĐ-UBND ngày 11/12/2025 của Ủy ban nhân dân thành phố Hải Phòng'
    from the criteria set's own data ('' when the set names no decision)."""
    criteria_set = round_.criteria_set
    if not criteria_set.decision_number:
        return ""
    text = f"Quyết định số {criteria_set.decision_number}"
    if criteria_set.decision_date:
        text += f" ngày {criteria_set.decision_date:%d/%m/%Y}"
    if criteria_set.issuing_body:
        text += f" của {criteria_set.issuing_body}"
    return text


def _level_words(round_: Round, *, for_pdf: bool) -> dict:
    """Whether the documents may name levels (assessments.levels: only when the criteria
    set's levels are verified), and, on the screen preview only, why they do not."""
    verified = set_levels_verified(round_.criteria_set)
    note = "" if verified or for_pdf else why_set_levels_unverified(round_.criteria_set)
    return {"levels_verified": verified, "level_note": note}


@dataclass
class Recognised:
    commune: Commune
    total: Decimal | None
    level: Level | None


def council_results(round_: Round) -> dict[int, CouncilItem]:
    """The latest decided council item of each submission of the round (submission id ->)."""
    items = (
        CouncilItem.objects.filter(session__round=round_)
        .exclude(result=CouncilItem.Result.PENDING)
        .select_related("level", "session")
        .order_by("decided_at", "id")
    )
    return {item.submission_id: item for item in items}


def decided_submissions(round_: Round) -> list[Submission]:
    """The submissions a recognition decision settles now: concluded, with the council's
    result (those an earlier decision settled are no longer concluded)."""
    return [s for s, item in concluded_with_result(round_) if item is not None]


def recognised_by_level(
    round_: Round, among: list[int] | None = None
) -> list[tuple[Level, list[Recognised]]]:
    """The communes the council recommended, per level (highest level first), by name;
    `among`: only these submissions (a decision lists those it settles)."""
    results = council_results(round_)
    wanted = list(results) if among is None else [pk for pk in among if pk in results]
    submissions = Submission.objects.filter(pk__in=wanted).select_related("assessment__commune")
    groups: dict[int, list[Recognised]] = {}
    levels: dict[int, Level] = {}
    for submission in submissions:
        item = results[submission.pk]
        if item.result != CouncilItem.Result.RECOGNISED or item.level is None:
            continue
        levels[item.level_id] = item.level  # type: ignore[index]
        groups.setdefault(item.level_id, []).append(  # type: ignore[arg-type]
            Recognised(submission.assessment.commune, item.total, item.level)
        )
    ordered = sorted(levels.values(), key=lambda lv: -(lv.min_points or Decimal(0)))
    return [
        (level, sorted(groups[level.pk], key=lambda r: (-(r.total or 0), r.commune.name)))
        for level in ordered
    ]


def summary_context(
    round_: Round, *, for_pdf: bool = True, document: CityDocument | None = None
) -> dict:
    city = round_.city
    communes = Counter(Commune.objects.filter(city=city).values_list("kind", flat=True))
    assessed = Assessment.objects.filter(
        commune__city=city, year=round_.year, period=round_.period
    ).count()
    submissions = list(
        Submission.objects.filter(round=round_).select_related("assessment__commune")
    )
    on_time = sum(
        1
        for s in submissions
        if timezone.localtime(s.submitted_at).date() <= round_.submission_deadline
    )
    appraised = [s for s in submissions if s.appraised_total is not None]
    results = council_results(round_)
    recognised = recognised_by_level(round_)
    not_recognised = sum(
        1 for item in results.values() if item.result == CouncilItem.Result.NOT_RECOGNISED
    )
    losses = list(
        Score.objects.filter(
            assessment__submission__round=round_,
            appraised_points__isnull=False,
            appraised_points__lt=F("criterion__max_points"),
        )
        .values("criterion__code", "criterion__title", "criterion__order")
        .annotate(
            communes=Count("id"), lost=Sum(F("criterion__max_points") - F("appraised_points"))
        )
        .order_by("-communes", "-lost", "criterion__order")[:5]
    )
    lowered = sum(
        1
        for s in appraised
        if s.self_total is not None
        and s.appraised_total is not None
        and s.appraised_total < s.self_total
    )
    return {
        "round": round_,
        "city": city,
        "agency_lines": [
            f"ỦY BAN NHÂN DÂN {city.kind_name.upper()} {city.name.upper()}",
            city.department.upper(),
        ],
        "place_and_date": _date_line(city.document_place, round_.year, document),
        "summary": (
            "Kết quả thẩm định kết quả đánh giá “Chính quyền thân thiện” "
            f"{_period_words(round_)} của các xã, phường, đặc khu"
        ),
        "basis": _basis(round_),
        "communes_total": sum(communes.values()),
        "communes_by_kind": [
            (label, communes.get(value, 0)) for value, label in Commune.Kind.choices
        ],
        "assessed": assessed,
        "submitted": len(submissions),
        "on_time": on_time,
        "late": len(submissions) - on_time,
        "appraised": len(appraised),
        "lowered": lowered,
        "recognised": recognised,
        "recognised_count": sum(len(rows) for _level, rows in recognised),
        "not_recognised": not_recognised,
        "losses": losses,
        "blocks": ranking(round_),
        **_level_words(round_, for_pdf=for_pdf),
        **_issued_words(
            CityDocument.Kind.SUMMARY,
            document,
            city.department,
            f"Số:\u2003\u2003\u2003/BC-{department_code(city.department)}",
        ),
        "department": city.department,
        "font_base": font_base(for_pdf),
        "for_pdf": for_pdf,
    }


def decision_context(
    round_: Round, *, for_pdf: bool = True, document: CityDocument | None = None
) -> dict:
    city = round_.city
    if document is not None:
        among = list(document.submissions.values_list("pk", flat=True))
    else:
        among = [s.pk for s in decided_submissions(round_)]
    results = council_results(round_)
    sessions = sorted(
        {results[pk].session for pk in among if pk in results}, key=lambda s: s.held_on
    )
    recognised = recognised_by_level(round_, among)
    committee = f"ỦY BAN NHÂN DÂN {city.kind_name.upper()} {city.name.upper()}"
    return {
        "round": round_,
        "city": city,
        "agency_top": [],
        "agency_lines": ["ỦY BAN NHÂN DÂN", f"{city.kind_name.upper()} {city.name.upper()}"],
        "committee": committee,
        "place_and_date": _date_line(city.document_place, round_.year, document),
        "summary": (
            "Về việc công nhận xã, phường, đặc khu đạt “Chính quyền thân thiện” "
            f"{_period_words(round_)}"
        ),
        "basis": _basis(round_),
        "sessions": sessions,
        "recognised": recognised,
        "recognised_count": sum(len(rows) for _level, rows in recognised),
        "recognised_all": sorted(
            (row for _level, rows in recognised for row in rows),
            key=lambda r: (-(r.total or 0), r.commune.name),
        ),
        "department": city.department,
        "font_base": font_base(for_pdf),
        "for_pdf": for_pdf,
        **_level_words(round_, for_pdf=for_pdf),
        **_issued_words(
            CityDocument.Kind.DECISION, document, city.department, "Số:\u2003\u2003\u2003/QĐ-UBND"
        ),
    }


def summary_pdf(round_: Round) -> bytes:
    return render_pdf(SUMMARY_TEMPLATE, summary_context(round_))


def decision_pdf(round_: Round) -> bytes:
    return render_pdf(DECISION_TEMPLATE, decision_context(round_))
