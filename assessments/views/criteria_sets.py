"""The criteria sets' pages (public rules, the same for every commune). They live in
assessments, above criteria, so that they ask the rule book like every other view."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from assessments.access import is_admin, rule
from criteria.models import CriteriaSet
from criteria.selectors import criteria_set_tree
from criteria.services import criteria_set_is_locked, criteria_set_problems


@rule("signed_in")
def criteria_set_list(request: HttpRequest) -> HttpResponse:
    """Every criteria set: they are public rules, the same for all communes."""
    sets = CriteriaSet.objects.prefetch_related("levels")
    return render(request, "criteria/set_list.html", {"criteria_sets": sets})


@rule("signed_in")
def criteria_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A criteria set's levels and tree; administrators also see provenance and problems."""
    criteria_set = get_object_or_404(CriteriaSet, pk=pk)
    admin = is_admin(request.user)
    return render(
        request,
        "criteria/set_detail.html",
        {
            "criteria_set": criteria_set,
            "levels": criteria_set.levels.all(),
            "rows": criteria_set_tree(criteria_set),
            "show_provenance": admin,
            "problems": criteria_set_problems(criteria_set) if admin else [],
            "locked": criteria_set_is_locked(criteria_set),
        },
    )
