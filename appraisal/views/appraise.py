"""The appraisers' pages: the list of submissions to appraise, one submission criterion by
criterion (the city's score, the split between appraisers, the city's findings), the request
to explain, and the evidence files of a submission opened in the browser."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from appraisal.appraise_forms import (
    AppraisalScoreForm,
    CityAdjustmentForm,
    ExplanationRequestForm,
)
from appraisal.appraise_selectors import (
    OPEN_STAGES,
    Leaf,
    appraisal_list,
    appraisal_of,
    sent_from_row,
    sent_from_score,
    sent_scores,
    submission_queryset,
)
from appraisal.appraise_services import (
    Asked,
    appraisal_score_save,
    appraisers_assign,
    city_adjustment_save,
    explanation_request_create,
    top_of,
)
from appraisal.models import AppraiserAssignment, Submission
from appraisal.stages import STAGE_NAMES
from assessments.access import (
    appraisal_refusal,
    city_id_of,
    may_appraise,
    may_assign_appraisers,
    require_appraise,
    require_appraiser_person,
    require_assign_appraisers,
    require_open_submitted_evidence,
    require_see_appraisal,
    rule,
)
from assessments.models import CityMembership, Score
from criteria.models import Adjustment, Criterion
from evidence.models import EvidenceFile
from evidence.views.files import send_evidence_file
from guards.inputs import MAX_ID, NUL_MESSAGE, nfc

PER_PAGE = 25
MAX_QUESTION = 5000


def _id(text: str) -> int | None:
    """An id posted in a list (criterion, appraiser), or None when it is not one."""
    text = text.strip()
    if not text.isascii() or not text.isdecimal():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def get_submission(request: HttpRequest, submission_pk: int) -> Submission:
    """The submission for the city's people: 403 to a commune's people, 404 to another
    city's (the rule book decides)."""
    submission = get_object_or_404(submission_queryset(), pk=submission_pk)
    require_see_appraisal(request.user, submission.assessment)
    return submission


def _page_url(submission: Submission, anchor: str = "") -> str:
    url = reverse("appraise:submission", args=[submission.pk])
    return f"{url}#{anchor}" if anchor else url


@rule("appraiser")
def submission_list(request: HttpRequest) -> HttpResponse:
    """The submissions of the person's city that are being appraised, with their progress."""
    require_appraiser_person(request.user)
    mine = request.GET.get("cua-toi") == "1"
    submissions = appraisal_list(
        request.user,
        city_id=city_id_of(request.user),
        mine=mine,
    )
    page = Paginator(submissions, PER_PAGE).get_page(request.GET.get("trang"))
    return render(
        request,
        "appraisal/appraise/list.html",
        {"page": page, "mine": mine, "stage_names": STAGE_NAMES},
    )


@rule("city")
def submission(request: HttpRequest, submission_pk: int) -> HttpResponse:
    """A commune's submission as sent, criterion by criterion, for the city's people; the
    appraisers enter the city's scores here."""
    item = get_submission(request, submission_pk)
    mine = request.GET.get("cua-toi") == "1"
    appraisal = appraisal_of(item, mine=request.user if mine else None)
    city = item.assessment.commune
    user = request.user
    editable = item.stage in OPEN_STAGES and may_appraise(user, city)
    for leaf in appraisal.leaves:
        leaf.refusal = (
            appraisal_refusal(user, city, leaf.appraiser.pk if leaf.appraiser else None)
            if editable
            else "Hồ sơ không ở giai đoạn thẩm định."
        )
    return render(
        request,
        "appraisal/appraise/submission.html",
        {
            "item": item,
            "appraisal": appraisal,
            "editable": editable,
            "may_assign": editable and may_assign_appraisers(user, city),
            "mine": mine,
            "events": item.events.select_related("user").order_by("at", "id"),
            "stage_names": STAGE_NAMES,
        },
    )


