"""A level as the city's working pages name it: with "(ngưỡng suy luận)" when its threshold
was inferred rather than read from a source (assessments.levels), so that nobody takes a
reconstructed band for the decision's."""

from typing import Any

from django import template

from assessments.levels import INFERRED

register = template.Library()


@register.filter
def level_label(level: Any) -> str:
    if level is None:
        return ""
    if (level.provenance or "").strip().lower() == INFERRED:
        return f"{level.name} (ngưỡng suy luận)"
    return str(level.name)
