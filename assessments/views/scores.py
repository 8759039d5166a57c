"""Scoring a sub-criterion: the unit proposes, leaders decide; locking the assessment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.access import (
    get_assessment_for_user,
    require_leader,
    require_member,
    require_propose,
    require_review,
    rule,
    submittable_assignments,
)
from assessments.forms import (
    AdjustmentForm,
    CommentForm,
    LockForm,
    ReopenForm,
    ReviewForm,
    ScoreForm,
    SendAllForm,
)
from assessments.models import Assignment, Score
from assessments.selectors import waiting_since
from assessments.services import (
    adjustment_record,
    assessment_lock,
    assessment_reopen,
    score_adjust,
    score_approve,
    score_comment,
    score_propose,
    score_return,
    score_submit_many,
)
from assessments.views.queue import item_url, next_item_redirect, posted_queue
from criteria.models import Adjustment
from guards.inputs import next_url


def _score_and_assignment(user, pk, criterion_pk):
    assessment = get_assessment_for_user(user, pk)
    assignment = get_object_or_404(
        Assignment.objects.select_related("criterion", "lead_unit"),
        assessment=assessment,
        criterion_id=criterion_pk,
    )
    score = get_object_or_404(
        Score.objects.select_related("criterion"), assessment=assessment, criterion_id=criterion_pk
    )
    return assessment, assignment, score


def _back(assessment, criterion_pk):
    return redirect(
        f"{reverse('assessments:criterion', args=[assessment.pk, criterion_pk])}#cham-diem"
    )


def _error(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request, form, *, labelled: bool = True) -> None:
    """Each error of the form as a message, after the label of its field if `labelled`."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if labelled and field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _keep_typed(request, form, score, refusal: ValidationError | None = None) -> None:
    """Keep what the person typed, as typed, for the criterion page to show again next to the
    newer saved value. Raw strings, not cleaned values: str(False) would tick a checkbox.
    The service's refusals about one field are kept too, for the page to mark that field
    (the form's own errors come back when the page validates the typed values again)."""
    request.session[f"score-draft-{score.pk}"] = {
        name: form.data.get(name, "") for name in form.fields if name != "version"
    }
    keyed = refusal is not None and hasattr(refusal, "error_dict")
    request.session[f"score-refusal-{score.pk}"] = refusal.message_dict if keyed else {}


@rule("unit")
@require_POST
def propose(request, pk, criterion_pk):
    """Save or submit the unit's proposal."""
    assessment, assignment, score = _score_and_assignment(request.user, pk, criterion_pk)
    require_propose(request.user, assessment, assignment)
    form = ScoreForm(request.POST, criterion=score.criterion)
    if not form.is_valid():
        _form_errors(request, form)
        _keep_typed(request, form, score)
        return _back(assessment, criterion_pk)
    submit = request.POST.get("action") == "submit"
    try:
        score_propose(
            score=score,
            by=request.user,
            expected_version=form.cleaned_data["version"],
            submit=submit,
            confirm_missing_evidence=bool(form.cleaned_data.get("confirm_missing_evidence")),
            **form.proposal(),
        )
    except ValidationError as error:
        _error(request, error)
        _keep_typed(request, form, score, error)
    else:
        request.session.pop(f"score-draft-{score.pk}", None)
        request.session.pop(f"score-refusal-{score.pk}", None)
        messages.success(
            request,
            f"Đã gửi điểm tiêu chí {score.criterion.code} cho lãnh đạo."
            if submit
            else f"Đã lưu nháp điểm tiêu chí {score.criterion.code}.",
        )
    return _back(assessment, criterion_pk)


# The review card's fields, by decision and by the argument a refusal is keyed with.
REVIEW_FIELDS = {
    "return": {"comment": "return_comment"},
    "adjust": {"points": "adjust_points", "reason": "adjust_reason"},
}


def _review_refusal(action: object, error: ValidationError) -> dict[str, str]:
    """The card's fields a refused decision is about ({field: message}), from the refusal's
    keys (the services' arguments, or the form's "points"), for the criterion page to mark
    them (aria-invalid, the message below each)."""
    fields = REVIEW_FIELDS.get(str(action), {})
    keyed = error.message_dict if hasattr(error, "error_dict") else {}
    return {fields[key]: texts[0] for key, texts in keyed.items() if key in fields and texts}


def _keep_review_typed(request, form: ReviewForm, score, refusal: dict[str, str]) -> None:
    if refusal:
        request.session[f"review-refusal-{score.pk}"] = {
            "fields": refusal,
            "action": form.data.get("action", ""),
            "comment": str(form.data.get("comment", "")),
            "points": str(form.data.get("points", "")),
        }


