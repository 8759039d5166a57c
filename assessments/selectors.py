"""Reads that join several tables, shared by pages and (later) reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from assessments.models import (
    AdjustmentEntry,
    Assessment,
    Assignment,
    Score,
    Unit,
    UnitDeadline,
)
from criteria import scoring
from criteria.models import Adjustment, Criterion, Level


@dataclass
class TreeNode:
    criterion: Criterion
    depth: int
    assignment: Assignment | None = None
    children: list[TreeNode] = field(default_factory=list)
    supporting: list[Unit] = field(default_factory=list)
    #: sum of the maximum points of the leaves below that are kept by the unit filter
    shown_points: Decimal = Decimal(0)
    shown_leaves: int = 0
    is_own: bool = False

    @property
    def is_leaf(self) -> bool:
        return self.assignment is not None

    def walk(self) -> Iterator[TreeNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class AssessmentTree:
    roots: list[TreeNode]
    total_points: Decimal
    shown_points: Decimal
    leaf_count: int
    shown_leaves: int
    unassigned: int

    def rows(self) -> Iterator[TreeNode]:
        for root in self.roots:
            yield from root.walk()


def assessment_tree(
    assessment: Assessment, *, unit: Unit | None = None, own_unit: int | None = None
) -> AssessmentTree:
    """The criteria tree of an assessment with each leaf's lead and supporting units.

    Three queries whatever the size of the tree. With `unit`, only the leaves that unit leads
    or supports are kept (with their ancestors) and totals count those leaves only.
    """
    criteria = list(
        Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order", "id")
    )
    assignments = {
        a.criterion_id: a
        for a in Assignment.objects.filter(assessment=assessment)
        .select_related("lead_unit")
        .prefetch_related(Prefetch("supporting_units", queryset=Unit.objects.order_by("order")))
    }
    nodes = {
        c.pk: TreeNode(criterion=c, depth=0, assignment=assignments.get(c.pk)) for c in criteria
    }
    roots = []
    for c in criteria:
        node = nodes[c.pk]
        if c.parent_id is None:
            roots.append(node)
        else:
            nodes[c.parent_id].children.append(node)

    def keep(node: TreeNode, depth: int) -> bool:
        node.depth = depth
        if node.children:
            # A parent's leaves are assigned; the parent itself has no assignment.
            node.assignment = None
            node.children = [child for child in node.children if keep(child, depth + 1)]
            node.shown_points = sum((child.shown_points for child in node.children), Decimal(0))
            node.shown_leaves = sum(child.shown_leaves for child in node.children)
            node.is_own = any(child.is_own for child in node.children)
            return bool(node.children) or unit is None
        assignment = node.assignment
        if assignment is None:
            return unit is None
        node.supporting = list(assignment.supporting_units.all())
        node.is_own = assignment.concerns(own_unit)
        if unit is not None and not assignment.concerns(unit):
            return False
        node.shown_points = node.criterion.max_points
        node.shown_leaves = 1
        return True

    kept_roots = [root for root in roots if keep(root, 0)]
    all_leaves = [a for a in assignments.values()]
    return AssessmentTree(
        roots=kept_roots,
        total_points=sum((root.criterion.max_points for root in roots), Decimal(0)),
        shown_points=sum((root.shown_points for root in kept_roots), Decimal(0)),
        leaf_count=len(all_leaves),
        shown_leaves=sum(root.shown_leaves for root in kept_roots),
        unassigned=sum(1 for a in all_leaves if a.lead_unit_id is None),
    )


# -- Results: points per node, totals, level, what is lost -----------------------------------


@dataclass
class ResultNode:
    criterion: Criterion
    depth: int
    children: list[ResultNode] = field(default_factory=list)
    assignment: Assignment | None = None
    score: Score | None = None
    proposed: Decimal = Decimal(0)
    approved: Decimal = Decimal(0)
    #: maximum of the leaves below that count (excluded "không phát sinh" leaves do not)
    counted_max: Decimal = Decimal(0)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def excluded(self) -> bool:
        return self.score is not None and self.score.excluded

    @property
    def current_points(self) -> Decimal | None:
        """`Score.points`: approved points if approved, else the proposal (None: not scored)."""
        return self.score.points if self.score is not None else None

    @property
    def lost(self) -> Decimal:
        """Points below the maximum, for a scored leaf that counts."""
        points = self.current_points
        if not self.is_leaf or self.excluded or points is None:
            return Decimal(0)
        return self.criterion.max_points - points

    def walk(self) -> Iterator[ResultNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Results:
    assessment: Assessment
    roots: list[ResultNode]
    leaves: list[ResultNode]
    proposed: scoring.Total
    approved: scoring.Total
    levels: list[Level]
    deductions: list[AdjustmentEntry]
    disqualifiers: list[AdjustmentEntry]

    def rows(self) -> Iterator[ResultNode]:
        for root in self.roots:
            yield from root.walk()

    @property
    def level(self) -> Level | None:
        return self.level_for(self.approved)

    @property
    def proposed_level(self) -> Level | None:
        return self.level_for(self.proposed)

    def level_for(self, total: scoring.Total) -> Level | None:
        if total.disqualified:
            return None
        return next((lv for lv in self.levels if lv.contains(total.final)), None)

    @property
    def target(self) -> Level | None:
        return self.assessment.target_level

    @property
    def missing_to_target(self) -> Decimal:
        """Approved points still needed to reach the registered level (0 if reached)."""
        target = self.target
        if target is None or target.min_points is None:
            return Decimal(0)
        return max(Decimal(0), target.min_points - self.approved.final)

    @property
    def losing(self) -> list[ResultNode]:
        """Scored leaves below their maximum, most points lost first."""
        return sorted(
            (leaf for leaf in self.leaves if leaf.lost > 0),
            key=lambda leaf: (-leaf.lost, leaf.criterion.order),
        )

    def status_counts(self) -> dict[str, int]:
        counts = {status: 0 for status in Score.Status.values}
        for leaf in self.leaves:
            counts[leaf.score.status if leaf.score else Score.Status.NOT_STARTED] += 1
        return counts


def assessment_results(assessment: Assessment) -> Results:
    """Every node's proposed and approved points, the totals with rebasing, deductions and
    disqualifiers, and the level reached. A fixed number of queries whatever the tree size."""
    criteria = list(
        Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order", "id")
    )
    assignments = {
        a.criterion_id: a
        for a in Assignment.objects.filter(assessment=assessment).select_related("lead_unit")
    }
    scores = {
        s.criterion_id: s
        for s in Score.objects.filter(assessment=assessment).select_related(
            "proposed_by", "leader_by"
        )
    }
    levels = list(Level.objects.filter(criteria_set_id=assessment.criteria_set_id))
    entries = list(
        AdjustmentEntry.objects.filter(assessment=assessment, cases__gt=0).select_related(
            "adjustment"
        )
    )
    nodes = {c.pk: ResultNode(criterion=c, depth=0) for c in criteria}
    roots: list[ResultNode] = []
    for c in criteria:
        (nodes[c.parent_id].children if c.parent_id else roots).append(nodes[c.pk])

    leaves: list[ResultNode] = []

    def fill(node: ResultNode, depth: int) -> None:
        node.depth = depth
        if node.children:
            for child in node.children:
                fill(child, depth + 1)
            node.proposed = sum((c.proposed for c in node.children), Decimal(0))
            node.approved = sum((c.approved for c in node.children), Decimal(0))
            node.counted_max = sum((c.counted_max for c in node.children), Decimal(0))
            return
        node.assignment = assignments.get(node.criterion.pk)
        node.score = scores.get(node.criterion.pk)
        leaves.append(node)
        score = node.score
        node.counted_max = Decimal(0) if node.excluded else node.criterion.max_points
        if score is not None:
            node.proposed = score.proposed_points or Decimal(0)
            node.approved = score.approved_points or Decimal(0)

    for root in roots:
        fill(root, 0)

    deductions = [e for e in entries if e.adjustment.kind == Adjustment.Kind.DEDUCTION]
    disqualifiers = [e for e in entries if e.adjustment.kind == Adjustment.Kind.DISQUALIFIER]
    # A deduction always has its points (the deduction_has_points constraint).
    deducted = sum(
        (e.cases * (e.adjustment.points_per_case or Decimal(0)) for e in deductions), Decimal(0)
    )
    scale = assessment.criteria_set.scale

    def total(pick: Callable[[ResultNode], Decimal | None]) -> scoring.Total:
        return scoring.total(
            [
                scoring.LeafResult(
                    max_points=leaf.criterion.max_points, points=pick(leaf), excluded=leaf.excluded
                )
                for leaf in leaves
            ],
            scale=scale,
            deductions=deducted,
            disqualified=bool(disqualifiers),
        )

    return Results(
        assessment=assessment,
        roots=roots,
        leaves=leaves,
        proposed=total(lambda leaf: leaf.score.proposed_points if leaf.score else None),
        approved=total(lambda leaf: leaf.score.approved_points if leaf.score else None),
        levels=sorted(
            levels, key=lambda lv: lv.min_points if lv.min_points is not None else Decimal(-1)
        ),
        deductions=deductions,
        disqualifiers=disqualifiers,
    )


@dataclass
class UnitProgress:
    unit: Unit | None
    assigned: int = 0
    max_points: Decimal = Decimal(0)
    scored: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0
    with_evidence: int = 0
    proposed: Decimal = Decimal(0)
    approved_points: Decimal = Decimal(0)

    @property
    def completeness(self) -> int:
        """Per cent of the unit's sub-criteria approved."""
        return round(100 * self.approved / self.assigned) if self.assigned else 0


