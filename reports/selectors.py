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

    # The gauge spends at most this share of its width on the points below the lowest level
    # threshold, so the levels' own band (85 to 100 of 100, say) is wide enough to read on a
    # phone. A set whose thresholds start low enough is drawn on a plain linear scale.
    GAUGE_BELOW_SHARE = Decimal(25)

    @property
    def gauge_floor(self) -> Decimal | None:
        """The lowest threshold of the set's levels (from its Level rows), if any."""
        scale = self.results.assessment.criteria_set.scale
        bounds = [
            value
            for level in self.results.levels
            for value in (level.min_points, level.max_points_exclusive)
            if value is not None and 0 < value < scale
        ]
        return min(bounds, default=None)

    def gauge_left(self, points: Decimal) -> float:
        """Where `points` sits on the gauge, in percent of its width (0..100)."""
        scale = self.results.assessment.criteria_set.scale
        points = min(max(Decimal(points), Decimal(0)), scale)
        floor = self.gauge_floor
        linear = points * 100 / scale
        if floor is None or floor * 100 / scale <= self.GAUGE_BELOW_SHARE:
            return float(linear)
        below = self.GAUGE_BELOW_SHARE
        if points <= floor:
            return float(points * below / floor)
        return float(below + (points - floor) * (100 - below) / (scale - floor))

    @property
    def level_bands(self) -> list[dict]:
        """Levels as bands on the gauge: offset and width in percent, with short bounds."""
        scale = self.results.assessment.criteria_set.scale
        bands = []
        for level in self.results.levels:
            low = level.min_points if level.min_points is not None else Decimal(0)
            high = level.max_points_exclusive if level.max_points_exclusive is not None else scale
            left, right = self.gauge_left(low), self.gauge_left(high)
            bands.append({"level": level, "left": left, "width": right - left})
        return bands

    @property
    def approved_left(self) -> float:
        return self.gauge_left(self.results.approved.final)

    @property
    def proposed_left(self) -> float:
        return self.gauge_left(self.results.proposed.final)

    @property
    def gauge_ticks(self) -> list[dict]:
        """The thresholds written under the gauge (0, each level's bound, the scale)."""
        scale = self.results.assessment.criteria_set.scale
        values = {Decimal(0), scale}
        for level in self.results.levels:
            values.update(
                v for v in (level.min_points, level.max_points_exclusive) if v is not None
            )
        return [
            {"points": v, "left": self.gauge_left(v)} for v in sorted(values) if 0 <= v <= scale
        ]


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
