"""Checks on a criteria tree before it is stored, with messages in Vietnamese.

The tree arrives as flat rows (from an Excel sheet, a YAML fixture or the database) so that
every message can name the row a person has to fix. Nothing here touches the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from criteria.codes import code_problem
from criteria.rules import NotArisingPolicy, RuleKind, fmt_points
from criteria.scoring import parse_tiers


@dataclass
class NodeRow:
    row: int
    code: str
    title: str
    max_points: Decimal | None
    scoring_guide: str = ""
    default_lead_unit: str = ""
    parent_code: str | None = None
    provenance: str = ""
    points_provenance: str = ""
    unit_provenance: str = ""
    rule: str = RuleKind.FREE
    step: Decimal = Decimal("0.25")
    tiers: str = ""
    numerator_label: str = ""
    denominator_label: str = ""
    not_arising: str = ""

    @property
    def resolved_parent_code(self) -> str | None:
        """The explicit parent, or the code minus its last segment ('1.1.a' -> '1.1')."""
        if self.parent_code:
            return self.parent_code
        if "." in self.code:
            return self.code.rsplit(".", 1)[0]
        return None


@dataclass
class LevelRow:
    name: str
    min_points: Decimal | None
    max_points_exclusive: Decimal | None


@dataclass
class TreeProblems:
    by_row: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.general) or any(self.by_row.values())

    def add(self, row: int, message: str) -> None:
        self.by_row[row].append(message)

    def messages(self) -> list[str]:
        lines = list(self.general)
        for row in sorted(self.by_row):
            lines.extend(f"Dòng {row}: {message}" for message in self.by_row[row])
        return lines


def parse_points(raw: object) -> Decimal:
    """Read a number of points from a cell; raises ValueError with a Vietnamese message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("Thiếu điểm tối đa.")
    if isinstance(raw, bool):
        raise ValueError(f"Điểm tối đa “{raw}” không phải là số.")
    if isinstance(raw, int | float | Decimal):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip().replace(" ", "")
        # Vietnamese Excel writes 2,5 for two and a half.
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"Điểm tối đa “{raw}” không phải là số.") from None
    if not value.is_finite():
        raise ValueError(f"Điểm tối đa “{raw}” không phải là số.")
    if value < 0:
        raise ValueError(f"Điểm tối đa không được âm (đang là {fmt_points(value)}).")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"Điểm tối đa {raw} có quá 2 chữ số thập phân.")
    if value >= Decimal("10000"):
        raise ValueError(f"Điểm tối đa {raw} quá lớn.")
    return value


def validate_tree(rows: list[NodeRow], scale: Decimal | None) -> TreeProblems:
    problems = TreeProblems()
    if not rows:
        problems.general.append("Không có tiêu chí nào.")
        return problems

    first_row_of: dict[str, int] = {}
    for node in rows:
        if not node.code:
            problems.add(node.row, "Thiếu mã tiêu chí.")
        for what, code in (("Mã", node.code), ("Mã cha", node.parent_code)):
            if message := code_problem(code or "", what):
                problems.add(node.row, message)
        if not node.title:
            problems.add(node.row, "Thiếu tên tiêu chí.")
        if node.code in first_row_of:
            problems.add(
                node.row, f"Mã “{node.code}” trùng với mã ở dòng {first_row_of[node.code]}."
            )
        elif node.code:
            first_row_of[node.code] = node.row

    by_code = {
        node.code: node for node in rows if node.code and first_row_of[node.code] == node.row
    }
    children: dict[str | None, list[NodeRow]] = defaultdict(list)
    for node in by_code.values():
        parent = node.resolved_parent_code
        if parent is not None and parent not in by_code:
            problems.add(
                node.row,
                f"Mã “{node.code}” thuộc tiêu chí cha “{parent}” nhưng không có tiêu chí mã "
                f"“{parent}” (mã mồ côi).",
            )
            continue
        if parent == node.code:
            problems.add(node.row, f"Tiêu chí “{node.code}” không thể là cha của chính nó.")
            continue
        children[parent].append(node)

    _check_cycles(by_code, problems)

    for parent_code, kids in children.items():
        if parent_code is None:
            continue
        parent_node = by_code[parent_code]
        kid_points = [kid.max_points for kid in kids if kid.max_points is not None]
        if parent_node.max_points is None or len(kid_points) != len(kids):
            continue
        total = sum(kid_points, Decimal(0))
        if total != parent_node.max_points:
            problems.add(
                parent_node.row,
                f"Điểm tối đa của “{parent_node.code}” là {fmt_points(parent_node.max_points)} "
                f"nhưng tổng "
                f"điểm các tiêu chí con ({', '.join(kid.code for kid in kids)}) là "
                f"{fmt_points(total)}.",
            )

    for node in by_code.values():
        if node.code not in children:  # a leaf: its scoring rule must be usable
            for message in rule_problems(node):
                problems.add(node.row, message)

    roots = children.get(None, [])
    root_points = [root.max_points for root in roots if root.max_points is not None]
    if scale is not None and roots and len(root_points) == len(roots):
        total = sum(root_points, Decimal(0))
        if total != scale:
            problems.general.append(
                f"Tổng điểm các tiêu chí cấp cao nhất là {fmt_points(total)}, "
                f"khác thang điểm {fmt_points(scale)}."
            )
    return problems


