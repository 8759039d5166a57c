"""The city's pages: which city, its dashboard, the communes by stage, the ranking by block
and the two spreadsheets (started here, built in the worker: appraisal/job_kinds.py)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from appraisal import dashboard as board
from appraisal import stages, standing
from appraisal.models import Round
from assessments.access import get_city_for_user, require_city_person, rule, visible_cities
from assessments.models import City
from audit.context import carried
from jobs.services import job_start
from jobs.views import job_redirect

PER_PAGE = 50
LATE_SHOWN = 20


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
    # On deadline day most of a city may be late: the first LATE_SHOWN (the furthest behind
    # first), then a count and the link to the whole list, which has pages.
    context.update(late_shown=LATE_SHOWN, late_hidden=-LATE_SHOWN)
    return render(request, "appraisal/city/dashboard.html", context)


@rule("city")
def communes(request: HttpRequest, city: int) -> HttpResponse:
    """The communes of a round at one stage (or all), with the date they reached it."""
    place, rounds, round_ = _city_round(request, city)
    stage = board.stage_filter(request.GET.get("giai-doan"))
    rows = board.commune_stages(round_) if round_ is not None else []
    if stage is not None:
        rows = [row for row in rows if row.stage == stage]
    # A city has a hundred communes and more: pages of PER_PAGE (the stages of all of them
    # are one fixed set of queries, which the dashboard's counts need anyway).
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("trang"))
    context = {
        "city": place,
        "rounds": rounds,
        "round": round_,
        "rows": page.object_list,
        "page": page,
        "stage": stage,
        "stage_name": stages.STAGE_NAMES.get(stage or "", ""),
        "all_stages": stages.ALL_STAGES,
    }
    return render(request, "appraisal/city/communes.html", context)


@rule("city")
def ranking(request: HttpRequest, city: int) -> HttpResponse:
    """The round's ranking by block, with the change since the previous round.

    Not paginated: a ranking is read whole (a rank means something against every other
    commune of its block, and the council compares them side by side); its queries are a
    fixed set whatever the number of communes (tests/appraisal/test_dashboard.py)."""
    place, rounds, round_ = _city_round(request, city)
    blocks = standing.ranking(round_) if round_ is not None else []
    context = {"city": place, "rounds": rounds, "round": round_, "blocks": blocks}
    return render(request, "appraisal/city/ranking.html", context)


EXPORTS = {
    "ranking_xlsx": "Xếp hạng thẩm định",
    "results_xlsx": "Kết quả thẩm định",
}


def _export(request: HttpRequest, city: int, what: str) -> HttpResponse:
    """Start the spreadsheet `what` of the round (appraisal/job_kinds.py): it grows with the
    city's communes, so it is built in the worker. GET (an old link) only goes back to the
    ranking, where the buttons are; a second click while it runs gives the same job."""
    place, _rounds, round_ = _city_round(request, city)
    back = reverse("appraisal:ranking", args=[place.pk])
    if round_ is None:
        return redirect(back)
    back = f"{back}?dot={round_.pk}"
    if request.method != "POST":
        return redirect(back)
    document = EXPORTS[what]
    job = job_start(
        kind=f"appraisal.{what}",
        user=request.user,  # type: ignore[arg-type]  # signed in (the rule)
        title=f"{document} {round_.get_period_display().lower()} {round_.year} – {place.name}",
        params={"round": round_.pk, "back": back, "origin": carried()},
        key=f"{what}:{round_.pk}",
    )
    return job_redirect(request, job)


@rule("city")
def ranking_xlsx(request: HttpRequest, city: int) -> HttpResponse:
    return _export(request, city, "ranking_xlsx")


@rule("city")
def results_xlsx(request: HttpRequest, city: int) -> HttpResponse:
    return _export(request, city, "results_xlsx")
