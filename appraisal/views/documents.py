"""The city's documents of a round: Sở Nội vụ's report of the appraisal and the recognition
decision, as drafts (the HTML that becomes the PDF, and the PDF), and issued through the
portal: issued by the city's office, signed by the leader named, sealed by the office."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from appraisal import document_services as services
from appraisal import documents
from appraisal.document_forms import CityIssueForm, CitySignForm
from appraisal.models import CityDocument, Round
from assessments.access import (
    city_document_seal_refusal,
    city_document_sign_refusal,
    get_city_for_user,
    is_city_admin,
    require_city_admin,
    rule,
)
from guards.filenames import file_name, send_as
from guards.http import AuthenticatedRequest
from guards.inline import inert
from jobs.services import job_start
from jobs.views import job_redirect
from reports.views.report import PageRequest, allows_style_nonce, document_preview

PDF = "application/pdf"

KINDS = {
    "bao-cao": (
        CityDocument.Kind.SUMMARY,
        documents.SUMMARY_TEMPLATE,
        documents.summary_context,
        documents.summary_pdf,
        "Dự thảo báo cáo kết quả thẩm định",
    ),
    "quyet-dinh": (
        CityDocument.Kind.DECISION,
        documents.DECISION_TEMPLATE,
        documents.decision_context,
        documents.decision_pdf,
        "Dự thảo quyết định công nhận",
    ),
}
SLUGS = {kind: slug for slug, (kind, *_rest) in KINDS.items()}


def _round(request: HttpRequest, city: int, round_pk: int, kind: str | None = None) -> Round:
    place = get_city_for_user(request.user, city)
    if kind is not None and kind not in KINDS:
        raise Http404("Không có loại văn bản này.")
    return get_object_or_404(
        Round.objects.select_related("city", "criteria_set"), city=place, pk=round_pk
    )


def _document(round_: Round, kind: str) -> CityDocument:
    return get_object_or_404(
        CityDocument.objects.select_related("round__city", "signer"),
        round=round_,
        kind=KINDS[kind][0],
    )


@rule("city")
@allows_style_nonce
def preview(request: PageRequest, city: int, round_pk: int, kind: str) -> HttpResponse:
    round_ = _round(request, city, round_pk, kind)
    _kind, template, context, _pdf, _name = KINDS[kind]
    return document_preview(request, template, context(round_, for_pdf=False))


@rule("city")
def pdf(request: HttpRequest, city: int, round_pk: int, kind: str) -> HttpResponseBase:
    round_ = _round(request, city, round_pk, kind)
    _kind, _template, _context, render_draft, name = KINDS[kind]
    response = HttpResponse(render_draft(round_), content_type=PDF)
    filename = file_name(
        name, round_.get_period_display(), round_.year, round_.city, extension=".pdf"
    )
    return inert(send_as(response, filename, inline=request.GET.get("xem") == "1"))


@rule("city")
def round_documents(request: AuthenticatedRequest, city: int, round_pk: int) -> HttpResponse:
    """The round's two documents: draft or issued, who signs next, the frozen files."""
    round_ = _round(request, city, round_pk)
    issued = {
        d.kind: d
        for d in CityDocument.objects.filter(round=round_)
        .select_related("round__city", "signer", "issued_by")
        .prefetch_related("files")
    }
    admin = is_city_admin(request.user, round_.city_id)
    leaders = services.city_leaders(round_.city_id)
    rows = []
    for slug, (kind, *_rest) in KINDS.items():
        document = issued.get(kind)
        row = {
            "slug": slug,
            "kind": kind,
            "label": CityDocument.Kind(kind).label,
            "document": document,
        }
        if document is None:
            refusal = services.issue_refusal(round_, kind)
            row["issue_refusal"] = refusal
            if admin and not refusal:
                row["issue_form"] = CityIssueForm(leaders=leaders, auto_id=f"id_{slug}_%s")
        else:
            files = sorted(document.files.all(), key=lambda f: f.created_at)
            row["files"] = files
            row["current"] = files[-1] if files else None
            if not city_document_sign_refusal(request.user, document):
                row["sign_form"] = CitySignForm(
                    keys=services.signer_keys(request.user, round_.city_id),
                    auto_id=f"id_{slug}_%s",
                )
            elif not city_document_seal_refusal(request.user, document):
                row["seal_form"] = CitySignForm(
                    keys=services.seal_keys(round_.city_id), auto_id=f"id_{slug}_%s"
                )
        rows.append(row)
    return render(
        request,
        "appraisal/documents/round_documents.html",
        {
            "city": round_.city,
            "round": round_,
            "rows": rows,
            "is_city_admin": admin,
            "has_leaders": leaders.exists(),
            "section": "rounds",
        },
    )


