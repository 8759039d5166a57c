"""Reading the audit trail (Nhật ký hoạt động): the filtered list, newest first, and its
export (built in the worker: reports/trail_export.py). The page lives here, above assessments
whose rule book and communes it reads; the audit app itself only records and verifies, below
every other app."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments.access import reads_every_commune, require_audit_scope, rule
from audit.context import carried
from audit.models import AuditEntry
from guards.http import AuthenticatedRequest
from jobs.services import job_start
from jobs.views import job_redirect
from reports.trail_filters import EntryFilterForm

PER_PAGE = 50
# What a row shows; the hash chain's columns and the details stay in the database.
LISTED = [
    "id",
    "at",
    "username",
    "full_name",
    "ip",
    "commune_name",
    "unit_name",
    "action",
    "target_label",
    "summary",
]


def _filtered(request: AuthenticatedRequest) -> tuple[EntryFilterForm, QuerySet[AuditEntry]]:
    scope = require_audit_scope(request.user)
    form = EntryFilterForm(
        request.GET, user=request.user, every_commune=reads_every_commune(request.user)
    )
    return form, form.apply(AuditEntry.objects.filter(scope)).order_by("-id")


@rule("audit_reader")
def entry_list(request: AuthenticatedRequest) -> HttpResponse:
    """Who did what, when and from where: the commune's entries for its leaders, everyone's
    for administrators; filterable by person, unit, action and dates."""
    form, entries = _filtered(request)
    page = Paginator(entries.only(*LISTED), PER_PAGE).get_page(request.GET.get("trang"))
    return render(
        request,
        "audit/entry_list.html",
        {"form": form, "page": page, "every_commune": form.every_commune},
    )


@rule("audit_reader")
def entry_export(request: AuthenticatedRequest) -> HttpResponse:
    """Start the filtered list's export, built in the worker (reports/trail_export.py); the
    same filters while it runs give the same job. GET (an old link) only goes back to the
    list with its filters."""
    form, _entries = _filtered(request)
    back = reverse("audit:list")
    if request.GET:
        back = f"{back}?{request.GET.urlencode()}"
    if request.method != "POST":
        return redirect(back)
    filters = form.params()
    chosen = urlencode(sorted(filters.items()))
    job = job_start(
        kind="reports.trail_xlsx",
        user=request.user,
        title="Xuất nhật ký hoạt động (Excel)",
        params={"filters": filters, "back": back, "origin": carried()},
        key=f"trail_xlsx:{hashlib.sha256(chosen.encode()).hexdigest()[:16]}",
    )
    return job_redirect(request, job)
