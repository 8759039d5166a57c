"""The evidence ZIP of a large selection, written in the worker (jobs/) into the private
storage a file at a time (guards.zipstream: memory stays flat), with its progress per file.
A small selection is streamed to the browser in the request (evidence/views/overview.py)."""

from __future__ import annotations

from django.db import transaction

from assessments.access import get_assessment_for_user
from audit.context import restored
from criteria.models import Criterion
from evidence.archive import archive_entries, archive_filename, archive_record, stream_archive
from evidence.selectors import evidence_links_for_archive
from guards.zipstream import StreamedFile
from jobs.registry import job_kind
from jobs.services import Run


@job_kind("evidence.archive")
def archive(run: Run) -> None:
    """params: the assessment, the criterion chosen (or None) and its sub-criteria (None:
    everything), as the request found them."""
    # As the page checked: the person may still read the assessment.
    assessment = get_assessment_for_user(run.job.user, run.params["assessment"])
    criterion = None
    if run.params.get("criterion"):
        criterion = Criterion.objects.get(pk=run.params["criterion"])
    run.progress(2, "Đang đọc danh mục minh chứng")
    entries = archive_entries(
        evidence_links_for_archive(assessment, run.params.get("criterion_ids"))
    )
    name = archive_filename(assessment, criterion)

    def progress(done: int, total: int) -> None:
        run.progress(5 + 90 * done // max(total, 1), f"Đang nén tệp {done + 1}/{total}")

    # Read as it is stored, a chunk at a time; the name is tracked before the first byte.
    run.save_result(StreamedFile(stream_archive(entries, progress=progress), name), name)
    files = len(entries)  # as the request's record counts them (missing ones listed)
    with restored(run.params.get("origin")), transaction.atomic():
        archive_record(
            assessment=assessment, criterion=criterion, name=name, files=files, user=run.job.user
        )
        run.finish(note=f"Đã nén xong {files} tệp minh chứng.")