def _back(round_: Round) -> HttpResponse:
    return redirect("city_documents:round", city=round_.city_id, round_pk=round_.pk)


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@rule("city_admin")
@require_POST
def issue(request: AuthenticatedRequest, city: int, round_pk: int, kind: str) -> HttpResponse:
    """The city's office issues the document: number, date, frozen PDF, the signer named.
    The form is checked here; the issuing itself is a job (appraisal/job_kinds.py), whose
    page shows its progress, then the round's documents or why it was refused."""
    round_ = _round(request, city, round_pk, kind)
    require_city_admin(request.user, round_.city_id)
    form = CityIssueForm(request.POST, leaders=services.city_leaders(round_.city_id))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(round_)
    document_kind = CityDocument.Kind(KINDS[kind][0])
    job = job_start(
        kind="appraisal.city_document_issue",
        user=request.user,
        title=f"Ban hành {document_kind.label.lower()}: {round_}",
        params={
            "round": round_.pk,
            "kind": document_kind.value,
            "signer": form.cleaned_data["signer"].pk,
            "authority": form.cleaned_data["authority"],
            "back": reverse("city_documents:round", args=[round_.city_id, round_.pk]),
        },
        key=f"city-document:{round_.pk}:{document_kind.value}",
    )
    return job_redirect(request, job)


def _signing(
    request: AuthenticatedRequest, city: int, round_pk: int, kind: str, step: str
) -> HttpResponse:
    round_ = _round(request, city, round_pk, kind)
    document = _document(round_, kind)
    if step == "person":
        refusal = city_document_sign_refusal(request.user, document)
        if refusal and document.signer_id != request.user.pk:
            raise PermissionDenied(refusal)
        keys = services.signer_keys(request.user, round_.city_id)
    else:
        require_city_admin(request.user, round_.city_id)
        refusal = city_document_seal_refusal(request.user, document)
        keys = services.seal_keys(round_.city_id)
    if refusal:
        messages.error(request, refusal)
        return _back(round_)
    form = CitySignForm(request.POST, keys=keys)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(round_)
    sign = services.city_document_sign if step == "person" else services.city_document_seal
    try:
        sign(
            document=document,
            key=form.cleaned_data["key"],
            secret=form.cleaned_data["secret"],
            by=request.user,
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        if step == "person":
            messages.success(request, f"Đã ký số {document}; chờ văn thư ký số của cơ quan.")
        elif document.kind == CityDocument.Kind.DECISION:
            messages.success(
                request,
                f"Đã ký số của cơ quan: {document} có hiệu lực; các hồ sơ trong quyết định đã "
                "chuyển sang “Được công nhận” hoặc “Không được công nhận”.",
            )
        else:
            messages.success(request, f"Đã ký số của cơ quan: {document} đã ký số đủ.")
    return _back(round_)


@rule("city_signer")
@require_POST
def sign(request: AuthenticatedRequest, city: int, round_pk: int, kind: str) -> HttpResponse:
    """The leader named to sign signs with their own key."""
    return _signing(request, city, round_pk, kind, "person")


@rule("city_admin")
@require_POST
def seal(request: AuthenticatedRequest, city: int, round_pk: int, kind: str) -> HttpResponse:
    """The city's office applies the issuing body's signature (its seal)."""
    return _signing(request, city, round_pk, kind, "organisation")


@rule("city")
def issued_pdf(
    request: AuthenticatedRequest, city: int, round_pk: int, kind: str
) -> HttpResponseBase:
    """The issued document's most signed PDF (or `?buoc=` one stage)."""
    round_ = _round(request, city, round_pk, kind)
    document = _document(round_, kind)
    files = {f.stage: f for f in document.files.all()}
    stage = request.GET.get("buoc")
    record = files.get(stage) if stage else services.current_file(document)
    if record is None:
        raise Http404("Văn bản chưa có tệp ở bước ký này.")
    try:
        handle = record.file.open("rb")  # streamed from the store a chunk at a time
    except FileNotFoundError:
        raise Http404("Không tìm thấy tệp.") from None
    response = FileResponse(handle, content_type=PDF)
    name = file_name(
        document.get_kind_display(),
        f"số {document.number_text}",
        record.get_stage_display(),
        extension=".pdf",
    )
    return inert(send_as(response, name, inline=request.GET.get("xem") == "1"))
