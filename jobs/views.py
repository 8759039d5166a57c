"""A job's page: its progress bar while it runs (htmx asks every second; without JavaScript
the button does), then its result: the page it made, or its file to download."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from guards.inline import inert
from guards.rules import rule
from jobs.models import Job
from jobs.services import job_of


def _job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    job = job_of(request.user, job_id)  # type: ignore[arg-type]  # signed in (the rule)
    if job is None:
        raise Http404("Không có tác vụ này.")
    return job


def _to_result_page(
    request: HttpRequest, job: Job, *, client: bool = False
) -> HttpResponseRedirect | HttpResponseClientRedirect:
    """To the page a done job made, with its note; `client`: htmx's redirect of the page."""
    if job.result_note:
        messages.success(request, job.result_note)
    if client:
        return HttpResponseClientRedirect(job.result_page)
    return redirect(job.result_page)


def job_redirect(request: HttpRequest, job: Job) -> HttpResponseRedirect:
    """Where a view that started `job` sends the person: its result if it is already done
    (no broker: it ran at the commit), else its page."""
    job.refresh_from_db()  # `job_start` returns it as queued; it may have run since
    if job.result_page:
        return _to_result_page(request, job)
    return redirect("jobs:detail", job_id=job.pk)


@rule("job_owner")
def detail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _job(request, job_id)
    if job.result_page:
        return _to_result_page(request, job)
    return render(request, "jobs/detail.html", {"job": job})


@rule("job_owner")
def progress(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The progress card (htmx polls it); a finished job with a page result goes there."""
    job = _job(request, job_id)
    htmx = bool(request.htmx)  # type: ignore[attr-defined]  # django-htmx's middleware
    if job.result_page:
        return _to_result_page(request, job, client=htmx)
    if not htmx:
        return redirect("jobs:detail", job_id=job.pk)
    return render(request, "jobs/_progress.html", {"job": job})


@rule("job_owner")
def download(request: HttpRequest, job_id: uuid.UUID) -> HttpResponseBase:
    job = _job(request, job_id)
    if job.state != Job.State.DONE or not job.result_file:
        raise Http404("Tác vụ chưa có tệp kết quả.")
    handle = job.result_file.open("rb")
    return inert(FileResponse(handle, as_attachment=True, filename=job.result_name))
