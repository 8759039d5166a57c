"""Scoring rules as data: how the points of one leaf are read, and how a total is made.

Pure functions with Vietnamese error messages; nothing here touches the database, so the
same rules serve the scoring form, the import checks, the dashboards and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from criteria.rules import NotArisingPolicy, RuleKind, fmt_points

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Tier:
    from_percent: Decimal
    points: Decimal


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{what} “{text.strip()}” không phải là số.") from None
    if not value.is_finite():
        raise ValueError(f"{what} “{text.strip()}” không phải là số.")
    return value


def parse_tiers(text: str, max_points: Decimal | None = None) -> list[Tier]:
    """'100:5; 95:3; 0:0' -> tiers from the highest percentage down.

    Each part is `tỷ lệ tối thiểu (%): điểm`; a ratio below every tier earns 0."""
    tiers = []
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        if ":" not in part:
            raise ValueError(f"Bậc điểm “{part}” phải có dạng tỷ lệ:điểm, ví dụ 95:3.")
        percent_text, points_text = part.split(":", 1)
        percent = _number(percent_text, "Tỷ lệ")
        points = _number(points_text, "Điểm")
        if not (0 <= percent <= HUNDRED):
            raise ValueError(f"Tỷ lệ {fmt_points(percent)}% phải từ 0 đến 100.")
        if points < 0 or (max_points is not None and points > max_points):
            raise ValueError(
                f"Điểm {fmt_points(points)} của bậc {fmt_points(percent)}% phải từ 0 đến "
                f"{fmt_points(max_points) if max_points is not None else 'điểm tối đa'}."
            )
        tiers.append(Tier(percent, points))
    if not tiers:
        raise ValueError("Cách chấm theo tỷ lệ cần ít nhất một bậc điểm, ví dụ 100:5; 0:0.")
    percents = [tier.from_percent for tier in tiers]
    if len(set(percents)) != len(percents):
        raise ValueError("Hai bậc điểm có cùng tỷ lệ.")
    return sorted(tiers, key=lambda tier: tier.from_percent, reverse=True)


def format_tiers(tiers: list[Tier]) -> str:
    return "; ".join(f"{fmt_points(t.from_percent)}:{fmt_points(t.points)}" for t in tiers)


def describe_tiers(tiers: list[Tier]) -> str:
    """'Từ 100%: 5 điểm; từ 95% đến dưới 100%: 3 điểm; dưới 95%: 0 điểm'."""
    parts = []
    upper = None
    for tier in tiers:
        if upper is None:
            parts.append(f"từ {fmt_points(tier.from_percent)}%: {fmt_points(tier.points)} điểm")
        else:
            parts.append(
                f"từ {fmt_points(tier.from_percent)}% đến dưới {fmt_points(upper)}%: "
                f"{fmt_points(tier.points)} điểm"
            )
        upper = tier.from_percent
    if upper and upper > 0:
        parts.append(f"dưới {fmt_points(upper)}%: 0 điểm")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def check_points(value: Decimal, *, max_points: Decimal, step: Decimal) -> None:
    """Points a person entered: within 0..max and on the set's steps."""
    if value < 0 or value > max_points:
        raise ValueError(
            f"Điểm phải từ 0 đến {fmt_points(max_points)} (đang nhập {fmt_points(value)})."
        )
    if step and (value / step) != (value / step).to_integral_value():
        raise ValueError(
            f"Điểm phải là bội số của {fmt_points(step)} (ví dụ 0; {fmt_points(step)}; "
            f"{fmt_points(step * 2)}…); đang nhập {fmt_points(value)}."
        )


def check_rule_points(rule: str, value: Decimal, *, max_points: Decimal, step: Decimal) -> None:
    """Points entered for a leaf scored in a range or as pass/fail (0 or the maximum)."""
    if rule == RuleKind.PASS_FAIL and value not in (0, max_points):
        raise ValueError(
            f"Tiêu chí chấm đạt hoặc không đạt: chỉ nhận 0 hoặc {fmt_points(max_points)} điểm."
        )
    check_points(value, max_points=max_points, step=step)


def ratio_points(
    tiers: list[Tier], numerator: Decimal | None, denominator: Decimal | None
) -> tuple[Decimal, Decimal]:
    """(percentage, points) for the numbers a unit entered."""
    if denominator is None or numerator is None:
        raise ValueError("Cần nhập đủ tử số và mẫu số.")
    if denominator <= 0:
        raise ValueError("Mẫu số phải lớn hơn 0.")
    if numerator < 0:
        raise ValueError("Tử số không được âm.")
    if numerator > denominator:
        raise ValueError("Tử số không được lớn hơn mẫu số.")
    percent = numerator * HUNDRED / denominator
    for tier in tiers:
        if percent >= tier.from_percent:
            return percent.quantize(CENT, ROUND_HALF_UP), tier.points
    return percent.quantize(CENT, ROUND_HALF_UP), Decimal(0)


def not_arising_points(policy: str, max_points: Decimal) -> Decimal | None:
    """Points when the content does not arise; None means excluded from the total."""
    if policy == NotArisingPolicy.FULL:
        return max_points
    if policy == NotArisingPolicy.ZERO:
        return Decimal(0)
    if policy == NotArisingPolicy.EXCLUDE:
        return None
    raise ValueError("Tiêu chí này không cho phép chọn “không phát sinh”.")


@dataclass
class LeafResult:
    max_points: Decimal
    points: Decimal | None  # None: not scored yet
    excluded: bool = False


@dataclass
class Total:
    points: Decimal  # after rebasing, before deductions
    raw_points: Decimal
    counted_max: Decimal  # maximum of the leaves that count
    scale: Decimal
    deductions: Decimal
    disqualified: bool
    scored: int
    leaves: int

    @property
    def rebased(self) -> bool:
        return self.counted_max != self.scale

    @property
    def final(self) -> Decimal:
        return max(Decimal(0), self.points - self.deductions)


def total(
    leaves: list[LeafResult],
    *,
    scale: Decimal,
    deductions: Decimal = Decimal(0),
    disqualified: bool = False,
) -> Total:
    """Sum the points; when leaves are excluded ("không phát sinh"), rebase to the scale."""
    counted = [leaf for leaf in leaves if not leaf.excluded]
    raw = sum((leaf.points or Decimal(0) for leaf in counted), Decimal(0))
    counted_max = sum((leaf.max_points for leaf in counted), Decimal(0))
    full_max = sum((leaf.max_points for leaf in leaves), Decimal(0))
    points = raw
    if counted_max and counted_max != full_max:
        points = (raw * scale / counted_max).quantize(CENT, ROUND_HALF_UP)
    return Total(
        points=points,
        raw_points=raw,
        counted_max=counted_max if counted_max != full_max else scale,
        scale=scale,
        deductions=deductions,
        disqualified=disqualified,
        scored=sum(1 for leaf in leaves if leaf.points is not None or leaf.excluded),
        leaves=len(leaves),
    )
