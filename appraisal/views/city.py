"""The city's pages: which city, its dashboard, the communes by stage, the ranking by block
and the two spreadsheets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from appraisal import dashboard as board
from appraisal import stages, standing, xlsx
from appraisal.models import Round
from assessments.access import get_city_for_user, require_city_person, rule, visible_cities
from assessments.models import City
from criteria.models import Criterion
from guards.filenames import send_as


@rule("city")
def home(request: HttpRequest) -> HttpResponse:
    """A city person lands on their city's dashboard; a system administrator chooses."""
    require_city_person(request.user)
    cities = list(visible_cities(request.user))
    if len(cities) == 1:
        return redirect("appraisal:dashboard", city=cities[0].pk)
    return render(request, "appraisal/choose_city.html", {"cities": cities})


def _city_round(request: HttpRequest, city: int) -> tuple[City, list[Round], Round | None]:
    """The city (404 to another city's people, 403 to a commune's) and the round of `?dot=`
    among its rounds (the latest by default; 404 for another city's)."""
    place = get_city_for_user(request.user, city)
    rounds = board.city_rounds(place)
    round_ = board.chosen_round(rounds, request.GET.get("dot"))
    if round_ is not None:
        round_.city = place  # the rounds are the city's: spare a query per use
    return place, rounds, round_


@rule("city")
def dashboard(request: HttpRequest, city: int) -> HttpResponse:
    """The progress of every commune, the late ones, the totals and the common losses."""
    place, rounds, round_ = _city_round(request, city)
    context = {"city": place, "rounds": rounds, "round": round_}
    if round_ is not None:
        context["overview"] = board.overview(round_)
    return render(request, "appraisal/city/dashboard.html", context)


@rule("city")
def communes(request: HttpRequest, city: int) -> HttpResponse:
    """The communes of a round at one stage (or all), with the date they reached it."""
    place, rounds, round_ = _city_round(request, city)
    stage = board.stage_filter(request.GET.get("giai-doan"))
    rows = board.commune_stages(round_) if round_ is not None else []
    if stage is not None:
        rows = [row for row in rows if row.stage == stage]
    context = {
        "city": place,
        "rounds": rounds,
        "round": round_,
        "rows": rows,
        "stage": stage,
        "stage_name": stages.STAGE_NAMES.get(stage or "", ""),
        "all_stages": stages.ALL_STAGES,
    }
    return render(request, "appraisal/city/communes.html", context)


@rule("city")
def ranking(request: HttpRequest, city: int) -> HttpResponse:
    """The round's ranking by block, with the change since the previous round."""
    place, rounds, round_ = _city_round(request, city)
    blocks = standing.ranking(round_) if round_ is not None else []
    context = {"city": place, "rounds": rounds, "round": round_, "blocks": blocks}
    return render(request, "appraisal/city/ranking.html", context)


def _xlsx(data: bytes, name: str) -> HttpResponse:
    return send_as(HttpResponse(data, content_type=xlsx.CONTENT_TYPE), name)


@rule("city")
def ranking_xlsx(request: HttpRequest, city: int) -> HttpResponse:
    place, _rounds, round_ = _city_round(request, city)
    if round_ is None:
        return redirect("appraisal:ranking", city=place.pk)
    data = xlsx.ranking_xlsx(round_, standing.ranking(round_))
    return _xlsx(data, xlsx.export_name(round_, "Xếp hạng thẩm định"))


@rule("city")
def results_xlsx(request: HttpRequest, city: int) -> HttpResponse:
    place, _rounds, round_ = _city_round(request, city)
    if round_ is None:
        return redirect("appraisal:ranking", city=place.pk)
    roots = list(
        Criterion.objects.filter(criteria_set_id=round_.criteria_set_id, parent=None).order_by(
            "order", "id"
        )
    )
    data = xlsx.results_xlsx(round_, standing.ranking(round_), roots)
    return _xlsx(data, xlsx.export_name(round_, "Kết quả thẩm định"))