def unit_progress(
    results: Results, evidence_counts: dict[int, int] | None = None
) -> list[UnitProgress]:
    """Per lead unit: assigned, scored, submitted, approved, with evidence, and points."""
    evidence_counts = evidence_counts or {}
    rows: dict[int | None, UnitProgress] = {}
    for unit in results.assessment.commune.units.order_by("order", "name"):
        rows[unit.pk] = UnitProgress(unit=unit)
    done = {Score.Status.SUBMITTED, Score.Status.RESUBMITTED, Score.Status.APPROVED}
    for leaf in results.leaves:
        lead_id = leaf.assignment.lead_unit_id if leaf.assignment else None
        row = rows.setdefault(lead_id, UnitProgress(unit=None))
        score = leaf.score
        row.assigned += 1
        row.max_points += leaf.criterion.max_points
        if score is not None and (score.proposed_points is not None or score.not_arising):
            row.scored += 1
        if score is not None and score.status in done:
            row.submitted += 1
        if score is not None and score.is_approved:
            row.approved += 1
            row.approved_points += score.approved_points or Decimal(0)
        if score is not None and score.status == Score.Status.RETURNED:
            row.returned += 1
        if score is not None:
            row.proposed += score.proposed_points or Decimal(0)
        if evidence_counts.get(leaf.criterion.pk):
            row.with_evidence += 1
    return [row for row in rows.values() if row.assigned or row.unit is not None]


