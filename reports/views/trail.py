"""Reading the audit trail (Nhật ký hoạt động): the filtered list, newest first, and its
export. The page lives here, above assessments whose rule book and communes it reads; the audit
app itself only records and verifies, below every other app."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from assessments.access import reads_every_commune, require_audit_scope, rule
from audit.models import AuditEntry
from audit.services import Action, audit_record
from audit.xlsx import entries_xlsx
from guards.filenames import file_name, send_as
from guards.http import AuthenticatedRequest
from reports.trail_filters import EntryFilterForm

PER_PAGE = 50
# An export is built in memory; past this many rows, narrow the filter.
EXPORT_MAX_ROWS = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
    """The filtered list as XLSX (newest first, at most EXPORT_MAX_ROWS rows); the export is
    itself recorded."""
    form, entries = _filtered(request)
    rows = list(entries[: EXPORT_MAX_ROWS + 1])
    cut = len(rows) > EXPORT_MAX_ROWS
    rows = rows[:EXPORT_MAX_ROWS]
    now = timezone.localtime()
    who = request.user.get_full_name() or request.user.get_username()
    heading = [
        "NHẬT KÝ HOẠT ĐỘNG",
        f"Xuất lúc {now:%H:%M %d/%m/%Y} bởi {who}. Bộ lọc: {form.description()}.",
    ]
    if cut:
        heading.append(
            f"Chỉ gồm {EXPORT_MAX_ROWS} mục mới nhất; hãy lọc hẹp hơn để xem các mục cũ hơn."
        )
    data = entries_xlsx(rows, heading=heading)
    audit_record(
        action=Action.EXPORT,
        user=request.user,
        summary=f"Xuất nhật ký hoạt động (Excel): {len(rows)} mục. Bộ lọc: {form.description()}",
        details={"filters": form.params(), "rows": len(rows)},
    )
    name = file_name("Nhật ký hoạt động", f"{now:%Y%m%d-%H%M}", extension=".xlsx")
    response = send_as(HttpResponse(data, content_type=XLSX), name)
    response["Cache-Control"] = "private, no-store"
    return response
