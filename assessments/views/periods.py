"""Periods follow one another: the list and switcher, the next period, the comparison."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from assessments.access import (
    get_assessment_for_user,
    is_leader,
    require_leader,
    require_overview,
    rule,
    visible_assessments,
)
from assessments.forms import PeriodCreateForm, next_period_of
from assessments.levels import level_statement
from assessments.models import Assessment
from assessments.periods import CHOSEN_KEY, switcher_for
from assessments.selectors import assessment_comparison
from assessments.services import assessment_create_next, newer_criteria_sets
from guards.inputs import id_param


@rule("signed_in")
def period_list(request):
    """ "Các kỳ đánh giá": the commune's assessments, current first, with what each issued."""
    switcher = switcher_for(request)
    # Opened from the navigation bar (htmx): only the dropdown's items, the period of the
    # page it was opened on (`?ky=`) marked, else the chosen or current one.
    template = "assessments/_period_menu.html" if request.htmx else "assessments/periods.html"
    selected = switcher.selected
    shown = id_param(request.GET, "ky") or (selected.assessment.pk if selected else None)
    return render(
        request,
        template,
        {
            "rows": switcher.rows,
            "shown": shown,
            "several_communes": switcher.several_communes,
            # Leaders start the next period from the current one (administrators: each commune's)
            "may_create": [
                row.assessment.pk
                for row in switcher.rows
                if row.is_current and is_leader(request.user, row.assessment)
            ],
        },
    )


@rule("member")
def period_choose(request, pk):
    """Remember the period chosen in the switcher; the home page lands on it from now on."""
    assessment = get_assessment_for_user(request.user, pk)
    request.session[CHOSEN_KEY] = assessment.pk
    return redirect("home")


@rule("leader")
def period_create(request, pk):
    """Leaders open the next period from this one (assessments.services.assessment_create_next)."""
    previous = get_assessment_for_user(request.user, pk)
    require_leader(request.user, previous)
    sets = [previous.criteria_set, *newer_criteria_sets(previous.criteria_set)]
    year, period = next_period_of(previous)
    form = PeriodCreateForm(
        request.POST or None,
        initial={"year": year, "period": period, "criteria_set": previous.criteria_set_id},
        criteria_sets=sets,
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = assessment_create_next(
                previous=previous,
                year=form.cleaned_data["year"],
                period=form.cleaned_data["period"],
                criteria_set=form.cleaned_data["criteria_set"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            assessment = made.assessment
            request.session[CHOSEN_KEY] = assessment.pk
            messages.success(
                request,
                f"Đã tạo kỳ đánh giá {assessment.get_period_display()} {assessment.year}: "
                "phân công, đăng ký, kế hoạch và hạn tự chấm được chép từ kỳ trước; điểm bắt "
                "đầu lại từ “Chưa chấm”.",
            )
            if made.unmatched:
                messages.warning(
                    request,
                    "Tiêu chí không có ở kỳ trước, phân công theo bộ tiêu chí: "
                    + ", ".join(made.unmatched),
                )
            if made.dropped:
                messages.warning(
                    request,
                    "Tiêu chí của kỳ trước không còn trong bộ tiêu chí: " + ", ".join(made.dropped),
                )
            return redirect("assessments:detail", pk=assessment.pk)
    return render(
        request,
        "assessments/period_form.html",
        {"assessment": previous, "previous": previous, "form": form, "newer": sets[1:]},
    )


def _previous_of(assessment: Assessment) -> Assessment | None:
    """The period it was created after; for older data without that link, the newest earlier
    period of the same commune."""
    if assessment.previous_id is not None:
        return assessment.previous
    order = list(Assessment.Period.values)
    earlier = [
        a
        for a in Assessment.objects.filter(
            commune_id=assessment.commune_id, year__lte=assessment.year
        )
        .exclude(pk=assessment.pk)
        .select_related("commune", "criteria_set", "target_level")
        if (a.year, order.index(a.period)) < (assessment.year, order.index(assessment.period))
    ]
    earlier.sort(key=lambda a: (a.year, order.index(a.period)))
    return earlier[-1] if earlier else None


@rule("reviewer")
def compare(request, pk):
    """ "So sánh với kỳ trước": points per criterion and sub-criterion in both periods."""
    assessment = get_assessment_for_user(request.user, pk)
    require_overview(request.user, assessment)
    previous = _previous_of(assessment)
    if previous is not None:
        # The previous period as the person may see it (always the same commune).
        previous = visible_assessments(request.user).filter(pk=previous.pk).first()
    if previous is None:
        return render(
            request, "assessments/compare.html", {"assessment": assessment, "comparison": None}
        )
    comparison = assessment_comparison(assessment, previous)
    return render(
        request,
        "assessments/compare.html",
        {
            "assessment": assessment,
            "previous": previous,
            "comparison": comparison,
            # What the documents say of each approved total (levels not verified: no level)
            "statement_before": level_statement(comparison.previous),
            "statement_now": level_statement(comparison.current),
        },
    )