def _leaf_for(item: Submission, criterion: Criterion) -> Leaf:
    """One sub-criterion's city column (for the htmx partial), read afresh."""
    score = (
        Score.objects.select_related("appraised_by")
        .filter(assessment=item.assessment, criterion=criterion)
        .first()
    )
    row = sent_scores(item.snapshot if isinstance(item.snapshot, dict) else {}).get(criterion.code)
    assignment = (
        AppraiserAssignment.objects.filter(submission=item, criterion=top_of(criterion))
        .select_related("appraiser")
        .first()
    )
    return Leaf(
        criterion=criterion,
        score=score,
        sent=sent_from_row(row) if row is not None else sent_from_score(score),
        appraiser=assignment.appraiser if assignment is not None else None,
    )


@rule("appraiser")
@require_POST
def score(request: HttpRequest, submission_pk: int, criterion_pk: int) -> HttpResponse:
    """Save the city's score of one sub-criterion ("Đồng ý với điểm của xã": the commune's
    points). With htmx the sub-criterion's form comes back; without, the page."""
    item = get_submission(request, submission_pk)
    city = item.assessment.commune
    require_appraise(request.user, city)
    criterion = get_object_or_404(
        Criterion, pk=criterion_pk, criteria_set_id=item.assessment.criteria_set_id
    )
    form = AppraisalScoreForm(request.POST)
    error, stale = "", False
    if form.is_valid():
        try:
            appraisal_score_save(
                submission=item,
                criterion=criterion,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                accept=request.POST.get("action") == "accept",
            )
        except PermissionDenied as refusal:
            error = str(refusal)
        except ValidationError as refusal:
            if hasattr(refusal, "error_dict"):
                for field, problems in refusal.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                error = " ".join(refusal.messages)
                stale = refusal.code == "stale"  # the current values replace what was typed
    if not request.htmx:
        problems = [error] if error else [str(e) for es in form.errors.values() for e in es]
        for problem in problems:
            messages.error(request, f"Tiêu chí {criterion.code}: {problem}")
        if not problems:
            messages.success(request, f"Đã lưu điểm thẩm định tiêu chí {criterion.code}.")
        return redirect(_page_url(item, f"tc-{criterion.pk}"))
    item.refresh_from_db()
    leaf = _leaf_for(item, criterion)
    leaf.refusal = appraisal_refusal(
        request.user,
        city,
        leaf.appraiser.pk if leaf.appraiser else None,
    )
    saved = not error and not form.errors
    return render(
        request,
        "appraisal/appraise/_city_score.html",
        {
            "item": item,
            "leaf": leaf,
            "editable": item.stage in OPEN_STAGES,
            "form": None if saved or stale else form,
            "error": error,
            "saved": saved,
            "oob_totals": True,
        },
    )


