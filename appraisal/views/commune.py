"""The commune's pages of its dossier at the city: send it, follow its stage, answer the city's
requests to explain. `pk` is the assessment: another commune's (and the city's people) get 404,
as for every page of an assessment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from appraisal.forms import AnswerForm, ExplanationEvidenceForm
from appraisal.models import ExplanationItem, ExplanationRequest, Submission
from appraisal.stages import STAGE_NAMES
from appraisal.submission_services import (
    explanation_item_answer,
    explanation_item_upload,
    explanation_send,
    is_late,
    request_is_late,
    submission_readiness,
    submission_send,
)
from assessments.access import (
    at_city,
    get_assessment_for_user,
    may_answer_explanation,
    may_submit_to_city,
    require_answer_explanation,
    require_overview,
    require_submit_to_city,
    rule,
)
from assessments.models import Assessment
from evidence.models import Evidence
from guards.http import AuthenticatedRequest
from guards.inputs import next_url
from guards.uploads import accepts_files

CONCLUDED = {
    Submission.Stage.CONCLUDED,
    Submission.Stage.RECOGNISED,
    Submission.Stage.NOT_RECOGNISED,
}


def _error(request: AuthenticatedRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _submission(assessment: Assessment) -> Submission:
    submission = at_city(assessment)
    if submission is None:
        raise Http404("Hồ sơ chưa gửi lên thành phố.")
    return submission


def _get_request(
    user: object, pk: int, request_pk: int
) -> tuple[Assessment, Submission, ExplanationRequest]:
    """The assessment (404 to other communes), its submission and one request of it."""
    assessment = get_assessment_for_user(user, pk)  # type: ignore[arg-type]
    submission = _submission(assessment)
    found = (
        ExplanationRequest.objects.filter(submission=submission, pk=request_pk)
        .select_related("created_by", "answered_by")
        .first()
    )
    if found is None:
        raise Http404("Không tìm thấy đề nghị giải trình.")
    found.submission = submission
    return assessment, submission, found


def _get_item(request: ExplanationRequest, item_pk: int) -> ExplanationItem:
    item = request.items.select_related("criterion").filter(pk=item_pk).first()
    if item is None:
        raise Http404("Không tìm thấy nội dung giải trình.")
    item.request = request
    return item


def _request_url(assessment_pk: int, request_pk: int) -> str:
    return reverse("submission:request", kwargs={"pk": assessment_pk, "request_pk": request_pk})


@rule("reviewer")
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The dossier at the city: whether it can be sent (and why not), its stage with dates,
    the city's requests to explain, and the city's result once concluded."""
    assessment = get_assessment_for_user(request.user, pk)
    require_overview(request.user, assessment)
    state = submission_readiness(assessment)
    submission = state.submission
    requests: list[ExplanationRequest] = []
    events = []
    if submission is not None:
        events = list(submission.events.select_related("user"))
        requests = list(
            submission.explanation_requests.select_related("created_by", "answered_by")
            .prefetch_related("items__criterion")
            .order_by("-created_at")
        )
        for item in requests:
            item.late = request_is_late(item)  # type: ignore[attr-defined]  # for the template
    return render(
        request,
        "appraisal/commune/detail.html",
        {
            "assessment": assessment,
            "state": state,
            "submission": submission,
            "late": is_late(submission) if submission is not None else state.late,
            "events": events,
            "requests": requests,
            "concluded": submission is not None and submission.stage in CONCLUDED,
            "may_send": may_submit_to_city(request.user, assessment) and state.ready,
            "stage_names": STAGE_NAMES,
        },
    )


