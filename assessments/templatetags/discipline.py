"""Evidence discipline on pages of other apps (the dashboard): one count, one query."""

from typing import Any

from django import template

from assessments.selectors import scores_missing_evidence

register = template.Library()


@register.simple_tag
def missing_evidence_count(assessment: Any) -> int:
    """How many sub-criteria have points but no evidence (0 when the set does not ask)."""
    if assessment is None:
        return 0
    return scores_missing_evidence(assessment).count()
