from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from criteria.models import CriteriaSet
from criteria.selectors import criteria_set_tree
from criteria.services import criteria_set_is_locked, criteria_set_problems
from guards.http import AuthenticatedRequest


@login_required
def criteria_set_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every criteria set: they are public rules, the same for all communes."""
    sets = CriteriaSet.objects.prefetch_related("levels")
    return render(request, "criteria/set_list.html", {"criteria_sets": sets})


@login_required
def criteria_set_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    criteria_set = get_object_or_404(CriteriaSet, pk=pk)
    is_admin = request.user.is_superuser
    return render(
        request,
        "criteria/set_detail.html",
        {
            "criteria_set": criteria_set,
            "levels": criteria_set.levels.all(),
            "rows": criteria_set_tree(criteria_set),
            "show_provenance": is_admin,
            "problems": criteria_set_problems(criteria_set) if is_admin else [],
            "locked": criteria_set_is_locked(criteria_set),
        },
    )
