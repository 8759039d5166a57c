"""Draft PDFs cached by data version (reports.documents, reports.job_kinds): a hit costs no
results and no template, a miss is made by the job "reports.pdf", a change is never served
stale."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from assessments.models import Score
from assessments.services import score_adjust
from jobs.models import Job
from reports import documents
from reports.services import report_create
from tests.jobs.follow import through_job
from tests.queries import exactly

REAL_VERSIONS = True  # no bump on bulk writes but the services' own (tests/conftest.py)

SHARED = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pdf-cache"}


@pytest.fixture
def documents_cache(settings):
    """A documents cache that keeps what is put in it (the tests' own is a DummyCache)."""
    settings.CACHES = {**settings.CACHES, "documents": SHARED}
    from django.core.cache import caches  # noqa: PLC0415

    caches["documents"].clear()
    yield caches["documents"]
    caches["documents"].clear()


@pytest.fixture
def report(demo_scored, secretary):
    return report_create(assessment=demo_scored.assessment, by=secretary)


def urls(report) -> dict[str, str]:
    args = [report.assessment_id, report.pk]
    return {
        "report": reverse("reports:pdf", args=args),
        "appendix": reverse("reports:appendix_pdf", args=args),
    }


def text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def total(data: bytes) -> str:
    """The appendix's approved total ("TỔNG CỘNG <scale> <proposed> <approved>")."""
    found = re.search(r"TỔNG CỘNG\s+([\d,.]+)\s+([\d,.]+)\s+([\d,.]+)", text(data))
    assert found, text(data)[-1500:]
    return found.group(3)


def _change_a_score(demo_scored, leader, capture) -> Score:
    """Full points for 4.3 (which has fewer), committed; the score as it was before."""
    score = Score.objects.select_related("criterion").get(
        assessment=demo_scored.assessment, criterion__code="4.3"
    )
    assert score.approved_points < score.criterion.max_points
    with capture(execute=True):
        score_adjust(
            score=score,
            by=leader,
            expected_version=score.version,
            points=score.criterion.max_points,
            reason="Đã hoàn thành.",
        )
    return score


def test_a_miss_goes_through_a_job_and_answers_the_pdf(
    client, report, leader, login_as, documents_cache, django_capture_on_commit_callbacks
):
    login_as(leader)
    url = urls(report)["report"]
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url)
    job = Job.objects.get(user=leader, kind="reports.pdf")
    assert first.status_code == 302
    assert first["Location"] == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()
    pinned = f"{url}?v={documents.draft_version(report)}"
    assert (job.state, job.result_url) == (Job.State.DONE, pinned)
    # The job's page sends to the same URL (with the version it was asked at), which now
    # finds the PDF in the cache.
    assert client.get(first["Location"])["Location"] == pinned
    response = client.get(pinned)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "DỰ THẢO" in text(response.content)
    assert Job.objects.filter(kind="reports.pdf").count() == 1