@rule("secretary")
@require_POST
def send(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """ "Gửi hồ sơ lên thành phố" (the secretary)."""
    assessment = get_assessment_for_user(request.user, pk)
    require_submit_to_city(request.user, assessment)
    try:
        submission = submission_send(assessment=assessment, by=request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        text = f"Đã gửi hồ sơ lên thành phố ({submission.round})."
        if is_late(submission):
            text += " Hồ sơ gửi sau hạn, được ghi nhận là gửi trễ hạn."
        messages.success(request, text)
    return redirect(next_url(request, reverse("submission:detail", kwargs={"pk": pk})))


@rule("reviewer")
def request_detail(request: AuthenticatedRequest, pk: int, request_pk: int) -> HttpResponse:
    """One request to explain: each item (sub-criterion, the city's question), the answer and
    the evidence added; the leaders write and send the answer here."""
    assessment, submission, explanation = _get_request(request.user, pk, request_pk)
    require_overview(request.user, assessment)
    items = list(
        explanation.items.select_related("criterion", "answered_by").prefetch_related(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("current_file").order_by("code"),
            )
        )
    )
    is_open = explanation.status == ExplanationRequest.Status.OPEN
    answering = is_open and may_answer_explanation(request.user, assessment)
    for item in items:
        item.form = AnswerForm(  # type: ignore[attr-defined]  # for the template
            initial={"answer": item.answer}, auto_id=f"id_item{item.pk}_%s"
        )
        item.upload_form = ExplanationEvidenceForm(  # type: ignore[attr-defined]
            auto_id=f"id_upload{item.pk}_%s"
        )
    return render(
        request,
        "appraisal/commune/request.html",
        {
            "assessment": assessment,
            "submission": submission,
            "explanation": explanation,
            "items": items,
            "is_open": is_open,
            "answering": answering,
            "late": request_is_late(explanation),
            "unanswered": [i.criterion.code for i in items if not i.answer.strip()],
        },
    )


@rule("commune_answer")
@require_POST
def item_answer(
    request: AuthenticatedRequest, pk: int, request_pk: int, item_pk: int
) -> HttpResponse:
    """Save the commune's answer on one item (it is sent with "Gửi giải trình")."""
    assessment, _submission_, explanation = _get_request(request.user, pk, request_pk)
    require_answer_explanation(request.user, assessment)
    item = _get_item(explanation, item_pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            explanation_item_answer(item=item, by=request.user, answer=form.cleaned_data["answer"])
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, f"Đã lưu giải trình tiêu chí {item.criterion.code}.")
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"Tiêu chí {item.criterion.code}: {message}")
    return redirect(f"{_request_url(pk, request_pk)}#item-{item.pk}")


@rule("commune_answer")
@require_POST
@accepts_files()
def item_upload(
    request: AuthenticatedRequest, pk: int, request_pk: int, item_pk: int
) -> HttpResponse:
    """Add a file of evidence to one item: stored as the commune's evidence of that
    sub-criterion (the frozen assessment takes it for this answer only) and linked."""
    assessment, _submission_, explanation = _get_request(request.user, pk, request_pk)
    require_answer_explanation(request.user, assessment)
    item = _get_item(explanation, item_pk)
    back = f"{_request_url(pk, request_pk)}#item-{item.pk}"
    if getattr(request, "oversize_uploads", None):
        messages.error(request, "Tệp lớn hơn giới hạn cho phép.")
        return redirect(back)
    form = ExplanationEvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(back)
    try:
        outcome = explanation_item_upload(
            item=item,
            upload=form.cleaned_data["file"],
            by=request.user,
            title=form.cleaned_data["title"],
        )
    except ValidationError as error:
        _error(request, error)
        return redirect(back)
    if outcome.status == "stored" and outcome.evidence is not None:
        messages.success(
            request,
            f"Đã tải lên “{outcome.name}” thành {outcome.evidence.code}, gắn vào giải trình "
            f"tiêu chí {item.criterion.code}.",
        )
        if outcome.warning:
            messages.warning(request, outcome.warning)
    elif outcome.status == "duplicate" and outcome.duplicate_of is not None:
        messages.info(
            request,
            f"“{outcome.name}” đã có trong minh chứng {outcome.duplicate_of.code}: đã gắn "
            f"minh chứng đó vào giải trình tiêu chí {item.criterion.code}.",
        )
    else:
        messages.error(request, f"Không nhận “{outcome.name}”: {outcome.message}")
    return redirect(back)


@rule("commune_answer")
@require_POST
def request_send(request: AuthenticatedRequest, pk: int, request_pk: int) -> HttpResponse:
    """ "Gửi giải trình": the answers go to the city; the dossier is appraised again."""
    assessment, _submission_, explanation = _get_request(request.user, pk, request_pk)
    require_answer_explanation(request.user, assessment)
    try:
        explanation = explanation_send(request=explanation, by=request.user)
    except ValidationError as error:
        _error(request, error)
        return redirect(_request_url(pk, request_pk))
    text = "Đã gửi giải trình lên thành phố."
    if request_is_late(explanation):
        text += (
            f" Giải trình gửi sau hạn {explanation.deadline:%d/%m/%Y}: được nhận, ghi là trễ hạn."
        )
    messages.success(request, text)
    return redirect("submission:detail", pk=pk)
