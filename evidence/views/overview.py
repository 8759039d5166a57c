"""The assessment's evidence as a whole: overview and search, ZIP download, history.

Every member of the commune (leaders, the secretary, staff of any unit) sees the overview and
may download the ZIP of everything: each of them may already open every evidence of the
assessment one by one, so a narrower rule for the ZIP would protect nothing. The history is
for leaders. People of another commune get 404 everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from assessments.access import can_see_evidence_history, get_assessment_for_user, rule
from assessments.selectors import TreeNode, assessment_tree
from audit.context import carried
from evidence.archive import (
    archive_entries,
    archive_filename,
    archive_record,
    archive_size,
    stream_archive,
)
from evidence.forms import SearchForm
from evidence.models import Evidence, EvidenceEvent, EvidenceLink
from evidence.selectors import (
    evidence_ids_by_criterion,
    evidence_links_for_archive,
    evidence_search,
    evidence_totals,
    evidence_totals_of,
)
from guards.inputs import id_param
from jobs.services import job_start
from jobs.views import job_redirect

SEARCH_LIMIT = 20
PER_PAGE = 50


@rule("member")
def search(request, pk):
    """Evidence matching `q`, to reuse for the sub-criterion `tieu-chi` (htmx partial)."""
    assessment = get_assessment_for_user(request.user, pk)
    criterion_id = id_param(request.GET, "tieu-chi")
    form = SearchForm(request.GET)
    q = form.query()
    results = evidence_search(assessment, q=q) if q is not None else Evidence.objects.none()
    if criterion_id is not None:
        already = EvidenceLink.objects.filter(criterion_id=criterion_id).values("evidence_id")
        results = results.exclude(pk__in=already)
    return render(
        request,
        "evidence/_search_results.html",
        {
            "assessment": assessment,
            "results": results[:SEARCH_LIMIT],
            "criterion_id": criterion_id,
            "form": form,
        },
    )


def _find(tree, criterion_id: int | None) -> TreeNode | None:
    if criterion_id is None:
        return None
    return next((node for node in tree.rows() if node.criterion.pk == criterion_id), None)


def _leaves(nodes) -> list[TreeNode]:
    return [leaf for node in nodes for leaf in node.walk() if leaf.is_leaf]


@rule("member")
def overview(request, pk):
    """Which sub-criteria still lack evidence, counts and sizes per criterion and unit, and
    every evidence newest first, searchable without accents and filterable.

    `?don-vi=` and `?tieu-chi=` both narrow the sub-criteria in scope; the table then lists
    the evidence backing any of them (its own or linked)."""
    assessment = get_assessment_for_user(request.user, pk)
    tree = assessment_tree(assessment)
    units = list(assessment.commune.units.order_by("order", "name"))
    unit = next((u for u in units if u.pk == id_param(request.GET, "don-vi")), None)
    selected = _find(tree, id_param(request.GET, "tieu-chi"))
    form = SearchForm(request.GET)
    q = form.query()

    roots = [selected] if selected else tree.roots
    in_criterion = _leaves(roots)
    scope = [leaf for leaf in in_criterion if unit is None or leaf.assignment.concerns(unit)]
    filtered = unit is not None or selected is not None
    backing = evidence_ids_by_criterion(assessment)

    def summary(leaves: list[TreeNode]) -> dict:
        ids = set().union(*(backing.get(leaf.criterion.pk, set()) for leaf in leaves))
        return {
            "leaves": len(leaves),
            "with_evidence": sum(1 for leaf in leaves if backing.get(leaf.criterion.pk)),
            "evidence": len(ids),
        }

    if q is None:  # the form says why nothing is listed
        results = Evidence.objects.none()
    else:
        results = evidence_search(
            assessment,
            q=q,
            criterion_ids=[leaf.criterion.pk for leaf in scope] if filtered else None,
        )
    page = Paginator(results, PER_PAGE).get_page(request.GET.get("trang"))
    by_criterion = [{"criterion": root.criterion, **summary(_leaves([root]))} for root in roots]
    by_unit = [
        {
            "unit": each,
            **summary([leaf for leaf in in_criterion if leaf.assignment.lead_unit_id == each.pk]),
        }
        for each in units
    ]
    return render(
        request,
        "evidence/overview.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "totals": evidence_totals(assessment),
            "shown": evidence_totals_of(results) if filtered or q else None,
            "page": page,
            "units": units,
            "selected_unit": unit,
            "roots": [root.criterion for root in tree.roots],
            "selected": selected.criterion if selected else None,
            "q": q or "",
            "search_form": form,
            "by_criterion": by_criterion,
            "by_unit": by_unit,
            "missing": [leaf for leaf in scope if not backing.get(leaf.criterion.pk)],
            "scope_count": len(scope),
            "can_see_history": can_see_evidence_history(request.user, assessment),
        },
    )


@rule("member")
def archive(request, pk):
    """Every (not deleted) evidence as one ZIP, folders by sub-criterion code, with an index
    sheet; `?tieu-chi=<id>` for the sub-criteria under one criterion.

    Streamed in the request up to EVIDENCE_ZIP_IN_REQUEST_MAX_FILES files and
    EVIDENCE_ZIP_IN_REQUEST_MAX_BYTES bytes; larger, the page's button (a POST) starts a job
    that writes it in the worker (evidence/job_kinds.py), and a GET goes back to the page."""
    assessment = get_assessment_for_user(request.user, pk)
    criterion, criterion_ids = None, None
    if request.GET.get("tieu-chi"):
        node = _find(assessment_tree(assessment), id_param(request.GET, "tieu-chi"))
        if node is None:
            raise Http404("Không tìm thấy tiêu chí.")
        criterion = node.criterion
        criterion_ids = [leaf.criterion.pk for leaf in _leaves([node])]
    # Read everything from the database before the first byte goes out.
    entries = archive_entries(evidence_links_for_archive(assessment, criterion_ids))
    name = archive_filename(assessment, criterion)
    files, size = archive_size(entries)
    if (
        files > settings.EVIDENCE_ZIP_IN_REQUEST_MAX_FILES
        or size > settings.EVIDENCE_ZIP_IN_REQUEST_MAX_BYTES
    ):
        return _archive_job(request, assessment, criterion, criterion_ids, name)
    archive_record(
        assessment=assessment, criterion=criterion, name=name, files=len(entries), user=request.user
    )
    response = StreamingHttpResponse(stream_archive(entries), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Behind nginx: pass the chunks on as they come instead of spooling the ZIP to disk.
    response["X-Accel-Buffering"] = "no"
    return response


def _archive_job(request, assessment, criterion, criterion_ids, name: str) -> HttpResponse:
    back = reverse("evidence:overview", args=[assessment.pk])
    if criterion is not None:
        back += f"?tieu-chi={criterion.pk}"
    if request.method != "POST":
        messages.info(
            request,
            "Bộ minh chứng này lớn: tệp ZIP được chuẩn bị trên máy chủ. "
            "Bấm “Tải về tất cả (ZIP)” để bắt đầu.",
        )
        return redirect(back)
    job = job_start(
        kind="evidence.archive",
        user=request.user,
        title=f"Nén minh chứng {name}",
        params={
            "assessment": assessment.pk,
            "criterion": criterion.pk if criterion else None,
            "criterion_ids": criterion_ids,
            "back": back,
            "origin": carried(),
        },
        key=f"evidence-zip:{assessment.pk}:{criterion.pk if criterion else 'all'}",
    )
    return job_redirect(request, job)


@rule("leader")
def history(request, pk):
    """Who uploaded, linked, replaced, deleted or restored which evidence, newest first."""
    assessment = get_assessment_for_user(request.user, pk)
    if not can_see_evidence_history(request.user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã được xem lịch sử minh chứng.")
    action = request.GET.get("thao-tac", "")
    if action not in EvidenceEvent.Action.values:
        action = ""
    events = EvidenceEvent.objects.filter(assessment=assessment).select_related(
        "evidence", "criterion", "user"
    )
    if action:
        events = events.filter(action=action)
    return render(
        request,
        "evidence/history.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "page": Paginator(events.order_by("-at", "-id"), PER_PAGE).get_page(
                request.GET.get("trang")
            ),
            "actions": EvidenceEvent.Action.choices,
            "action": action,
        },
    )