def test_a_hit_costs_no_results_and_no_template(
    client,
    report,
    leader,
    login_as,
    documents_cache,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    login_as(leader)
    made = {
        kind: through_job(client, url, django_capture_on_commit_callbacks).content
        for kind, url in urls(report).items()
    }

    def refuse(*args, **kwargs):
        raise AssertionError("computed on a cache hit")

    monkeypatch.setattr("assessments.selectors.compute_results", refuse)
    monkeypatch.setattr("reports.documents.render_to_string", refuse)
    monkeypatch.setattr("reports.documents.render_all", refuse)
    for kind, url in urls(report).items():
        # PostgreSQL settles the deferred foreign-key checks before the audit entry locks the
        # chain head (audit.services._settle_deferred_checks): two SET CONSTRAINTS more.
        audit = 5 if connection.vendor == "postgresql" else 3
        why = f"session, user, membership, assessment, report, audit entry ({audit})"
        with exactly(5 + audit, why):
            response = client.get(url)
        assert response.status_code == 200
        assert response.content == made[kind]
    assert Job.objects.filter(kind="reports.pdf").count() == 2


def test_a_change_gives_the_new_figure_never_the_stale_pdf(
    client,
    demo_scored,
    report,
    leader,
    login_as,
    documents_cache,
    django_capture_on_commit_callbacks,
):
    login_as(leader)
    url = urls(report)["appendix"]
    before = through_job(client, url, django_capture_on_commit_callbacks).content
    score = _change_a_score(demo_scored, leader, django_capture_on_commit_callbacks)
    after = through_job(client, url, django_capture_on_commit_callbacks)
    assert after.status_code == 200
    assert after.content != before
    gained = score.criterion.max_points - score.approved_points
    as_number = lambda s: float(s.replace(".", "").replace(",", "."))  # noqa: E731
    assert as_number(total(after.content)) == as_number(total(before)) + float(gained)
    assert Job.objects.filter(kind="reports.pdf").count() == 2


def test_a_pdf_made_before_the_commit_of_a_change_is_not_served_after_it(
    report, documents_cache, leader, demo_scored, django_capture_on_commit_callbacks
):
    """A reader between a write and its commit keeps the old rows' PDF under a version that
    the commit replaces (guards.versions bumps at the write and at the commit)."""
    score = Score.objects.select_related("criterion").get(
        assessment=demo_scored.assessment, criterion__code="4.3"
    )
    with django_capture_on_commit_callbacks(execute=True):
        score_adjust(
            score=score,
            by=leader,
            expected_version=score.version,
            points=score.criterion.max_points,
            reason="Đã hoàn thành.",
        )
        documents.draft_pdf_make(report, "report")
        assert documents.cached_draft_pdf(report, "report", documents.draft_version(report))
    assert documents.cached_draft_pdf(report, "report", documents.draft_version(report)) is None


def test_without_a_cache_that_keeps_it_the_pdf_is_made_in_the_request(
    client, report, leader, login_as, django_capture_on_commit_callbacks
):
    """The tests' DummyCache keeps nothing: once the job is done, the request makes the PDF
    itself instead of starting the job again (no redirect loop)."""
    login_as(leader)
    response = through_job(client, urls(report)["report"], django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert Job.objects.filter(kind="reports.pdf").count() == 1


def test_the_job_keeps_the_browser_view_asked_for(
    client, report, leader, login_as, documents_cache, django_capture_on_commit_callbacks
):
    login_as(leader)
    url = urls(report)["report"] + "?xem=1"
    response = through_job(client, url, django_capture_on_commit_callbacks)
    assert response["Content-Disposition"].startswith("inline;")
    version = documents.draft_version(report)
    assert Job.objects.get(kind="reports.pdf").result_url == f"{url}&v={version}"


@pytest.mark.parametrize("persona", ["own_staff", "outsider"])
def test_no_job_for_who_may_not_download(
    client, report, login_as, request, persona, django_capture_on_commit_callbacks
):
    login_as(request.getfixturevalue(persona))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(urls(report)["report"]).status_code in (403, 404)
    assert not Job.objects.filter(kind="reports.pdf").exists()


def test_a_change_while_the_person_waits_still_gives_the_pdf_they_waited_for(
    client,
    demo_scored,
    report,
    leader,
    login_as,
    documents_cache,
    django_capture_on_commit_callbacks,
):
    """The commune goes on working while the job renders: the job's result (its URL pinned to
    the version asked at) answers that PDF, with a note, instead of starting another job for
    every change; the plain URL gives the data as they are now."""
    login_as(leader)
    url = urls(report)["appendix"]
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    job = Job.objects.get(kind="reports.pdf")
    made = documents.cached_draft_pdf(report, "appendix", documents.draft_version(report))
    assert made is not None
    _change_a_score(demo_scored, leader, django_capture_on_commit_callbacks)
    assert client.get(reverse("jobs:detail", args=[job.pk]))["Location"] == job.result_url
    response = client.get(job.result_url)
    assert response.status_code == 200
    assert response.content == made
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("bản của dữ liệu lúc yêu cầu" in note for note in notes), notes
    assert Job.objects.filter(kind="reports.pdf").count() == 1
    # Without the pin: the data as they are now, through a new job.
    now = through_job(client, url, django_capture_on_commit_callbacks)
    assert now.content != made
    assert Job.objects.filter(kind="reports.pdf").count() == 2


@pytest.mark.parametrize(
    "pin", ["someone else's", "../../x", "0" * 16 + "-" + "g" * 16, "a" * 5000]
)
def test_a_version_in_the_url_that_no_job_of_the_person_made_is_ignored(
    client,
    demo_scored,
    report,
    leader,
    secretary,
    login_as,
    documents_cache,
    django_capture_on_commit_callbacks,
    pin,
):
    """Only the version of a job this person ran is served from the URL: someone else's
    (or anything else) starts a job for the data as they are now."""
    login_as(leader)
    url = urls(report)["report"]
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    leaders = Job.objects.get(kind="reports.pdf")
    _change_a_score(demo_scored, leader, django_capture_on_commit_callbacks)
    client.logout()
    login_as(secretary)
    asked = leaders.result_url if pin == "someone else's" else f"{url}?{urlencode({'v': pin})}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(asked)
    assert response.status_code == 302
    job = Job.objects.get(kind="reports.pdf", user=secretary)
    assert response["Location"] in (reverse("jobs:detail", args=[job.pk]), job.result_url)
    assert job.key.endswith(documents.draft_version(report))
