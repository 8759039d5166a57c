"""The city's draft documents: Sở Nội vụ's report of the appraisal and the draft recognition
decision, as the HTML that becomes the PDF (preview) and as PDF."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from appraisal import documents
from appraisal.models import Round
from assessments.access import get_city_for_user, rule
from guards.filenames import file_name, send_as
from guards.inline import inert
from reports.views.report import PageRequest, _preview, allows_style_nonce

PDF = "application/pdf"

KINDS = {
    "bao-cao": (
        documents.SUMMARY_TEMPLATE,
        documents.summary_context,
        documents.summary_pdf,
        "Dự thảo báo cáo kết quả thẩm định",
    ),
    "quyet-dinh": (
        documents.DECISION_TEMPLATE,
        documents.decision_context,
        documents.decision_pdf,
        "Dự thảo quyết định công nhận",
    ),
}


def _round(request: HttpRequest, city: int, round_pk: int, kind: str) -> Round:
    place = get_city_for_user(request.user, city)
    if kind not in KINDS:
        raise Http404("Không có loại văn bản này.")
    return get_object_or_404(
        Round.objects.select_related("city", "criteria_set"), city=place, pk=round_pk
    )


@rule("city")
@allows_style_nonce
def preview(request: PageRequest, city: int, round_pk: int, kind: str) -> HttpResponse:
    round_ = _round(request, city, round_pk, kind)
    template, context, _pdf, _name = KINDS[kind]
    return _preview(request, template, context(round_, for_pdf=False))


@rule("city")
def pdf(request: HttpRequest, city: int, round_pk: int, kind: str) -> HttpResponseBase:
    round_ = _round(request, city, round_pk, kind)
    _template, _context, render, name = KINDS[kind]
    response = HttpResponse(render(round_), content_type=PDF)
    filename = file_name(
        name, round_.get_period_display(), round_.year, round_.city, extension=".pdf"
    )
    return inert(send_as(response, filename, inline=request.GET.get("xem") == "1"))
