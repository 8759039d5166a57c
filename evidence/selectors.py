"""Evidence reads shared by the pages, the ZIP export and (later) the report appendix."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum

from assessments.models import Assessment, Assignment
from criteria.models import Criterion
from evidence.models import Evidence, EvidenceLink
from evidence.text import fold


def evidence_queryset():
    return Evidence.objects.select_related(
        "current_file", "criterion", "created_by", "created_by__membership__unit"
    ).prefetch_related(
        Prefetch(
            "links",
            queryset=EvidenceLink.objects.select_related("criterion").order_by("criterion__order"),
        )
    )


def evidence_for_criterion(assessment: Assessment, criterion: Criterion, *, deleted: bool = False):
    """Evidence backing one sub-criterion (its own and linked), oldest code first."""
    return list(
        evidence_queryset()
        .filter(assessment=assessment, links__criterion=criterion, deleted_at__isnull=not deleted)
        .order_by("criterion__order", "sequence")
    )


def evidence_search(
    assessment: Assessment,
    *,
    q: str = "",
    unit_id: int | None = None,
    criterion_ids: list[int] | None = None,
    deleted: bool = False,
):
    """Newest first; `q` matches code, title, number, issuer or file name, without accents."""
    queryset = evidence_queryset().filter(assessment=assessment, deleted_at__isnull=not deleted)
    for word in fold(q).split():
        queryset = queryset.filter(search_text__contains=word)
    if unit_id:
        led = Assignment.objects.filter(
            assessment=assessment, criterion=OuterRef("criterion")
        ).filter(Q(lead_unit_id=unit_id) | Q(supporting_units__id=unit_id))
        queryset = queryset.filter(Exists(led))
    if criterion_ids is not None:
        queryset = queryset.filter(links__criterion_id__in=criterion_ids).distinct()
    return queryset.order_by("-created_at", "-id")


def evidence_totals(assessment: Assessment) -> dict:
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
