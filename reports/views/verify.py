"""The public verification page: anyone with the link (or the QR code) checks a document.

It shows only what is printed on the report: number, date, commune, hash and signatures;
never evidence or anything else of the commune."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404, render

from guards.uploads import accepts_files, too_large_message
from reports.models import IssuedFile, Report
from reports.services.issuing import document_verify, trust_roots

VERIFY_UPLOADS = accepts_files(max_size_setting="VERIFY_MAX_UPLOAD_SIZE", anonymous=True)


@VERIFY_UPLOADS
def document(request, token):
    report = get_object_or_404(
        Report.objects.select_related("assessment__commune"),
        verify_token=token,
        status=Report.Status.ISSUED,
    )
    return _page(request, report)


@VERIFY_UPLOADS
def upload(request):
    return _page(request, None)


def _page(request, report):
    from reports.signing import validate_pdf

    result = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if getattr(request, "oversize_uploads", None):
            error = too_large_message(settings.VERIFY_MAX_UPLOAD_SIZE)
        elif upload is None:
            error = "Hãy chọn tệp PDF cần kiểm tra."
        else:
            result = document_verify(b"".join(upload.chunks()), report=report, user=request.user)
    final = None
    checks = []
    if report is not None:
        final = (
            report.files.filter(kind=IssuedFile.Kind.REPORT).order_by("-created_at", "-id").first()
        )
        if final is not None:
            checks = validate_pdf(final.read(), trust_roots=trust_roots())
    return render(
        request,
        "reports/verify.html",
        {"report": report, "final": final, "checks": checks, "result": result, "error": error},
    )
