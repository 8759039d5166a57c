"""Lateness on the pages that only include a partial (the leaders' dashboard)."""

from typing import Any

from django import template

from assessments.selectors import UnitDue, late_units

register = template.Library()


@register.simple_tag
def late_units_of(assessment: Any) -> list[UnitDue]:
    """The units past their deadline that still owe sub-criteria (`late_units`: four queries,
    none on an assessment that is not open)."""
    return late_units(assessment) if assessment is not None else []
