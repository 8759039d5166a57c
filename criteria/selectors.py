from __future__ import annotations

from dataclasses import dataclass

from criteria.models import CriteriaSet, Criterion


@dataclass
class CriterionRow:
    criterion: Criterion
    depth: int
    is_leaf: bool


def criteria_set_tree(criteria_set: CriteriaSet) -> list[CriterionRow]:
    """The tree in reading order (depth first), from one query."""
    criteria = list(criteria_set.criteria.order_by("order", "id"))
    children: dict[int | None, list[Criterion]] = {}
    for node in criteria:
        children.setdefault(node.parent_id, []).append(node)
    rows: list[CriterionRow] = []

    def visit(node: Criterion, depth: int) -> None:
        kids = children.get(node.pk, [])
        rows.append(CriterionRow(node, depth, not kids))
        for kid in kids:
            visit(kid, depth + 1)

    for root in children.get(None, []):
        visit(root, 0)
    return rows
