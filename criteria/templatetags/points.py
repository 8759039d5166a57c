from decimal import Decimal

from django import template

from criteria.rules import fmt_points

register = template.Library()


@register.filter
def points(value: Decimal | float | str | None) -> str:
    """24.00 -> '24', 2.50 -> '2,5': points as Vietnamese documents write them."""
    if value is None or value == "":
        return ""
    return fmt_points(Decimal(value))


PROVENANCE_LABELS = {
    "seed": "Báo cáo 6 tháng của xã",
    "inferred": "Suy luận, cần đối chiếu",
    "official": "Văn bản chính thức",
}


@register.filter
def provenance(value: object) -> object:
    """Readable provenance: 'seed' and 'inferred' are the draft fixture's markers."""
    if not value:
        return ""
    return PROVENANCE_LABELS.get(str(value).strip().lower(), value)
