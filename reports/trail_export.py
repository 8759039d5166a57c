"""The audit trail's export (Nhật ký hoạt động, Excel), built in the worker
(reports/job_kinds.py): a city's trail grows without end, so the page (reports/views/trail.py)
only starts the job."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import QueryDict
from django.utils import timezone

from assessments.access import reads_every_commune, require_audit_scope
from audit.models import AuditEntry
from audit.services import Action, audit_record
from audit.xlsx import entries_xlsx
from guards.filenames import file_name
from reports.trail_filters import EntryFilterForm

# An export is built in memory; past this many rows, narrow the filter.
EXPORT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class TrailExport:
    data: bytes
    name: str
    rows: int
    filters: dict[str, str]
    described: str


def trail_xlsx(*, user: User, filters: dict[str, str]) -> TrailExport:
    """The trail as `user` reads it on the page (their scope) narrowed by the list's `filters`
    (EntryFilterForm.params), newest first, at most EXPORT_MAX_ROWS rows."""
    scope = require_audit_scope(user)
    form = EntryFilterForm(
        QueryDict(urlencode(filters)), user=user, every_commune=reads_every_commune(user)
    )
    entries = form.apply(AuditEntry.objects.filter(scope)).order_by("-id")
    rows = list(entries[: EXPORT_MAX_ROWS + 1])
    cut = len(rows) > EXPORT_MAX_ROWS
    rows = rows[:EXPORT_MAX_ROWS]
    now = timezone.localtime()
    who = user.get_full_name() or user.get_username()
    described = form.description()
    heading = [
        "NHẬT KÝ HOẠT ĐỘNG",
        f"Xuất lúc {now:%H:%M %d/%m/%Y} bởi {who}. Bộ lọc: {described}.",
    ]
    if cut:
        heading.append(
            f"Chỉ gồm {EXPORT_MAX_ROWS} mục mới nhất; hãy lọc hẹp hơn để xem các mục cũ hơn."
        )
    return TrailExport(
        data=entries_xlsx(rows, heading=heading),
        name=file_name("Nhật ký hoạt động", f"{now:%Y%m%d-%H%M}", extension=".xlsx"),
        rows=len(rows),
        filters=form.params(),
        described=described,
    )


def trail_export_record(export: TrailExport, *, user: User) -> None:
    """The export is itself on the record."""
    audit_record(
        action=Action.EXPORT,
        user=user,
        summary=f"Xuất nhật ký hoạt động (Excel): {export.rows} mục. Bộ lọc: {export.described}",
        details={"filters": export.filters, "rows": export.rows},
    )
