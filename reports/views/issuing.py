"""Issue, sign, download and send an issued report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.access import (
    frozen_by,
    is_leader,
    is_secretary,
    may_sign_organisation,
    may_sign_person,
    may_take_part_in_signing,
    may_unfreeze,
    report_reference,
    require_secretary,
    require_signing_role,
    require_unfreeze,
    rule,
    signer_label,
)
from audit.services import Action
from guards.http import AuthenticatedRequest
from guards.inline import inert
from jobs.services import job_start
from jobs.views import job_redirect
from reports.forms import IssueForm, ReopenForm, SignForm
from reports.models import STAGES_NEWEST_FIRST, Dossier, IssuedFile, Report, SigningKey
from reports.names import dossier_file_name, issued_file_label, issued_file_name
from reports.services.issuing import assessment_reopen, current_file, unapproved_codes
from reports.services.signing import report_sign_organisation, report_sign_person
from reports.views.remote import start_remote_signing
from reports.views.report import _get_report, audit_file


def _back(report: Report) -> HttpResponseRedirect:
    return redirect("reports:issued", pk=report.assessment_id, report_pk=report.pk)


@rule("reviewer")
@require_POST
def issue(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    """The secretary issues once every score is approved; otherwise a leader may, with a
    reason that is recorded. Numbering, rendering and storing the files is a job
    (reports/job_kinds.py): its page shows the progress, then the issued report, or why it
    was refused with a link back to the draft."""
    report = _get_report(request.user, pk, report_pk)
    missing = unapproved_codes(report)
    form = IssueForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("override_reason", []):
            messages.error(request, f"{form.fields['override_reason'].label}: {error}")
        return redirect("reports:edit", pk=pk, report_pk=report_pk)
    reason = form.cleaned_data["override_reason"].strip()
    if missing:
        if not is_leader(request.user, report.assessment):
            raise PermissionDenied(
                "Còn tiêu chí chưa được duyệt điểm: chỉ lãnh đạo được cho ban hành, kèm lý do."
            )
    else:
        require_secretary(request.user, report.assessment)
        reason = ""
    job = job_start(
        kind="reports.issue",
        user=request.user,
        title=f"Ban hành báo cáo: {report}",
        params={
            "report": report.pk,
            "reason": reason,
            "back": reverse("reports:edit", args=[pk, report_pk]),
        },
        key=f"issue:{report.pk}",
    )
    return job_redirect(request, job)


@rule("reviewer")
def issued(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    """An issued report: its frozen files, the signing steps, verification and dossier."""
    report = _get_report(request.user, pk, report_pk)
    if report.status != Report.Status.ISSUED:
        return redirect("reports:edit", pk=pk, report_pk=report_pk)
    files = list(report.files.prefetch_related("signatures"))
    kinds = [k.value for k in IssuedFile.Kind]
    files.sort(key=lambda f: (kinds.index(f.kind), STAGES_NEWEST_FIRST.index(f.stage)))
    seen: set[str] = set()
    for record in files:
        record.is_final = record.kind not in seen  # type: ignore[attr-defined]  # for the template
        seen.add(record.kind)
    stages = {(f.kind, f.stage) for f in files}
    keys = list(
        SigningKey.objects.filter(commune=report.assessment.commune)
        .filter(Q(owner=request.user) | Q(owner__isnull=True))
        .select_related("owner")
    )
    report._signing_stages = {f.stage for f in files if f.kind == IssuedFile.Kind.REPORT}  # type: ignore[attr-defined]  # read by the rules
    sign_person = may_sign_person(request.user, report)
    sign_organisation = may_sign_organisation(request.user, report)
    return render(
        request,
        "reports/issued.html",
        {
            "assessment": report.assessment,
            "report": report,
            "files": files,
            # A person signs with their own keys only; the seal with the commune's.
            "person_keys": [k for k in keys if k.owner_id == request.user.pk and not k.is_remote],
            "organisation_keys": [k for k in keys if k.is_organisation and not k.is_remote],
            "person_signed": ("report", "person") in stages,
            "organisation_signed": ("report", "organisation") in stages,
            "may_sign_person": sign_person,
            "may_sign_organisation": sign_organisation,
            "is_secretary": is_secretary(request.user, report.assessment),
            "signer_label": signer_label(report),
            "may_reopen": may_unfreeze(request.user, report.assessment)
            and getattr(frozen_by(report.assessment), "pk", None) == report.pk,
            "dossiers": report.dossiers.select_related("created_by")[:5],
            "events": report.events.select_related("user")[:30],
        },
    )


@rule("leader")
def reopen(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    """A leader reopens the assessment this issued report froze, with a reason: scores and
    evidence may change again and the report is marked as needing a correction."""
    report = _get_report(request.user, pk, report_pk)
    require_unfreeze(request.user, report.assessment)
    if report.status != Report.Status.ISSUED:
        return redirect("reports:edit", pk=pk, report_pk=report_pk)
    freezing = frozen_by(report.assessment)
    current = freezing is not None and freezing.pk == report.pk
    form = ReopenForm(request.POST or None) if current else None
    if request.method == "POST":
        if form is None:
            messages.error(request, "Kỳ đánh giá không đóng băng theo báo cáo này.")
            return _back(report)
        if form.is_valid():
            try:
                assessment_reopen(
                    report=report, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    "Đã mở lại kỳ đánh giá. Báo cáo đã ban hành cần đính chính: sau khi sửa, "
                    "tạo báo cáo đính chính (thay thế báo cáo này) và ban hành.",
                )
                return _back(report)
    return render(
        request,
        "reports/reopen.html",
        {"assessment": report.assessment, "report": report, "form": form},
    )


@rule("reviewer")
@require_POST
def sign(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    """The named signer signs with their own key, then the secretary applies the seal:
    form -> rule (assessments.access) -> service (which checks the rule again)."""
    report = _get_report(request.user, pk, report_pk)
    if not may_take_part_in_signing(request.user, report):
        raise PermissionDenied(
            f"Chỉ {signer_label(report)} (người ký) và văn thư thực hiện ký số báo cáo này."
        )
    form = SignForm(request.POST, commune=report.assessment.commune, user=request.user)
    valid = form.is_valid()
    if "step" in form.cleaned_data:
        require_signing_role(request.user, report, form.cleaned_data["step"])
    if not valid:
        messages.error(request, _sign_refusal(form))
        return _back(report)
    key, secret = form.cleaned_data["key"], form.cleaned_data["secret"]
    if key.is_remote:  # the signer confirms on the phone: no passphrase, a waiting page
        return start_remote_signing(request, report, key)
    try:
        if form.cleaned_data["step"] == "organisation":
            report_sign_organisation(report=report, key=key, secret=secret, by=request.user)
            messages.success(request, "Đã đóng dấu: cơ quan đã ký số báo cáo và phụ lục.")
        else:
            report_sign_person(report=report, key=key, secret=secret, by=request.user)
            messages.success(
                request, f"{request.user.get_full_name()} đã ký số báo cáo; chờ văn thư đóng dấu."
            )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return _back(report)


def _sign_refusal(form: SignForm) -> str:
    if form.has_error("step"):
        return "Dữ liệu ký số không hợp lệ; hãy tải lại trang."
    if form.has_error("secret"):
        return "Mật khẩu có ký tự không hợp lệ; hãy gõ lại."
    if form.has_error("key"):
        return "Hãy chọn khóa ký số của Đồng chí (hoặc của cơ quan khi đóng dấu)."
    if form.has_error("confirm"):
        return "Hãy đánh dấu “Tôi đã đọc văn bản và đồng ý ký” trước khi ký."
    return "Dữ liệu ký số không hợp lệ; hãy tải lại trang."


@rule("reviewer")
def issued_file(
    request: AuthenticatedRequest, pk: int, report_pk: int, file_pk: int
) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    record = get_object_or_404(IssuedFile, report=report, pk=file_pk)
    name = issued_file_name(report, record)
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404("Không tìm thấy tệp.") from None
    # The portal made these PDFs (no script in them); the sandbox keeps that true if not.
    inline = request.GET.get("xem") == "1" and name.endswith(".pdf")
    audit_file(
        request,
        report,
        Action.DOWNLOAD,
        f"{'Mở xem' if inline else 'Tải về'} {issued_file_label(record).lower()}, "
        f"{record.get_stage_display().lower()}: {name}",
        file_id=record.pk,
        sha256=record.sha256,
    )
    response = FileResponse(handle, as_attachment=not inline, filename=name)
    return inert(response)


@rule("reviewer")
def latest(request: AuthenticatedRequest, pk: int, report_pk: int, kind: str) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    try:
        record = current_file(report, kind)
    except IssuedFile.DoesNotExist:
        raise Http404("Chưa có tệp này.") from None
    return issued_file(request, pk, report_pk, record.pk)


@rule("secretary")
@require_POST
def dossier(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    """The ZIP for the city is built by a job (reports/job_kinds.py): its page shows how far
    it has got, then the issued report's page with the new dossier."""
    report = _get_report(request.user, pk, report_pk)
    require_secretary(request.user, report.assessment)
    if report.status != Report.Status.ISSUED:
        raise PermissionDenied("Chỉ lập hồ sơ cho báo cáo đã ban hành.")
    if not report.files.filter(stage=IssuedFile.Stage.ORGANISATION).exists():
        messages.error(
            request, "Hãy ký số đủ (người có thẩm quyền, rồi cơ quan) trước khi lập hồ sơ."
        )
        return _back(report)
    job = job_start(
        kind="reports.dossier",
        user=request.user,
        title=f"Lập hồ sơ gửi thành phố: {report_reference(report)}",
        params={"report": report.pk, "back": _back(report).url},
        key=f"dossier:{report.pk}",
    )
    return job_redirect(request, job)


@rule("reviewer")
def dossier_download(
    request: AuthenticatedRequest, pk: int, report_pk: int, dossier_pk: int
) -> HttpResponseBase:
    report = _get_report(request.user, pk, report_pk)
    record = get_object_or_404(Dossier, report=report, pk=dossier_pk)
    name = dossier_file_name(report)
    handle = record.file.open("rb")
    audit_file(
        request,
        report,
        Action.DOWNLOAD,
        f"Tải về hồ sơ gửi thành phố {name}",
        dossier_id=record.pk,
        sha256=record.sha256,
    )
    response = FileResponse(handle, as_attachment=True, filename=name)
    return inert(response)
