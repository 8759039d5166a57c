"""Remote signing (ký số từ xa): the signer sends the request to their phone, waits on a page
that polls, and lands on the issued report once the signature is in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from assessments.access import (
    report_reference,
    require_follow_remote_signing,
    require_sign_remotely,
    rule,
)
from guards.http import AuthenticatedRequest
from reports.forms import RemoteSignForm
from reports.models import RemoteSigning, Report, SigningKey
from reports.services.remote_signing import remote_sign_poll, remote_sign_start
from reports.views.report import PageRequest, _get_report


def _issued(report: Report) -> HttpResponseRedirect:
    return redirect("reports:issued", pk=report.assessment_id, report_pk=report.pk)


def _waiting_page(signing: RemoteSigning) -> HttpResponseRedirect:
    return redirect(
        "reports:remote_signing",
        pk=signing.report.assessment_id,
        report_pk=signing.report_id,
        signing_pk=signing.pk,
    )


def start_remote_signing(
    request: AuthenticatedRequest, report: Report, key: SigningKey
) -> HttpResponseRedirect:
    """Send the request to the signer's phone and open the waiting page; shared with the
    `sign` view for keys of kind CSC."""
    require_sign_remotely(request.user, report)
    try:
        signing = remote_sign_start(report=report, key=key, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _issued(report)
    return _waiting_page(signing)


@rule("reviewer")
@require_POST
def remote_start(request: AuthenticatedRequest, pk: int, report_pk: int) -> HttpResponse:
    """The signer asks their remote signing service for the signature ("Thử lại" too)."""
    report = _get_report(request.user, pk, report_pk)
    require_sign_remotely(request.user, report)
    form = RemoteSignForm(request.POST, user=request.user, commune=report.assessment.commune)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _issued(report)
    return start_remote_signing(request, report, form.cleaned_data["key"])


def _get_signing(
    request: AuthenticatedRequest, pk: int, report_pk: int, signing_pk: int
) -> RemoteSigning:
    """The request, for the person who made it only (404 outside the commune, 403 inside)."""
    report = _get_report(request.user, pk, report_pk)
    signing = get_object_or_404(
        RemoteSigning.objects.select_related("key", "user").defer("prepared_pdf"),
        report=report,
        pk=signing_pk,
    )
    require_follow_remote_signing(request.user, signing)
    signing.report = report
    return signing


def _context(signing: RemoteSigning) -> dict[str, Any]:
    report = signing.report
    return {
        "assessment": report.assessment,
        "report": report,
        "signing": signing,
        "reference": report_reference(report),
    }


@rule("reviewer")
def remote_signing(
    request: AuthenticatedRequest, pk: int, report_pk: int, signing_pk: int
) -> HttpResponse:
    """The waiting page: "Đang chờ xác nhận trên điện thoại", what to do, and the status,
    which asks the service every two seconds (htmx) or on "Kiểm tra lại"."""
    signing = _get_signing(request, pk, report_pk, signing_pk)
    return render(request, "reports/remote_signing.html", _context(signing))


@rule("reviewer")
@require_POST
def remote_status(request: PageRequest, pk: int, report_pk: int, signing_pk: int) -> HttpResponse:
    """Ask the service once; the status partial for htmx, or back to the waiting page. Once
    signed, to the issued report with a success message."""
    signing = _get_signing(request, pk, report_pk, signing_pk)
    report = signing.report
    signing = remote_sign_poll(signing=signing)
    signing.report = report
    if signing.status == RemoteSigning.Status.SIGNED:
        messages.success(request, f"Đã ký số {report_reference(report)} (ký số từ xa).")
        if request.htmx:
            return HttpResponseClientRedirect(_issued(report).url)
        return _issued(report)
    if request.htmx:
        return render(request, "reports/_remote_status.html", _context(signing))
    return _waiting_page(signing)
