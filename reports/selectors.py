"""Reads that combine scores (assessments) with evidence: dashboards, unit tables, reports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from assessments.models import Assessment
from assessments.selectors import (
    ResultNode,
    Results,
    UnitProgress,
    assessment_results,
    unit_progress,
)
from evidence.selectors import evidence_count_by_criterion


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
