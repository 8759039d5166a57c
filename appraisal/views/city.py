"""The city's pages: which city, its dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from assessments.access import get_city_for_user, require_city_person, rule, visible_cities


@rule("city")
def home(request: HttpRequest) -> HttpResponse:
    """A city person lands on their city's dashboard; a system administrator chooses."""
    require_city_person(request.user)
    cities = list(visible_cities(request.user))
    if len(cities) == 1:
        return redirect("appraisal:dashboard", city=cities[0].pk)
    return render(request, "appraisal/choose_city.html", {"cities": cities})


@rule("city")
def dashboard(request: HttpRequest, city: int) -> HttpResponse:
    place = get_city_for_user(request.user, city)
    return render(request, "appraisal/dashboard.html", {"city": place})
