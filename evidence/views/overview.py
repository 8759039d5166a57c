"""The assessment's evidence as a whole: overview and search, ZIP download, history."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from assessments.access import get_assessment_for_user
from evidence.models import EvidenceLink
from evidence.selectors import evidence_search

SEARCH_LIMIT = 20


@login_required
def search(request, pk):
    """Evidence matching `q`, to reuse for the sub-criterion `tieu-chi` (htmx partial)."""
    assessment = get_assessment_for_user(request.user, pk)
    criterion_id = request.GET.get("tieu-chi", "")
    results = evidence_search(assessment, q=request.GET.get("q", ""))
    if criterion_id.isdigit():
        already = EvidenceLink.objects.filter(criterion_id=int(criterion_id)).values("evidence_id")
        results = results.exclude(pk__in=already)
    return render(
        request,
        "evidence/_search_results.html",
        {
            "assessment": assessment,
            "results": results[:SEARCH_LIMIT],
            "criterion_id": int(criterion_id) if criterion_id.isdigit() else None,
        },
    )


@login_required
def overview(request, pk):
    return HttpResponse(status=501)


@login_required
def archive(request, pk):
    return HttpResponse(status=501)


@login_required
def history(request, pk):
    return HttpResponse(status=501)
