"""The "Gửi hồ sơ lên thành phố" panel on the commune's report pages (the reports app does not
import the appraisal app: its templates load this tag)."""

from typing import Any

from django import template

from appraisal.submission_services import is_late, submission_readiness
from assessments.access import is_reviewer, may_submit_to_city

register = template.Library()


@register.inclusion_tag("appraisal/commune/_panel.html", takes_context=True)
def submission_panel(context: template.Context, assessment: Any) -> dict[str, Any]:
    """Whether the dossier can be sent and why not, the button for the secretary, and once
    sent its stage; for the commune's leaders and secretary only (nothing for others)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if assessment is None or user is None or not is_reviewer(user, assessment):
        return {}
    state = submission_readiness(assessment)
    submission = state.submission
    return {
        "show": True,
        "assessment": assessment,
        "state": state,
        "submission": submission,
        "late": is_late(submission) if submission is not None else state.late,
        "may_send": may_submit_to_city(user, assessment) and state.ready,
        "open_requests": submission.explanation_requests.filter(status="open").count()
        if submission is not None
        else 0,
        "csrf_token": context.get("csrf_token"),
        "linked": True,
    }
