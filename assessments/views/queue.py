"""The leaders' review queue: what waits for them, oldest first, and the way through it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.access import get_assessment_for_user, require_review, rule
from assessments.forms import BulkApproveForm
from assessments.models import Assessment, Score, Unit
from assessments.selectors import ReviewQueue, review_queue, waiting_since
from assessments.services import score_approve_many
from guards.inputs import id_param

QUEUE_MARK = "hang-doi"
"""Set on an item page opened from the queue: its actions then open the next item."""
DONE = "Hết mục chờ duyệt."


def queue_for(assessment: Assessment, unit_id: int | None, root_id: int | None) -> ReviewQueue:
    """The queue, only what a lead unit of the commune leads and what is under a top-level
    criterion when those are given (an unknown id means no filter)."""
    unit = (
        Unit.objects.filter(commune_id=assessment.commune_id, pk=unit_id).first()
        if unit_id is not None
        else None
    )
    return review_queue(assessment, unit=unit, root_id=root_id)


def shown_queue(request: HttpRequest, assessment: Assessment) -> ReviewQueue:
    """The queue with the filters of the address (`?don-vi=&tieu-chi=`)."""
    return queue_for(assessment, id_param(request.GET, "don-vi"), id_param(request.GET, "tieu-chi"))


def posted_queue(request: HttpRequest, assessment: Assessment) -> ReviewQueue:
    """The queue with the filters a form carried (hidden `don-vi` and `tieu-chi`)."""
    return queue_for(
        assessment, id_param(request.POST, "don-vi"), id_param(request.POST, "tieu-chi")
    )


def queue_params(queue: ReviewQueue) -> dict[str, int]:
    """The queue's filters as they travel in links and forms."""
    params = {}
    if queue.unit is not None:
        params["don-vi"] = queue.unit.pk
    if queue.root is not None:
        params["tieu-chi"] = queue.root.pk
    return params


def queue_url(assessment: Assessment, queue: ReviewQueue) -> str:
    params = queue_params(queue)
    url = reverse("assessments:queue", args=[assessment.pk])
    return f"{url}?{urlencode(params)}" if params else url


def item_url(assessment: Assessment, queue: ReviewQueue, score: Score) -> str:
    """The item page of a waiting score, in the queue (its actions then open the next)."""
    url = reverse("assessments:criterion", args=[assessment.pk, score.criterion_id])
    return f"{url}?{urlencode({QUEUE_MARK: 1, **queue_params(queue)})}"


def next_item_redirect(
    request: HttpRequest, assessment: Assessment, key: tuple, score: Score
) -> HttpResponse:
    """After a decision on `score` (which stood at `key`), open the next waiting item,
    keeping the filters the leader chose; the queue itself when nothing waits any more."""
    queue = posted_queue(request, assessment)
    following = queue.next_after(key, skip=score.pk)
    if following is None:
        messages.info(request, DONE)
        return redirect(queue_url(assessment, queue))
    return redirect(item_url(assessment, queue, following.score))


def queue_navigation(request: HttpRequest, assessment: Assessment, score: Score) -> dict:
    """For a leader's item page: "Mục tiếp theo (n còn lại)" (the next waiting item after
    this one and how many others wait, with the filters of the address), and whether the
    page was opened in the queue (`?hang-doi=1`): its decisions then open that next item."""
    queue = shown_queue(request, assessment)
    current = queue.item_for(score.pk)
    key = current.key if current is not None else waiting_since(score)
    following = queue.next_after(key, skip=score.pk)
    return {
        "in_queue": request.GET.get("hang-doi") == "1",
        "next_url": item_url(assessment, queue, following.score) if following else "",
        "remaining": len(queue) - (1 if current is not None else 0),
        "params": queue_params(queue),
        "queue_url": queue_url(assessment, queue),
    }


@rule("leader")
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Chờ duyệt": every score submitted or resubmitted, oldest first, with filters."""
    assessment = get_assessment_for_user(request.user, pk)
    require_review(request.user, assessment)
    waiting = shown_queue(request, assessment)
    return render(
        request,
        "assessments/queue.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "queue": waiting,
            "units": assessment.commune.units.order_by("order", "name"),
            "params": queue_params(waiting),
            "item_query": urlencode({QUEUE_MARK: 1, **queue_params(waiting)}),
            "is_open": assessment.status == Assessment.Status.OPEN,
        },
    )


@rule("leader")
@require_POST
def queue_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve the ticked rows, each against the version the leader saw."""
    assessment = get_assessment_for_user(request.user, pk)
    require_review(request.user, assessment)
    form = BulkApproveForm(request.POST)
    back = queue_url(assessment, posted_queue(request, assessment))
    if not form.is_valid():
        for error in form.errors.get("muc", []):
            messages.error(request, error)
        return redirect(back)
    chosen = form.cleaned_data["muc"]
    scores = list(
        Score.objects.filter(assessment=assessment, pk__in=list(chosen)).select_related("criterion")
    )
    missing = len(chosen) - len(scores)
    if missing:
        # Another commune's score, or one that does not exist: nothing is approved.
        messages.error(
            request,
            f"{missing} mục đã chọn không thuộc kỳ đánh giá này; chưa duyệt mục nào. "
            "Hãy tải lại trang rồi chọn lại.",
        )
        return redirect(back)
    try:
        result = score_approve_many(
            scores=scores,
            by=request.user,
            versions=chosen,
            confirm_missing_evidence=bool(form.cleaned_data["confirm_missing_evidence"]),
        )
    except ValidationError as error:  # a locked or frozen assessment
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    if result.approved:
        in_order = sorted(result.approved, key=lambda score: score.criterion.order)
        codes = ", ".join(score.criterion.code for score in in_order)
        messages.success(request, f"Đã duyệt {len(result.approved)} tiêu chí: {codes}.")
    if result.refused:
        messages.warning(
            request,
            f"{len(result.refused)} tiêu chí chưa được duyệt: " + " ".join(result.refused),
        )
    return redirect(back)
