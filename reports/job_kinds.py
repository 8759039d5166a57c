"""The reports app's work done in the worker (jobs/)."""

from __future__ import annotations

from django.db import transaction

from audit.context import restored
from jobs.registry import job_kind
from jobs.services import Run
from reports.trail_export import trail_export_record, trail_xlsx


@job_kind("reports.trail_xlsx")
def trail_export(run: Run) -> None:
    """The audit trail's export for the person who asked for it, recorded as theirs (and as
    coming from their request's address)."""
    user = run.job.user
    run.progress(10, "Đang đọc nhật ký hoạt động")
    export = trail_xlsx(user=user, filters=run.params.get("filters", {}))
    run.progress(80, "Đang lưu tệp")
    run.save_result(export.data, export.name)
    with restored(run.params.get("origin")), transaction.atomic():
        trail_export_record(export, user=user)
        run.finish(note=f"Đã xuất {export.rows} mục nhật ký.")
