"""Jobs: work a person starts that should not hold their request (README "Task workers").

`job_start` records the job and queues it at the commit; the person is sent to its page
(jobs/views.py), which shows a progress bar and then the result. With a broker the worker
runs it (jobs.tasks.run_job); without one it runs in the starting process at the commit, so
the page already shows the result when it opens.

Jobs are idempotent: a finished job is never run again, a kind's function marks it finished
in the same transaction as its own rows (`Run.finish`), and an attempt starts by removing the
files an earlier, killed attempt had begun (`Run.track`).
"""

from __future__ import annotations

import logging
import uuid
from typing import IO

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from jobs.models import Job
from jobs.registry import KINDS

log = logging.getLogger(__name__)
FAILED_MESSAGE = (
    "Có lỗi khi xử lý, hệ thống đã thử lại nhưng chưa được. Hãy thử lại sau ít phút; nếu vẫn "
    "lỗi, báo cho quản trị viên kèm mã tác vụ."
)
NOT_ALLOWED = "Đồng chí không còn quyền thực hiện việc này (quyền đã thay đổi sau khi bắt đầu)."


def job_start(*, kind: str, user: User, title: str, params: dict, key: str = "") -> Job:
    """The job for this work: the one already queued or running under `key` for this person,
    or a new one, queued at the commit. `params["back"]`, if given, is the page its "Quay
    lại" link returns to (shown when it failed, or when its result is a file)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown job kind {kind!r}")
    with transaction.atomic():
        if key:
            running = (
                Job.objects.select_for_update()
                .filter(user=user, key=key, state__in=(Job.State.QUEUED, Job.State.RUNNING))
                .first()
            )
            if running is not None:
                return running
        job = Job.objects.create(kind=kind, user=user, title=title, params=params, key=key)
        # jobs.tasks imports this module: a real cycle, resolved at call time.
        from jobs.tasks import run_job  # noqa: PLC0415

        transaction.on_commit(lambda: run_job.delay(str(job.pk)), robust=True)
    return job


class Run:
    """What a kind's function is given: the job's parameters, and how to report progress,
    announce a file it is about to write, and finish."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.params = job.params
        self.finished = False

    def progress(self, percent: int, step: str = "") -> None:
        """Shown on the job's page. Call it outside a transaction (it would not be seen)."""
        Job.objects.filter(pk=self.job.pk).update(
            progress=max(0, min(100, int(percent))), step=step[:200]
        )

    def track(self, alias: str, name: str) -> str:
        """Announce a file about to be written in storage `alias` under `name`; if this
        attempt dies half-way, the next one removes it first. Call it outside a transaction,
        before writing. Returns `name`."""
        self.job.partial = [*self.job.partial, [alias, name]]
        Job.objects.filter(pk=self.job.pk).update(partial=self.job.partial)
        return name

    def unique_name(self, folder: str, suffix: str) -> str:
        """A storage name of this attempt's own (`folder/<job>-<attempt>-<random><suffix>`)."""
        return f"{folder.rstrip('/')}/{self.job.pk}-{uuid.uuid4().hex[:8]}{suffix}"

    def save_result(self, file: bytes | IO[bytes] | File, name: str) -> None:
        """Store the file to download (`name` is what the browser saves it as): bytes, an
        open file, or a Django File read once as it is stored (e.g. a StreamedFile ZIP,
        which keeps memory flat). Call it outside a transaction, before `finish`: a killed
        attempt's file is removed."""
        job = self.job
        if isinstance(file, bytes):
            content: File = ContentFile(file)
        else:
            content = file if isinstance(file, File) else File(file)
        stored_as = self.track("documents", job.result_file.field.generate_filename(job, name))
        job.result_file.name = job.result_file.storage.save(stored_as, content)
        job.result_name = name

    def finish(self, *, url: str = "", note: str = "") -> None:
        """Mark the job done with its result: a page (`url`) or the file of `save_result`.
        Call it inside the transaction that writes the work's own rows, so that both are
        committed together or not at all."""
        job = self.job
        job.state = Job.State.DONE
        job.progress = 100
        job.step = ""
        job.result_url = url
        job.result_note = note[:500]
        job.finished_at = timezone.now()
        job.partial = []
        job.save()
        self.finished = True


def _remove_partial(job: Job) -> None:
    for alias, name in job.partial:
        try:
            storages[alias].delete(name)
        except Exception:  # noqa: BLE001  (best effort: a name that is gone is fine)
            log.warning("Could not remove %s:%s of job %s", alias, name, job.pk, exc_info=True)
    if job.partial:
        job.partial = []
        Job.objects.filter(pk=job.pk).update(partial=[])


def _fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED, error=message, step="", finished_at=timezone.now()
    )


def job_run(job_id: str, *, last_attempt: bool = True) -> str:
    """Run one job (called by jobs.tasks.run_job). A finished job is left as it is."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return "skipped"
    _remove_partial(job)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now()
    )
    job.refresh_from_db()
    function = KINDS.get(job.kind)
    if function is None:
        _fail(job, f"Không có loại tác vụ “{job.kind}”.")
        return "failed"
    run = Run(job)
    try:
        function(run)
    except ValidationError as error:
        _remove_partial(job)
        _fail(job, " ".join(error.messages))
        return "refused"
    except (PermissionDenied, Http404) as error:
        # The person lost the right to it between the start and the run (a kind checks
        # access again as it starts): refused, like a ValidationError, never retried.
        _remove_partial(job)
        # A rule's own refusal says why ("Chỉ văn thư …"); a 404 says nothing worth showing.
        _fail(
            job, str(error) if isinstance(error, PermissionDenied) and str(error) else NOT_ALLOWED
        )
        log.info("Job %s (%s) refused: %s", job.pk, job.kind, error)
        return "refused"
    except Exception:
        if not last_attempt:
            raise  # the task retries; the next attempt removes what this one wrote
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        _remove_partial(job)
        _fail(job, FAILED_MESSAGE)
        return "failed"
    if not run.finished:
        run.finish()
    return "done"


def job_of(user: User, job_id: uuid.UUID) -> Job | None:
    """The job `job_id` if `user` started it (nobody else sees a job or its result)."""
    return Job.objects.filter(pk=job_id, user=user).first()
