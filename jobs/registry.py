"""The kinds of job, each a function of a `Run`, listed by each app in its `job_kinds.py`:

    @job_kind("reports.dossier")
    def build_dossier(run: Run) -> None:
        report = Report.objects.get(pk=run.params["report"])
        ...
        run.progress(40, "Đang nén minh chứng")
        name = run.partial_name("documents", "dossiers/…")   # before writing it
        ...
        with transaction.atomic():
            ...                                             # the work's own rows
            run.finish(url=..., note="Đã lập hồ sơ")        # in the same transaction

A function that raises ValidationError ends the job with its messages (shown to the person,
no retry); PermissionDenied or Http404 (a kind checks the person's access again as it starts)
ends it as not allowed, no retry; any other exception is retried by the worker (jobs.tasks). A function that
returns without calling `finish` is finished by the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.services import Run

KINDS: dict[str, Callable[[Run], None]] = {}


def job_kind(name: str) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    def register(function: Callable[[Run], None]) -> Callable[[Run], None]:
        if name in KINDS and KINDS[name] is not function:
            raise ValueError(f"Job kind {name!r} is registered twice.")
        KINDS[name] = function
        return function

    return register