@rule("appraiser")
def assign(request: HttpRequest, submission_pk: int) -> HttpResponse:
    """Split the submission's criteria between the city's appraisers."""
    item = get_submission(request, submission_pk)
    city = item.assessment.commune
    require_assign_appraisers(request.user, city)
    roots = list(
        Criterion.objects.filter(
            criteria_set_id=item.assessment.criteria_set_id, parent__isnull=True
        ).order_by("order", "id")
    )
    people = list(
        CityMembership.objects.filter(
            city_id=city.city_id,
            role__in=[CityMembership.Role.APPRAISER, CityMembership.Role.CITY_ADMIN],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    by_id = {m.user_id: m.user for m in people}
    current = dict(
        AppraiserAssignment.objects.filter(submission=item).values_list(
            "criterion_id", "appraiser_id"
        )
    )
    error = ""
    if request.method == "POST":
        chosen: dict[int, object] = {}
        criteria = request.POST.getlist("criterion")
        appraisers = request.POST.getlist("appraiser")
        for criterion_text, appraiser_text in zip(criteria, appraisers, strict=False):
            criterion_id = _id(criterion_text)
            if criterion_id is None:
                error = "Tiêu chí không hợp lệ."
                break
            if appraiser_text == "":
                chosen[criterion_id] = None
                continue
            appraiser_id = _id(appraiser_text)
            if appraiser_id not in by_id:
                error = "Người được phân công không phải chuyên viên thẩm định của thành phố."
                break
            chosen[criterion_id] = by_id[appraiser_id]
        if not error:
            try:
                changed = appraisers_assign(
                    submission=item,
                    by=request.user,
                    appraisers=chosen,
                )
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            else:
                messages.success(request, f"Đã lưu phân công ({changed} thay đổi).")
                return redirect("appraise:submission", submission_pk=item.pk)
        messages.error(request, error)
    rows = [(root, current.get(root.pk)) for root in roots]
    return render(
        request,
        "appraisal/appraise/assign.html",
        {"item": item, "rows": rows, "people": people, "error": error},
    )


@rule("appraiser")
@require_POST
def adjustment(request: HttpRequest, submission_pk: int, adjustment_pk: int) -> HttpResponse:
    """The city's finding on one deduction or disqualifier of the criteria set."""
    item = get_submission(request, submission_pk)
    require_appraise(request.user, item.assessment.commune)
    rule_row = get_object_or_404(
        Adjustment, pk=adjustment_pk, criteria_set_id=item.assessment.criteria_set_id
    )
    form = CityAdjustmentForm(request.POST)
    if form.is_valid():
        try:
            city_adjustment_save(
                submission=item,
                adjustment=rule_row,
                by=request.user,
                cases=form.cleaned_data["cases"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            messages.success(request, f"Đã lưu kết luận về “{rule_row.title}”.")
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect(_page_url(item, "diem-tru"))


@rule("appraiser")
def request_explanation(request: HttpRequest, submission_pk: int) -> HttpResponse:
    """Ask the commune to explain or add evidence on selected sub-criteria by a date."""
    item = get_submission(request, submission_pk)
    require_appraise(request.user, item.assessment.commune)
    leaves = appraisal_of(item).leaves
    by_id = {leaf.criterion.pk: leaf.criterion for leaf in leaves}
    form = ExplanationRequestForm(request.POST or None)
    chosen: set[int] = set()
    questions: dict[int, str] = {}
    error = ""
    if request.method == "POST":
        for text in request.POST.getlist("criteria"):
            criterion_id = _id(text)
            if criterion_id not in by_id:
                error = "Có tiêu chí không thuộc hồ sơ này."
                break
            chosen.add(criterion_id)
        for key, text in zip(
            request.POST.getlist("question_for"), request.POST.getlist("question"), strict=False
        ):
            criterion_id = _id(key)
            if criterion_id not in by_id or not text.strip():
                continue
            if "\x00" in text:
                error = NUL_MESSAGE
            elif len(text) > MAX_QUESTION:
                error = f"Nội dung cần giải trình dài quá {MAX_QUESTION} ký tự."
            else:
                questions[criterion_id] = nfc(text.strip())
        if form.is_valid() and not error:
            try:
                explanation_request_create(
                    submission=item,
                    by=request.user,
                    items=[
                        Asked(by_id[pk], questions.get(pk, ""))
                        for pk in by_id
                        if pk in chosen  # in the tree's order
                    ],
                    message=form.cleaned_data["message"],
                    deadline=form.cleaned_data["deadline"],
                )
            except ValidationError as refusal:
                if hasattr(refusal, "error_dict"):
                    for field, problems in refusal.message_dict.items():
                        if field in form.fields:
                            form.add_error(field, problems)
                        else:
                            error = " ".join(problems)
                else:
                    error = " ".join(refusal.messages)
            else:
                messages.success(request, "Đã gửi đề nghị giải trình cho xã.")
                return redirect("appraise:submission", submission_pk=item.pk)
    for leaf in leaves:
        leaf.question = questions.get(leaf.criterion.pk, "")
    return render(
        request,
        "appraisal/appraise/request.html",
        {
            "item": item,
            "leaves": leaves,
            "form": form,
            "chosen": chosen,
            "questions": questions,
            "error": error,
            "open_stage": item.stage in OPEN_STAGES,
        },
    )


@rule("city")
def evidence_file(request: HttpRequest, submission_pk: int, file_pk: int) -> HttpResponse:
    """An evidence file of the submission, opened in the browser when it can be (`?xem=1`)."""
    item = get_submission(request, submission_pk)
    record = get_object_or_404(
        EvidenceFile.objects.select_related("evidence__assessment__commune"), pk=file_pk
    )
    require_open_submitted_evidence(
        request.user,
        item.assessment,
        record.evidence.assessment_id,
    )
    return send_evidence_file(request, record, view=request.GET.get("xem") == "1")
