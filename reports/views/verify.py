"""The public verification page: anyone with the link (or the QR code) checks a document.

It shows only what is printed on the report: number, date, commune, hash and signatures;
never evidence or anything else of the commune. Open to anyone, so it is rate-limited per
address (guards/throttle.py), takes one file up to VERIFY_MAX_UPLOAD_SIZE, and parses
uploads only in a bounded child (reports/services/verifying.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from assessments.access import rule
from guards.net import client_network
from guards.throttle import rate_limited
from guards.uploads import accepts_files, too_large_message
from reports.models import IssuedFile, Report
from reports.services.verifying import (
    SignatureBox,
    document_verify,
    issued_file_checks,
    verdict_for,
)

View = Callable[..., HttpResponse]


def _public(view: View) -> View:
    view = rule("public")(view)
    view = accepts_files(max_size_setting="VERIFY_MAX_UPLOAD_SIZE", anonymous=True)(view)
    view = rate_limited(GET="VERIFY_RATE_GET", POST="VERIFY_RATE_POST")(view)
    return require_http_methods(["GET", "HEAD", "POST"])(view)


@_public
def document(request: HttpRequest, token: str) -> HttpResponse:
    """An issued report by its verification link, and a check of an uploaded copy."""
    report = get_object_or_404(
        Report.objects.select_related("assessment__commune"),
        verify_token=token,
        status=Report.Status.ISSUED,
    )
    return _page(request, report)


@_public
def upload(request: HttpRequest) -> HttpResponse:
    """A check of an uploaded PDF, with no report in mind."""
    return _page(request, None)


def _page(request: HttpRequest, report: Report | None) -> HttpResponse:
    result = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if getattr(request, "oversize_uploads", None):
            error = too_large_message(settings.VERIFY_MAX_UPLOAD_SIZE)
        elif upload is None:
            error = "Hãy chọn tệp PDF cần kiểm tra."
        else:
            result = document_verify(
                upload, report=report, user=request.user, address=client_network(request)
            )
    final = None
    checked = None
    boxes: list[SignatureBox] = []
    if report is not None:
        final = (
            report.files.filter(kind=IssuedFile.Kind.REPORT).order_by("-created_at", "-id").first()
        )
        if final is not None:
            checked, boxes = issued_file_checks(final)
    return render(
        request,
        "reports/verify.html",
        {
            "report": report,
            "final": final,
            "boxes": boxes,
            "final_verdict": verdict_for(checked, boxes, issued=True) if checked else "",
            "unchecked": checked is not None and checked.status == "limits",
            "result": result,
            "error": error,
        },
    )