# -- Deadlines and lateness (issue 12) ---------------------------------------------------------

#: a sub-criterion its lead unit still owes the leaders: not sent yet, or returned
OWED = (Score.Status.NOT_STARTED, Score.Status.DRAFT, Score.Status.RETURNED)


@dataclass
class UnitDue:
    """One unit's deadline in an assessment and what it still owes the leaders."""

    unit: Unit
    deadline: dt.date | None  # the effective one: the unit's own, else the assessment's
    own: UnitDeadline | None  # the unit's own deadline (reason, set_by, set_at), if any
    items: list[Score] = field(default_factory=list)  # owed, led by the unit itself
    today: dt.date | None = None

    @property
    def is_late(self) -> bool:
        return (
            bool(self.items)
            and self.deadline is not None
            and self.today is not None
            and (self.today > self.deadline)
        )

    @property
    def days_left(self) -> int | None:
        if self.deadline is None or self.today is None:
            return None
        return (self.deadline - self.today).days


def _own_deadlines(assessment: Assessment) -> dict[int, UnitDeadline]:
    return {
        row.unit_id: row
        for row in UnitDeadline.objects.filter(assessment=assessment).select_related("set_by")
    }


def unit_dues(
    assessment: Assessment,
    *,
    today: dt.date | None = None,
    owns: dict[int, UnitDeadline] | None = None,
) -> list[UnitDue]:
    """Every unit of the commune with its effective deadline, its own deadline's record and
    the sub-criteria it leads that are not sent yet (a collective lead, "Các cơ quan, đơn vị",
    is its own row). Three queries whatever the number of units and sub-criteria."""
    today = today or timezone.localdate()
    if owns is None:
        owns = _own_deadlines(assessment)
    rows = {
        unit.pk: UnitDue(
            unit=unit,
            deadline=owns[unit.pk].deadline if unit.pk in owns else assessment.scoring_deadline,
            own=owns.get(unit.pk),
            today=today,
        )
        for unit in Unit.objects.filter(commune_id=assessment.commune_id).order_by("order", "name")
    }
    lead = Assignment.objects.filter(
        assessment_id=OuterRef("assessment_id"), criterion_id=OuterRef("criterion_id")
    ).values("lead_unit_id")[:1]
    for score in (
        Score.objects.filter(assessment=assessment, status__in=OWED)
        .annotate(lead_id=Subquery(lead))
        .select_related("criterion")
        .order_by("criterion__order")
    ):
        row = rows.get(score.lead_id)
        if row is not None:
            row.items.append(score)
    return list(rows.values())


def late_units(assessment: Assessment, *, today: dt.date | None = None) -> list[UnitDue]:
    """The units past their effective deadline that still owe sub-criteria, and what they owe
    (NOT_STARTED, DRAFT or RETURNED). One query while no deadline has passed (the usual
    case), four once one has, whatever the number of units and sub-criteria."""
    if assessment.status != Assessment.Status.OPEN:
        return []
    today = today or timezone.localdate()
    owns = _own_deadlines(assessment)
    dates = [row.deadline for row in owns.values()]
    if assessment.scoring_deadline is not None:
        dates.append(assessment.scoring_deadline)
    if not any(today > date for date in dates):
        return []
    return [row for row in unit_dues(assessment, today=today, owns=owns) if row.is_late]
