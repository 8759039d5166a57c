"""Evidence discipline: confirming "Gửi lãnh đạo tất cả", and the scores without evidence."""

from __future__ import annotations

from django.shortcuts import render

from assessments.access import (
    get_assessment_for_user,
    is_staff,
    require_member,
    rule,
    submittable_assignments,
    unit_id_of,
)
from assessments.forms import SendAllForm
from assessments.models import Assignment
from assessments.selectors import scores_missing_evidence, send_plan


@rule("unit")
def send_all(request, pk):
    """What "Gửi lãnh đạo tất cả" will send (and leave out, and why), to confirm: the
    POST to `submit_unit` names exactly these items and their versions."""
    assessment = get_assessment_for_user(request.user, pk)
    criterion_ids = submittable_assignments(request.user, assessment).values("criterion_id")
    plan = send_plan(assessment, criterion_ids)
    return render(
        request,
        "assessments/send_all.html",
        {
            "assessment": assessment,
            "plan": plan,
            "form": SendAllForm(initial={"items": plan.confirmation}),
        },
    )


@rule("member")
def missing_evidence(request, pk):
    """The sub-criteria with points (proposed or approved) but no evidence, when the criteria
    set requires evidence: the dashboard's count, item by item. Staff see their unit's."""
    assessment = get_assessment_for_user(request.user, pk)
    require_member(request.user, assessment)
    scores = scores_missing_evidence(assessment).select_related("criterion")
    unit_id = unit_id_of(request.user)
    if is_staff(request.user, assessment) and unit_id is not None:
        led = Assignment.objects.filter(assessment=assessment).led_by(unit_id)
        scores = scores.filter(criterion_id__in=led.values("criterion_id"))
    leads = {
        a.criterion_id: a.lead_unit
        for a in Assignment.objects.filter(assessment=assessment).select_related("lead_unit")
    }
    rows = [(score, leads.get(score.criterion_id)) for score in scores.order_by("criterion__order")]
    return render(
        request,
        "assessments/missing_evidence.html",
        {
            "assessment": assessment,
            "rows": rows,
            "evidence_required": assessment.criteria_set.evidence_required,
            "own_unit_only": is_staff(request.user, assessment),
        },
    )
