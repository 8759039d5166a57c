"""The banner of a frozen assessment: which issued report froze it, on every page of it."""

from typing import Any

from django import template

from assessments.access import (
    at_city,
    frozen_by,
    is_member,
    is_reviewer,
    may_unfreeze,
    report_reference,
)

register = template.Library()


@register.inclusion_tag("assessments/_frozen_banner.html", takes_context=True)
def frozen_banner(context: template.Context, assessment: Any) -> dict[str, Any]:
    """Nothing unless `assessment` is frozen and the person is of its commune; the report's
    page is linked for those who may read it (reviewers), its public verification page for
    the others. Once the dossier is at the city the banner says so (when it was sent, and
    that changes go through the city's request to explain): reopening is refused then
    (`reopen_refusal`). Two queries, on frozen assessments only."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if assessment is None or user is None or not is_member(user, assessment):
        return {}
    report = frozen_by(assessment)
    if report is None:
        return {}
    return {
        "assessment": assessment,
        "report": report,
        "reference": report_reference(report),
        "is_reviewer": is_reviewer(user, assessment),
        "may_reopen": may_unfreeze(user, assessment),
        "sent_to_city": at_city(assessment),
    }