@rule("leader")
@require_POST
def review(request, pk, criterion_pk):
    """Leaders approve, return with a comment, or set a different score with a reason."""
    assessment, _assignment, score = _score_and_assignment(request.user, pk, criterion_pk)
    require_review(request.user, assessment)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        if set(form.errors) == {"points"}:  # mistyped points: say what is wrong with them
            messages.error(request, f"Điểm điều chỉnh: {form.errors['points'][0]}")
            refusal = ValidationError({"points": form.errors["points"][0]})
            _keep_review_typed(request, form, score, _review_refusal("adjust", refusal))
        else:
            messages.error(request, "Dữ liệu duyệt không hợp lệ; hãy tải lại trang.")
        return _back(assessment, criterion_pk)
    data = form.cleaned_data
    code = score.criterion.code
    # Opened from the review queue: after the decision, the next waiting item opens.
    queued = request.POST.get("hang-doi") == "1"
    position = waiting_since(score) if queued else None
    try:
        if data["action"] == "approve":
            score_approve(
                score=score,
                by=request.user,
                expected_version=data["version"],
                confirm_missing_evidence=bool(data["confirm_missing_evidence"]),
            )
            messages.success(request, f"Đã duyệt điểm tiêu chí {code}.")
        elif data["action"] == "return":
            score_return(
                score=score,
                by=request.user,
                expected_version=data["version"],
                comment=data["comment"],
            )
            messages.success(request, f"Đã trả lại tiêu chí {code} cho đơn vị.")
        else:
            score_adjust(
                score=score,
                by=request.user,
                expected_version=data["version"],
                points=data["points"],
                reason=data["comment"],
                confirm_missing_evidence=bool(data["confirm_missing_evidence"]),
            )
            messages.success(request, f"Đã điều chỉnh điểm tiêu chí {code}.")
    except ValidationError as error:
        _error(request, error)
        _keep_review_typed(request, form, score, _review_refusal(data["action"], error))
        if queued:  # stay on the item, still in the queue
            return redirect(
                f"{item_url(assessment, posted_queue(request, assessment), score)}#cham-diem"
            )
    else:
        if position is not None:
            return next_item_redirect(request, assessment, position, score)
    return _back(assessment, criterion_pk)


@rule("member")
@require_POST
def comment(request, pk, criterion_pk):
    """Supporting units and anyone of the commune may comment; they do not score."""
    assessment, _assignment, score = _score_and_assignment(request.user, pk, criterion_pk)
    require_member(request.user, assessment)
    form = CommentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form, labelled=False)
        return _back(assessment, criterion_pk)
    try:
        score_comment(score=score, by=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, "Đã ghi góp ý.")
    return _back(assessment, criterion_pk)


@rule("unit")
@require_POST
def submit_unit(request, pk):
    """Staff send the items they confirmed on the "Gửi lãnh đạo tất cả" page
    (`views.discipline.send_all`); a stale confirmation sends nothing."""
    assessment = get_assessment_for_user(request.user, pk)
    criterion_ids = submittable_assignments(request.user, assessment).values("criterion_id")
    confirm_page = reverse("assessments:submit_unit_confirm", args=[assessment.pk])
    form = SendAllForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form, labelled=False)
        return redirect(confirm_page)
    confirmed = form.cleaned_data["items"]
    scores = list(
        Score.objects.filter(assessment=assessment, criterion_id__in=criterion_ids)
        .select_related("criterion", "assessment")
        .order_by("criterion__order")
    )
    try:
        submitted, skipped = score_submit_many(
            scores=scores,
            by=request.user,
            confirmed=confirmed,
            confirm_missing_evidence=bool(form.cleaned_data["confirm_missing_evidence"]),
        )
    except ValidationError as error:
        _error(request, error)
        return redirect(confirm_page)
    if submitted:
        messages.success(
            request,
            f"Đã gửi {len(submitted)} tiêu chí: "
            + ", ".join(score.criterion.code for score in submitted)
            + ".",
        )
    else:
        messages.info(request, "Không có tiêu chí nào sẵn sàng để gửi.")
    for problem in skipped:
        messages.warning(request, problem)
    return redirect(next_url(request, reverse("home")))


@rule("leader")
@require_POST
def lock(request, pk):
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    form = LockForm(request.POST)
    if form.is_valid():
        try:
            assessment_lock(
                assessment=assessment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, "Đã khóa kỳ đánh giá: không ai sửa được điểm và minh chứng.")
    else:
        _form_errors(request, form)
    return redirect(next_url(request, reverse("assessments:detail", args=[pk])))


@rule("leader")
@require_POST
def reopen(request, pk):
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            assessment_reopen(
                assessment=assessment,
                by=request.user,
                reason=form.cleaned_data["reason"],
                new_deadline=form.cleaned_data["new_deadline"],
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, "Đã mở lại kỳ đánh giá.")
    elif form.has_error("reason", "required"):
        messages.error(request, "Phải ghi lý do mở lại kỳ đánh giá.")
    else:
        _form_errors(request, form)
    return redirect(next_url(request, reverse("assessments:detail", args=[pk])))


@rule("leader")
@require_POST
def adjustment(request, pk, adjustment_pk):
    """Leaders record cases against a deduction or a disqualifier of the criteria set."""
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    rule = get_object_or_404(Adjustment, pk=adjustment_pk, criteria_set=assessment.criteria_set)
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form, labelled=False)
    else:
        try:
            adjustment_record(
                assessment=assessment,
                adjustment=rule,
                cases=form.cleaned_data["cases"] or 0,
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, f"Đã cập nhật: {rule.title}.")
    return redirect(next_url(request, reverse("assessments:detail", args=[pk])))
