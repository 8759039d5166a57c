"""Evidence reads shared by the pages, the ZIP export and (later) the report appendix."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from assessments.models import Assessment, Assignment
from criteria.models import Criterion
from evidence.models import Evidence, EvidenceFile, EvidenceLink
from evidence.text import fold

SEARCH_MAX_WORDS = 20


def evidence_queryset() -> QuerySet[Evidence]:
    return Evidence.objects.select_related(
        "current_file",
        "criterion",
        "created_by",
        "created_by__membership__unit",
        "reused_from__assessment",  # "Dùng lại từ 6 tháng đầu năm 2026"
    ).prefetch_related(
        Prefetch(
            "links",
            queryset=EvidenceLink.objects.select_related("criterion").order_by("criterion__order"),
        )
    )


def evidence_for_criterion(
    assessment: Assessment, criterion: Criterion, *, deleted: bool = False
) -> list[Evidence]:
    """Evidence backing one sub-criterion (its own and linked), oldest code first."""
    items = list(
        evidence_queryset()
        .filter(assessment=assessment, links__criterion=criterion, deleted_at__isnull=not deleted)
        .order_by("criterion__order", "sequence")
    )
    for evidence in items:
        evidence.assessment = assessment  # permission checks read it; no query per row
    return items


def evidence_search(
    assessment: Assessment,
    *,
    q: str = "",
    unit_id: int | None = None,
    criterion_ids: list[int] | None = None,
    deleted: bool = False,
) -> QuerySet[Evidence]:
    """Newest first; `q` matches code, title, number, issuer or file name, without accents."""
    queryset = evidence_queryset().filter(assessment=assessment, deleted_at__isnull=not deleted)
    # Each word is one more condition; past a few, a query only adds work (SQLite refuses
    # thousands of them outright).
    for word in fold(q).split()[:SEARCH_MAX_WORDS]:
        queryset = queryset.filter(search_text__contains=word)
    if unit_id:
        led = Assignment.objects.filter(
            assessment=assessment, criterion=OuterRef("criterion")
        ).filter(Q(lead_unit_id=unit_id) | Q(supporting_units__id=unit_id))
        queryset = queryset.filter(Exists(led))
    if criterion_ids is not None:
        queryset = queryset.filter(links__criterion_id__in=criterion_ids).distinct()
    return queryset.order_by("-created_at", "-id")


def evidence_totals(assessment: Assessment) -> dict[str, Any]:
    return Evidence.objects.filter(assessment=assessment, deleted_at__isnull=True).aggregate(
        count=Count("id"), size=Sum("current_file__size")
    )


def evidence_count_by_criterion(assessment: Assessment) -> dict[int, int]:
    """criterion id -> number of (not deleted) evidence backing it."""
    rows = (
        EvidenceLink.objects.filter(
            evidence__assessment=assessment, evidence__deleted_at__isnull=True
        )
        .values("criterion_id")
        .annotate(n=Count("id"))
    )
    return {row["criterion_id"]: row["n"] for row in rows}


def evidence_ids_by_criterion(assessment: Assessment) -> dict[int, set[int]]:
    """criterion id -> ids of the (not deleted) evidence backing it, in one query.

    Sets rather than counts, so that a unit's or a criterion's total counts an evidence
    linked to several of its sub-criteria once."""
    rows = EvidenceLink.objects.filter(
        evidence__assessment=assessment, evidence__deleted_at__isnull=True
    ).values_list("criterion_id", "evidence_id")
    backing: dict[int, set[int]] = {}
    for criterion_id, evidence_id in rows:
        backing.setdefault(criterion_id, set()).add(evidence_id)
    return backing


def evidence_totals_of(queryset: QuerySet[Evidence]) -> dict[str, Any]:
    """Count and total size of the evidence in `queryset` (e.g. a filtered search)."""
    return Evidence.objects.filter(pk__in=queryset.values("pk")).aggregate(
        count=Count("id"), size=Sum("current_file__size")
    )


def evidence_links_for_archive(
    assessment: Assessment, criterion_ids: list[int] | None = None
) -> QuerySet[EvidenceLink]:
    """Every (not deleted) evidence with each sub-criterion it backs, in tree and code order:
    one row per file the ZIP will hold."""
    queryset = EvidenceLink.objects.filter(
        evidence__assessment=assessment,
        evidence__deleted_at__isnull=True,
        evidence__current_file__isnull=False,
    ).select_related("criterion", "evidence__current_file")
    if criterion_ids is not None:
        queryset = queryset.filter(criterion_id__in=criterion_ids)
    return queryset.order_by(
        "criterion__order", "evidence__criterion__order", "evidence__sequence", "evidence_id"
    )


def evidence_by_criterion(assessment: Assessment) -> dict[int, list[Evidence]]:
    """criterion id -> the (not deleted) evidence backing it, by code; one query.

    For the report's appendix, which lists the evidence of every sub-criterion."""
    links = (
        EvidenceLink.objects.filter(
            evidence__assessment=assessment, evidence__deleted_at__isnull=True
        )
        .select_related("evidence")
        .order_by("evidence__criterion__order", "evidence__sequence")
    )
    backing: dict[int, list[Evidence]] = {}
    for link in links:
        backing.setdefault(link.criterion_id, []).append(link.evidence)
    return backing


def evidence_snapshot(assessment: Assessment) -> list[dict[str, Any]]:
    """The evidence of the assessment as it is now, as plain data to freeze (the report's
    evidence list at issuing): one row per (sub-criterion, evidence) link, in the order of
    the evidence ZIP, with codes, descriptions, files and SHA-256."""
    rows = []
    for link in evidence_links_for_archive(assessment):
        evidence, file = link.evidence, link.evidence.current_file
        assert file is not None  # evidence_links_for_archive keeps evidence with a file only
        rows.append(
            {
                "criterion": link.criterion.code,
                "code": evidence.code,
                "title": evidence.title,
                "doc_number": evidence.doc_number,
                "issue_date": evidence.issue_date.isoformat() if evidence.issue_date else "",
                "issuer": evidence.issuer,
                "location": evidence.location,
                "file_id": evidence.current_file_id,
                "file_name": file.original_name,
                "size": file.size,
                "sha256": file.sha256,
            }
        )
    return rows


def evidence_files_by_id(ids: list[int]) -> dict[int, EvidenceFile]:
    """id -> EvidenceFile, for files named in a frozen snapshot (they may have been replaced
    since, never removed)."""
    return EvidenceFile.objects.in_bulk(ids)


def previous_period_evidence(assessment: Assessment, criterion: Criterion) -> list[Evidence]:
    """The previous period's (not deleted) evidence of the sub-criterion with the same code,
    each with `reused_as`: the code of its live reuse in `assessment`, or None. One query."""
    if assessment.previous_id is None:
        return []
    reuse = Evidence.objects.filter(
        assessment=assessment, reused_from=OuterRef("pk"), deleted_at__isnull=True
    ).values("code")[:1]
    return list(
        Evidence.objects.filter(
            assessment_id=assessment.previous_id,
            deleted_at__isnull=True,
            current_file__isnull=False,
            links__criterion__code=criterion.code,
        )
        .select_related("current_file")
        .annotate(reused_as=Subquery(reuse))
        .order_by("criterion__order", "sequence")
    )
