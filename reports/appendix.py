"""The appendix ("Phụ lục: Kết quả cụ thể của các Tiêu chí") as one read model.

`appendix(report)` builds the rows and totals once from the selectors (results and evidence);
the HTML preview, the PDF, the XLSX and the DOCX only lay them out, so the four formats cannot
disagree on a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.text import capfirst

from assessments.levels import LevelStatement, level_statement
from assessments.models import Assessment
from assessments.selectors import ResultNode, Results, assessment_results
from evidence.selectors import evidence_by_criterion
from reports.models import Report


@dataclass
class AppendixRow:
    """One node of the criteria tree: a criterion (with the sums of its children) or a leaf
    sub-criterion (with its scores, lead unit, evidence and note)."""

    node: ResultNode
    evidence: list
    children: list[AppendixRow] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.node.criterion.code

    @property
    def title(self) -> str:
        return self.node.criterion.title

    @property
    def max_points(self) -> Decimal:
        return self.node.criterion.max_points

    @property
    def depth(self) -> int:
        return self.node.depth

    @property
    def is_leaf(self) -> bool:
        return self.node.is_leaf

    @property
    def excluded(self) -> bool:
        """Not arising and left out of the total: written "KPS" where the format marks it."""
        return self.node.excluded

    @property
    def is_approved(self) -> bool:
        return self.node.score is not None and self.node.score.is_approved

    @property
    def proposed(self) -> Decimal | None:
        """The unit's points (a parent: the sum of its children's); None when blank."""
        if not self.is_leaf:
            return self.node.proposed
        return self.node.score.proposed_points if self.node.score is not None else None

    @property
    def approved(self) -> Decimal | None:
        """The leaders' approved points (a parent: the sum of its children's); None when
        not approved yet."""
        if not self.is_leaf:
            return self.node.approved
        return self.node.score.approved_points if self.node.score is not None else None

    @property
    def unit(self) -> str:
        assignment = self.node.assignment
        if assignment is None or assignment.lead_unit is None:
            return ""
        return assignment.lead_unit.name

    @property
    def evidence_lines(self) -> list[str]:
        return [f"{item.code}: {item.title}" for item in self.evidence]

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


@dataclass
class Appendix:
    report: Report
    results: Results
    rows: list[AppendixRow]  # tree order
    roots: list[AppendixRow]
    reference: str  # "(Kèm theo Báo cáo số … của Ủy ban nhân dân xã …)"

    @property
    def assessment(self) -> Assessment:
        return self.results.assessment

    @cached_property
    def level_statement(self) -> LevelStatement:
        """What may be said about the approved total's level (named only when verified)."""
        return level_statement(self.results)

    @property
    def level_text(self) -> str:
        """The appendix's "MỨC ĐẠT" line: the level statement, with the disqualifying cases
        named; "" when nothing may be said beyond the total (no row is printed)."""
        text = self.level_statement.text
        if not text:
            return ""
        if self.results.approved.disqualified and self.results.disqualifiers:
            text += f" ({'; '.join(e.adjustment.title for e in self.results.disqualifiers)})"
        return capfirst(text)


def appendix_reference(report: Report, *, electronic: bool = False) -> str:
    """The line under the title that ties the appendix to its report.

    An electronic appendix leaves the reference unfilled: the organisation's digital signature
    stamp gives the number and the time (Nghị định 30/2020, Phụ lục I, III.1)."""
    assessment = report.assessment
    commune = assessment.commune
    kind = commune.get_kind_display().lower()
    if report.number is None or electronic:
        return (
            f"(Kèm theo Báo cáo số\u2003\u2003/{report.symbol} ngày\u2003\u2003tháng\u2003\u2003"
            f"năm {assessment.year} của Ủy ban nhân dân {kind} {commune.name})"
        )
    day = report.issue_date
    return (
        f"(Kèm theo Báo cáo số {report.number:02d}/{report.symbol} ngày {day:%d} tháng "
        f"{day:%m} năm {day:%Y} của Ủy ban nhân dân {kind} {commune.name})"
    )


def appendix(
    report: Report, *, results: Results | None = None, electronic: bool = False
) -> Appendix:
    """The appendix of `report`: every node of the tree with its figures, and the totals."""
    results = results or assessment_results(report.assessment)
    evidence = evidence_by_criterion(report.assessment)
    row_of: dict[int, AppendixRow] = {}
    rows = []
    for node in results.rows():
        row = AppendixRow(node, evidence.get(node.criterion.pk, []))
        row_of[node.criterion.pk] = row
        rows.append(row)
    for row in rows:
        row.children = [row_of[child.criterion.pk] for child in row.node.children]
    return Appendix(
        report=report,
        results=results,
        rows=rows,
        roots=[row_of[root.criterion.pk] for root in results.roots],
        reference=appendix_reference(report, electronic=electronic),
    )
