from decimal import Decimal

from django import template

from criteria.rules import fmt_points, provenance_label

register = template.Library()


@register.filter
def points(value: Decimal | float | str | None) -> str:
    """24.00 -> '24', 2.50 -> '2,5': points as Vietnamese documents write them."""
    if value is None or value == "":
        return ""
    return fmt_points(Decimal(value))


@register.filter
def provenance(value: object) -> object:
    """Readable provenance: 'seed' and 'inferred' are the draft fixture's markers."""
    if not value:
        return ""
    return provenance_label(value) or value
