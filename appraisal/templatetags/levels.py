"""A level as the city's working pages name it (assessments.levels.level_label): with
"(ngưỡng suy luận)" when its threshold was inferred rather than read from a source."""

from typing import Any

from django import template

from assessments import levels

register = template.Library()


@register.filter
def level_label(level: Any) -> str:
    return levels.level_label(level)
