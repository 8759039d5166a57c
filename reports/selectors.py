"""Reads that combine scores (assessments) with evidence: dashboards, unit tables, reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from assessments.access import membership_of
from assessments.models import Assessment, Membership
from assessments.selectors import (
    ResultNode,
    Results,
    UnitProgress,
    assessment_results,
    unit_progress,
)
from evidence.selectors import evidence_count_by_criterion
from reports.models import IssuedFile, Report

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass
class Dashboard:
    results: Results
    units: list[UnitProgress]
    evidence_counts: dict[int, int]

    @property
    def without_evidence(self) -> list[ResultNode]:
        return [
            leaf for leaf in self.results.leaves if not self.evidence_counts.get(leaf.criterion.pk)
        ]

    @property
    def level_bands(self) -> list[dict]:
        """Levels as bands on a 0..scale bar, for the level gauge."""
        scale = self.results.assessment.criteria_set.scale
        bands = []
        for level in self.results.levels:
            low = level.min_points if level.min_points is not None else Decimal(0)
            high = level.max_points_exclusive if level.max_points_exclusive is not None else scale
            bands.append(
                {
                    "level": level,
                    "left": float(low * 100 / scale),
                    "width": float((high - low) * 100 / scale),
                }
            )
        return bands


def dashboard(assessment: Assessment) -> Dashboard:
    results = assessment_results(assessment)
    counts = evidence_count_by_criterion(assessment)
    return Dashboard(results=results, units=unit_progress(results, counts), evidence_counts=counts)


def adjustment_rows(assessment: Assessment) -> list[dict]:
    """Each set-wide rule with what the commune recorded against it (two queries)."""
    entries = {e.adjustment_id: e for e in assessment.adjustment_entries.all()}
    rows = []
    for adjustment in assessment.criteria_set.adjustments.all():
        entry = entries.get(adjustment.pk)
        rows.append(
            {
                "adjustment": adjustment,
                "cases": entry.cases if entry else 0,
                "note": entry.note if entry else "",
            }
        )
    return rows


@dataclass
class AwaitingSignature:
    """Issued reports waiting for this person: their own signature ("Chờ ký"), or, for the
    secretary, the organisation's signature after the person signed ("Chờ đóng dấu")."""

    to_sign: list[Report] = field(default_factory=list)
    to_seal: list[Report] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.to_sign) + len(self.to_seal)


def _signed(stage: str) -> QuerySet[IssuedFile, Any]:
    return IssuedFile.objects.filter(kind=IssuedFile.Kind.REPORT, stage=stage).values("report_id")


def reports_awaiting_signature(user: User | AnonymousUser) -> AwaitingSignature:
    """What `user` has to sign: issued reports of their commune naming them as signer that
    they have not signed (leaders), and signed reports without the seal (the secretary).
    A report a later issued report replaces waits for nobody. One query per list."""
    awaiting = AwaitingSignature()
    membership = membership_of(user)
    if membership is None or membership.role not in (
        Membership.Role.LEADER,
        Membership.Role.SECRETARY,
    ):
        return awaiting
    issued = (
        Report.objects.filter(
            assessment__commune_id=membership.commune_id, status=Report.Status.ISSUED
        )
        .exclude(pk__in=_signed(IssuedFile.Stage.ORGANISATION))
        .exclude(
            pk__in=Report.objects.filter(status=Report.Status.ISSUED)
            .exclude(replaces=None)
            .values("replaces_id")
        )
        .select_related("assessment", "signer")
        .order_by("issued_at", "pk")
    )
    if membership.role == Membership.Role.LEADER:
        awaiting.to_sign = list(
            issued.filter(signer_id=user.pk).exclude(pk__in=_signed(IssuedFile.Stage.PERSON))
        )
    else:
        awaiting.to_seal = list(issued.filter(pk__in=_signed(IssuedFile.Stage.PERSON)))
    return awaiting
