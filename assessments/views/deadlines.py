"""Hạn tự chấm điểm: leaders set the assessment's deadline and give units their own."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.access import get_assessment_for_user, require_leader, rule
from assessments.forms import AssessmentDeadlineForm, UnitDeadlineForm, UnitDeadlineRemoveForm
from assessments.models import Assessment, Unit
from assessments.selectors import unit_dues
from assessments.services import assessment_deadline_set, unit_deadline_remove, unit_deadline_set
from guards.http import AuthenticatedRequest


def _page(assessment: Assessment, anchor: str = "") -> str:
    return reverse("assessments:deadlines", args=[assessment.pk]) + (f"#{anchor}" if anchor else "")


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label and field != "expected" else error)


@rule("leader")
def deadlines(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The assessment's deadline (a form), and each unit's deadline, own deadline (reason, who,
    when) and what it still owes, with forms to extend or remove."""
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    initial = {
        "deadline": assessment.scoring_deadline,
        "expected": _iso(assessment.scoring_deadline),
    }
    form = AssessmentDeadlineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_deadline_set(
                assessment=assessment,
                deadline=form.cleaned_data["deadline"],
                reason=form.cleaned_data["reason"],
                expected=form.cleaned_data["expected"],
                by=request.user,
            )
        except ValidationError as error:
            _messages(request, error)  # shown above the page, also when the form is not
        else:
            messages.success(request, "Đã lưu hạn tự chấm điểm chung.")
            return redirect(_page(assessment))
    today = timezone.localdate()
    dues = unit_dues(assessment, today=today)
    return render(
        request,
        "assessments/deadlines.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "form": form,
            "dues": dues,
            "late": [row for row in dues if row.is_late],
            "today": today,
            "editable": assessment.status == Assessment.Status.OPEN,
        },
    )


def _unit(assessment: Assessment, unit_pk: int) -> Unit:
    """A unit of the assessment's commune, or 404 (another commune's unit is not found)."""
    return get_object_or_404(Unit, pk=unit_pk, commune_id=assessment.commune_id)


@rule("leader")
@require_POST
def unit_deadline(request: AuthenticatedRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Give one unit its own deadline (or change it), with a reason."""
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    unit = _unit(assessment, unit_pk)
    form = UnitDeadlineForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
    else:
        try:
            row = unit_deadline_set(
                assessment=assessment,
                unit=unit,
                deadline=form.cleaned_data["deadline"],
                reason=form.cleaned_data["reason"],
                expected=form.cleaned_data["expected"],
                by=request.user,
            )
        except ValidationError as error:
            _messages(request, error)
        else:
            messages.success(request, f"Đã đặt hạn riêng cho {unit}: {row.deadline:%d/%m/%Y}.")
    return redirect(_page(assessment, f"don-vi-{unit.pk}"))


@rule("leader")
@require_POST
def unit_deadline_remove_view(request: AuthenticatedRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The unit follows the assessment's deadline again."""
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    unit = _unit(assessment, unit_pk)
    form = UnitDeadlineRemoveForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
    else:
        try:
            unit_deadline_remove(
                assessment=assessment,
                unit=unit,
                expected=form.cleaned_data["expected"],
                by=request.user,
            )
        except ValidationError as error:
            _messages(request, error)
        else:
            messages.success(request, f"{unit} theo hạn chung của kỳ đánh giá.")
    return redirect(_page(assessment, f"don-vi-{unit.pk}"))
