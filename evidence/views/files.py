"""Upload, describe, link, replace, delete and download evidence of one sub-criterion."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.access import (
    approved_criterion_ids,
    approved_refusal,
    can_delete,
    can_see_evidence_history,
    delete_refusal,
    get_assessment_for_user,
    is_frozen,
    require_delete,
    require_upload,
    rule,
    upload_refusal,
)
from assessments.models import Assessment
from audit.services import Action, audit_record
from evidence.forms import EvidenceDescribeForm, LinkForm, ReplaceFileForm, ReuseForm
from evidence.models import Evidence, EvidenceFile
from evidence.selectors import evidence_for_criterion, previous_period_evidence
from evidence.services import (
    evidence_delete,
    evidence_describe,
    evidence_link,
    evidence_replace,
    evidence_restore,
    evidence_reuse,
    evidence_unlink,
    evidence_upload,
    issue_date_warning,
)
from evidence.sniff import ACCEPT_ATTRIBUTE, ACCEPTED_TEXT
from evidence.text import human_size, nfc
from evidence.views.common import get_assignment, get_evidence
from guards.inline import inert, pdf_may_run_script
from guards.inputs import id_param, next_url
from guards.uploads import accepts_files

PREVIEW_POLLS = 40  # every 3 s (templates/evidence/_list.html): two minutes


def panel_url(assessment_pk, criterion_pk):
    return reverse("evidence:panel", args=[assessment_pk, criterion_pk])


@rule("member")
def panel(request, pk, criterion_pk):
    """The evidence of one sub-criterion, with the upload zone for those who may upload.

    Loaded into the sub-criterion page by htmx; opened directly it is a page of its own."""
    assessment, assignment = get_assignment(request.user, pk, criterion_pk)
    items = evidence_for_criterion(assessment, assignment.criterion)
    approved_ids = approved_criterion_ids(assessment)
    approved = assignment.criterion_id in approved_ids
    # Why the upload zone is missing, said on the page rather than only left out.
    # (A frozen assessment's banner already names the report that froze it.)
    upload_note = (
        ""
        if is_frozen(assessment)
        else upload_refusal(request.user, assessment, assignment, approved)
    )
    may_upload = not upload_note and not is_frozen(assessment)
    deleted = evidence_for_criterion(assessment, assignment.criterion, deleted=True)
    context = {
        "assessment": assessment,
        "assignment": assignment,
        "criterion": assignment.criterion,
        "items": [(e, can_delete(request.user, e, approved_ids)) for e in items],
        "deleted": [e for e in deleted if can_delete(request.user, e, approved_ids)],
        "can_upload": may_upload,
        "upload_note": upload_note,
        "approved_note": approved_refusal(
            request.user, assessment, [assignment.criterion.code] if approved else []
        ),
        "accept": ACCEPT_ATTRIBUTE,
        "accepted_text": ACCEPTED_TEXT,
        "max_size": human_size(_max_size()),
        "can_see_history": can_see_evidence_history(request.user, assessment),
        # "Minh chứng kỳ trước": offered to those who may upload here
        "previous_items": previous_period_evidence(assessment, assignment.criterion)
        if may_upload
        else [],
    }
    # While a thumbnail is being drawn (after the upload's response), the list asks for
    # itself again every few seconds, for two minutes at most (a lost task stays pending
    # until `make_previews`; the page says so without polling forever).
    polled = id_param(request.GET, "lan") or 0
    if polled < PREVIEW_POLLS and any(
        e.current_file and e.current_file.preview_pending for e in items
    ):
        context["poll_again"] = polled + 1
    if request.htmx and request.GET.get("phan") == "ds":
        # Only the list, swapped into its wrapper; the wrapper stays, so a refresh asked for
        # while another is under way is queued on it instead of landing on a removed element.
        template = "evidence/_list.html"
    elif request.htmx:
        template = "evidence/_panel.html"
    else:
        template = "evidence/panel_page.html"
    return render(request, template, context)


def _max_size() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_SIZE


def _outcome_json(request, assessment, criterion, outcome) -> dict:
    data = {"name": outcome.name, "status": outcome.status, "message": outcome.message}
    if outcome.evidence is not None:
        data.update(code=outcome.evidence.code, id=outcome.evidence.pk)
    if outcome.warning:
        data["warning"] = outcome.warning
    if outcome.duplicate_of is not None:
        dup = outcome.duplicate_of
        already = dup.links.filter(criterion=criterion).exists()
        data["duplicate"] = {
            "id": dup.pk,
            "code": dup.code,
            "title": dup.title,
            "already_linked": already,
            "link_url": reverse("evidence:link", args=[assessment.pk, criterion.pk]),
        }
        if already:
            data["message"] = f"Tệp này đã có trong tiêu chí này: {dup.code} “{dup.title}”."
    return data


@rule("unit")
@require_POST
@accepts_files()
def upload(request, pk, criterion_pk):
    """Store each uploaded file; refused ones are reported by name and reason."""
    assessment, assignment = get_assignment(request.user, pk, criterion_pk)
    require_upload(request.user, assessment, assignment)
    criterion = assignment.criterion
    allow_duplicate = request.POST.get("allow_duplicate") == "1"
    outcomes = []
    for name in getattr(request, "oversize_uploads", []):
        outcomes.append(
            {
                "name": nfc(name),
                "status": "refused",
                "message": f"Tệp lớn hơn giới hạn {human_size(_max_size())}.",
            }
        )
    for name in getattr(request, "extra_uploads", []):
        outcomes.append(
            {
                "name": nfc(name),
                "status": "refused",
                "message": "Mỗi lần chỉ gửi một tệp; tệp này chưa được nhận, hãy gửi lại.",
            }
        )
    for upload_file in request.FILES.getlist("files"):
        try:
            outcome = evidence_upload(
                assessment=assessment,
                criterion=criterion,
                upload=upload_file,
                by=request.user,
                allow_duplicate=allow_duplicate,
            )
        except ValidationError as error:
            outcomes.append(
                {
                    "name": nfc(upload_file.name),
                    "status": "refused",
                    "message": " ".join(error.messages),
                }
            )
            continue
        outcomes.append(_outcome_json(request, assessment, criterion, outcome))
    if not outcomes:
        outcomes.append({"name": "", "status": "refused", "message": "Chưa chọn tệp nào."})
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"results": outcomes})
    for outcome in outcomes:
        if outcome["status"] == "stored":
            messages.success(request, f"Đã tải lên “{outcome['name']}” thành {outcome['code']}.")
            if outcome.get("warning"):
                messages.warning(request, f"“{outcome['name']}”: {outcome['warning']}")
        elif outcome["status"] == "duplicate":
            messages.warning(
                request,
                f"“{outcome['name']}”: {outcome['message']} Dùng nút “Liên kết” ở danh sách "
                "minh chứng có sẵn để dùng lại minh chứng đó.",
            )
        else:
            messages.error(request, f"Không nhận “{outcome['name']}”: {outcome['message']}")
    return redirect(_back(assessment.pk, criterion.pk))


def _back(assessment_pk, criterion_pk):
    return reverse("assessments:criterion", args=[assessment_pk, criterion_pk])


@rule("unit")
@require_POST
def link(request, pk, criterion_pk):
    """Reuse an evidence of the same assessment for this sub-criterion."""
    assessment, assignment = get_assignment(request.user, pk, criterion_pk)
    require_upload(request.user, assessment, assignment)
    form = LinkForm(request.POST, assessment=assessment)
    if not form.is_valid():
        messages.error(request, "Không tìm thấy minh chứng này; hãy tìm lại rồi chọn.")
    else:
        evidence = form.cleaned_data["evidence"]
        try:
            evidence_link(evidence=evidence, criterion=assignment.criterion, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"Đã dùng minh chứng {evidence.code} cho tiêu chí {assignment.criterion.code}.",
            )
    if request.htmx:
        return panel(request, pk, criterion_pk)
    return redirect(_back(assessment.pk, assignment.criterion_id))


@rule("unit")
@require_POST
def reuse(request, pk, criterion_pk):
    """Use an evidence of the previous period again for this sub-criterion (same file)."""
    assessment, assignment = get_assignment(request.user, pk, criterion_pk)
    require_upload(request.user, assessment, assignment)
    form = ReuseForm(request.POST, assessment=assessment)
    if not form.is_valid():
        messages.error(request, "Không tìm thấy minh chứng này ở kỳ đánh giá trước.")
    else:
        try:
            evidence = evidence_reuse(
                evidence=form.cleaned_data["evidence"],
                assessment=assessment,
                criterion=assignment.criterion,
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"Đã dùng lại {form.cleaned_data['evidence'].code} của kỳ trước thành "
                f"{evidence.code}.",
            )
    if request.htmx:
        return panel(request, pk, criterion_pk)
    return redirect(_back(assessment.pk, assignment.criterion_id))


@rule("unit")
@require_POST
def unlink(request, pk, criterion_pk, evidence_pk):
    assessment, assignment = get_assignment(request.user, pk, criterion_pk)
    require_upload(request.user, assessment, assignment)
    evidence = get_object_or_404(Evidence, assessment=assessment, pk=evidence_pk)
    try:
        evidence_unlink(evidence=evidence, criterion=assignment.criterion, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Đã bỏ liên kết {evidence.code} khỏi tiêu chí {assignment.criterion.code}."
        )
    return redirect(_back(assessment.pk, assignment.criterion_id))


@rule("member")
def detail(request, pk, evidence_pk):
    """One evidence: its description (editable), versions, sub-criteria and history."""
    evidence = get_evidence(request.user, pk, evidence_pk)
    assessment = evidence.assessment
    # Describe, replace and delete share one rule (delete_refusal); the page says why not.
    edit_refusal = "" if evidence.is_deleted else delete_refusal(request.user, evidence)
    may_edit = not evidence.is_deleted and not edit_refusal
    form = EvidenceDescribeForm(
        request.POST or None,
        instance=evidence if not request.POST else Evidence.objects.get(pk=evidence.pk),
    )
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(
                edit_refusal or "Chỉ đơn vị đã tải lên hoặc lãnh đạo được sửa minh chứng này."
            )
        if form.is_valid():
            try:
                warning = evidence_describe(
                    evidence=evidence,
                    by=request.user,
                    **{field: form.cleaned_data[field] for field in form.Meta.fields},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Đã lưu thông tin {evidence.code}.")
                if warning:
                    messages.warning(request, warning)
                return redirect("evidence:detail", pk=assessment.pk, evidence_pk=evidence.pk)
    return render(
        request,
        "evidence/detail.html",
        {
            "assessment": assessment,
            "evidence": evidence,
            "form": form,
            "may_edit": may_edit,
            "edit_refusal": edit_refusal,
            "may_restore": evidence.is_deleted and can_delete(request.user, evidence),
            "replace_form": ReplaceFileForm(),
            "versions": evidence.versions.select_related("uploaded_by").all(),
            "links": evidence.links.select_related("criterion").order_by("criterion__order"),
            "events": evidence.events.select_related("user", "criterion")[:50]
            if can_see_evidence_history(request.user, assessment)
            else None,
            "date_warning": issue_date_warning(assessment, evidence.issue_date),
            "accept": ACCEPT_ATTRIBUTE,
        },
    )


@rule("unit")
@require_POST
@accepts_files()
def replace(request, pk, evidence_pk):
    evidence = get_evidence(request.user, pk, evidence_pk)
    require_delete(request.user, evidence)
    form = ReplaceFileForm(request.POST, request.FILES)
    oversize = getattr(request, "oversize_uploads", [])
    if oversize:
        messages.error(
            request,
            f"Không nhận “{nfc(oversize[0])}”: tệp lớn hơn giới hạn {human_size(_max_size())}.",
        )
    elif form.is_valid():
        try:
            outcome = evidence_replace(
                evidence=evidence, upload=form.cleaned_data["file"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if outcome.status == "stored":
                messages.success(request, f"Đã thay tệp của {evidence.code} bằng “{outcome.name}”.")
                if outcome.warning:
                    messages.warning(request, outcome.warning)
            elif outcome.status == "duplicate":
                messages.info(request, outcome.message)
            else:
                messages.error(request, f"Không nhận “{outcome.name}”: {outcome.message}")
    else:
        messages.error(request, "Chưa chọn tệp.")
    return redirect("evidence:detail", pk=pk, evidence_pk=evidence_pk)


@rule("unit")
@require_POST
def delete(request, pk, evidence_pk):
    evidence = get_evidence(request.user, pk, evidence_pk)
    require_delete(request.user, evidence)
    evidence_delete(evidence=evidence, by=request.user)
    messages.success(
        request, f"Đã xóa {evidence.code}. Có thể khôi phục trong mục “Minh chứng đã xóa”."
    )
    return redirect(next_url(request, reverse("evidence:detail", args=[pk, evidence_pk])))


@rule("unit")
@require_POST
def restore(request, pk, evidence_pk):
    evidence = get_evidence(request.user, pk, evidence_pk)
    require_delete(request.user, evidence)
    evidence_restore(evidence=evidence, by=request.user)
    messages.success(request, f"Đã khôi phục {evidence.code}.")
    return redirect(next_url(request, reverse("evidence:detail", args=[pk, evidence_pk])))


@rule("member")
def download(request, pk, file_pk):
    """Send a stored file after checking the user may see its assessment.

    The content type is the one sniffed at upload, never one the browser could run as a page;
    `?xem=1` opens PDFs, images and videos in the browser, anything else downloads. A PDF that
    carries JavaScript downloads too: no response header stops the PDF viewer running it
    (guards.inline)."""
    record = _get_file(request.user, pk, file_pk)
    return send_evidence_file(request, record, view=request.GET.get("xem") == "1")


def send_evidence_file(request, record: EvidenceFile, *, view: bool):
    """The stored file, audited: opened in the browser when `view` and it may be (PDF without
    script, image, video), else as a download; with the headers that keep it inert. Also
    used by the city's appraisers (appraisal.views.appraise), who read the rights first."""
    inline = view and record.viewable
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404("Không tìm thấy tệp trên máy chủ.") from None
    if inline and record.kind == "pdf":
        inline = not pdf_may_run_script(record.file, record.sha256)
    evidence = record.evidence
    audit_record(
        action=Action.DOWNLOAD,
        user=request.user,
        commune=evidence.assessment.commune,
        target=evidence,
        target_label=f"Minh chứng {evidence.code}",
        summary=f"{'Mở xem' if inline else 'Tải về'} tệp {record.original_name} "
        f"(phiên bản {record.version})",
        details={"file_id": record.pk, "sha256": record.sha256},
    )
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=record.original_name,
        content_type=record.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return inert(response)


@rule("member")
def thumbnail(request, pk, file_pk):
    record = _get_file(request.user, pk, file_pk)
    if not record.thumbnail:
        raise Http404("Không có ảnh thu nhỏ.")
    response = FileResponse(record.thumbnail.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _get_file(user, pk, file_pk) -> EvidenceFile:
    assessment: Assessment = get_assessment_for_user(user, pk)
    record = get_object_or_404(
        EvidenceFile.objects.select_related("evidence"), evidence__assessment=assessment, pk=file_pk
    )
    record.evidence.assessment = assessment
    return record
