"""Reads that join several tables, shared by pages and (later) reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from assessments.models import Assessment, Assignment, Unit
from criteria.models import Criterion


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

    def walk(self):
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

    def rows(self):
        for root in self.roots:
            yield from root.walk()


def assessment_tree(
    assessment: Assessment, *, unit: Unit | None = None, own_unit_ids: set[int] | None = None
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
    own_unit_ids = own_unit_ids or set()
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
        supporting_ids = {u.pk for u in node.supporting}
        lead_id = assignment.lead_unit_id
        # "Các cơ quan, đơn vị" leads a sub-criterion together: it belongs to every unit.
        collective = assignment.lead_unit is not None and assignment.lead_unit.is_collective
        node.is_own = bool(own_unit_ids) and (
            lead_id in own_unit_ids or bool(own_unit_ids & supporting_ids) or collective
        )
        if unit is not None and not (lead_id == unit.pk or unit.pk in supporting_ids or collective):
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


def unit_workload(assessment: Assessment) -> list[dict]:
    """Per unit: how many sub-criteria and points it leads in this assessment."""
    units = list(assessment.commune.units.order_by("order", "name"))
    counts: dict[int, dict] = {u.pk: {"unit": u, "leaves": 0, "points": Decimal(0)} for u in units}
    for assignment in Assignment.objects.filter(assessment=assessment).select_related("criterion"):
        if assignment.lead_unit_id in counts:
            entry = counts[assignment.lead_unit_id]
            entry["leaves"] += 1
            entry["points"] += assignment.criterion.max_points
    return list(counts.values())
