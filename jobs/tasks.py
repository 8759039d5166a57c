"""The one Celery task that runs every job (jobs.registry), in the worker or, without a
broker, in the process that started it, at the commit."""

from __future__ import annotations

from celery import shared_task

from jobs.services import job_run


@shared_task(
    name="jobs.run",
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=3,
)
def run_job(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    """Idempotent: a finished job is not run again (a redelivered task after a worker was
    killed, or a retry), and an attempt first removes what an earlier one half wrote."""
    return job_run(job_id, last_attempt=self.request.retries >= self.max_retries)
