from decimal import Decimal

from django import template

from criteria.tree import fmt_points

register = template.Library()


@register.filter
def points(value):
    """24.00 -> '24', 2.50 -> '2,5': points as Vietnamese documents write them."""
    if value is None or value == "":
        return ""
    return fmt_points(Decimal(value))
