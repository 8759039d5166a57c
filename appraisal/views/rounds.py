"""The city's rounds of appraisal: the list (every city person), adding and changing one (the
city's administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from appraisal.council_forms import RoundForm
from appraisal.council_selectors import rounds_of
from appraisal.models import Round
from appraisal.round_services import round_save
from assessments.access import get_city_for_user, is_city_admin, require_city_admin, rule
from assessments.models import City
from guards.http import AuthenticatedRequest
from guards.inputs import errors_to_form


def round_for(city: City, round_pk: int) -> Round:
    round_ = (
        Round.objects.select_related("city", "criteria_set").filter(city=city, pk=round_pk).first()
    )
    if round_ is None:
        raise Http404("Không tìm thấy đợt thẩm định.")
    return round_


@rule("city")
def rounds(request: AuthenticatedRequest, city: int) -> HttpResponse:
    """The city's rounds with their dates and condition."""
    place = get_city_for_user(request.user, city)
    return render(
        request,
        "appraisal/council/rounds.html",
        {
            "city": place,
            "rounds": list(rounds_of(place)),
            "may_edit": is_city_admin(request.user, place),
            "section": "rounds",
        },
    )


def _round_form(request: AuthenticatedRequest, place: City, round_: Round | None) -> HttpResponse:
    require_city_admin(request.user, place)
    initial = {}
    if round_ is not None:
        initial = {
            "criteria_set": round_.criteria_set_id,
            "year": round_.year,
            "period": round_.period,
            "submission_deadline": round_.submission_deadline,
            "appraisal_deadline": round_.appraisal_deadline,
            "council_date": round_.council_date,
            "min_criterion_share": round_.min_criterion_share,
            "condition_provenance": round_.condition_provenance,
            "previous": round_.previous_id,
        }
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        city=place,
        round_=round_,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = round_save(city=place, by=request.user, round_=round_, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, f"Đã lưu {saved}.")
            return redirect("council:rounds", city=place.pk)
    return render(
        request,
        "appraisal/council/round_form.html",
        {"city": place, "round": round_, "form": form, "section": "rounds"},
    )


@rule("city_admin")
def round_add(request: AuthenticatedRequest, city: int) -> HttpResponse:
    return _round_form(request, get_city_for_user(request.user, city), None)


@rule("city_admin")
def round_edit(request: AuthenticatedRequest, city: int, round_pk: int) -> HttpResponse:
    place = get_city_for_user(request.user, city)
    return _round_form(request, place, round_for(place, round_pk))
