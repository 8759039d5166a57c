"""What may be said about the level a total reaches (issue 11, item 2).

INTERFACE STUB: the signatures and attributes below are shared by the report's live fields,
the appendix (PDF, DOCX, XLSX) and the dashboard; the helper working on levels fills in the
behaviour and the tests without changing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from assessments.selectors import Results
from criteria import scoring
from criteria.models import Level


@dataclass(frozen=True)
class LevelStatement:
    #: the level the documents may name as reached, or None (levels not verified, none
    #: reached, disqualified)
    level: Level | None
    #: the clause the documents print after the total, without the total itself, e.g.
    #: "đạt mức đã đăng ký (mức 2: Đạt từ 85 đến dưới 90 điểm)"
    text: str
    #: why no level is named (shown in the preview and the editor), "" when one is named
    why_not_stated: str


def levels_verified(results: Results) -> bool:
    """True when the criteria set's levels may be quoted as reached (not reconstructed)."""
    return not results.assessment.criteria_set.needs_verification


def level_statement(results: Results, total: scoring.Total | None = None) -> LevelStatement:
    """What the documents say about `total` (default: the approved total)."""
    total = total or results.approved
    level = results.level_for(total)
    if level is None:
        return LevelStatement(None, "chưa đạt mức nào", "")
    return LevelStatement(level, f"đạt {level.name} ({level.range_label})", "")


def statement_for_points(results: Results, points: Decimal) -> LevelStatement:
    """The statement for a total of `points` (the XLSX formula's branches are written with it)."""
    scale = results.approved.scale
    total = scoring.Total(
        points=points,
        raw_points=points,
        counted_max=scale,
        scale=scale,
        deductions=Decimal(0),
        disqualified=False,
        scored=1,
        leaves=1,
    )
    return level_statement(results, total)