def rule_problems(node: NodeRow) -> list[str]:
    messages = []
    if node.rule not in RuleKind.values:
        messages.append(f"Cách chấm “{node.rule}” không hợp lệ.")
    if node.not_arising not in NotArisingPolicy.values:
        messages.append(f"Cách tính khi không phát sinh “{node.not_arising}” không hợp lệ.")
    if node.step is None or node.step <= 0:
        messages.append("Bước điểm phải lớn hơn 0.")
    elif node.rule == RuleKind.FREE and node.max_points is not None and node.max_points % node.step:
        messages.append(
            f"Điểm tối đa {fmt_points(node.max_points)} không phải bội số của bước điểm "
            f"{fmt_points(node.step)}."
        )
    if node.rule == RuleKind.TIERS:
        try:
            parse_tiers(node.tiers, node.max_points)
        except ValueError as error:
            messages.append(str(error))
    return messages


def _check_cycles(by_code: dict[str, NodeRow], problems: TreeProblems) -> None:
    for node in by_code.values():
        seen = {node.code}
        parent = node.resolved_parent_code
        while parent is not None and parent in by_code:
            if parent in seen:
                problems.add(node.row, f"Mã “{node.code}” nằm trong một vòng lặp tiêu chí cha.")
                break
            seen.add(parent)
            parent = by_code[parent].resolved_parent_code


def validate_levels(levels: list[LevelRow], scale: Decimal | None = None) -> list[str]:
    """Levels must not overlap; each must have min < max where both are set."""
    messages = []
    for level in levels:
        low, high = level.min_points, level.max_points_exclusive
        if low is not None and high is not None and low >= high:
            messages.append(
                f"Mức “{level.name}”: điểm từ {fmt_points(low)} phải nhỏ hơn điểm đến dưới "
                f"{fmt_points(high)}."
            )
        if scale is not None and low is not None and low > scale:
            messages.append(
                f"Mức “{level.name}” bắt đầu từ {fmt_points(low)}, vượt thang điểm "
                f"{fmt_points(scale)}."
            )
    lowest = Decimal("-Infinity")
    highest = Decimal("Infinity")
    ordered = sorted(levels, key=lambda lv: lowest if lv.min_points is None else lv.min_points)
    for before, after in zip(ordered, ordered[1:], strict=False):
        before_end = highest if before.max_points_exclusive is None else before.max_points_exclusive
        after_start = lowest if after.min_points is None else after.min_points
        if after_start < before_end:
            messages.append(
                f"Mức “{before.name}” và mức “{after.name}” có khoảng điểm chồng lên nhau."
            )
    return messages
