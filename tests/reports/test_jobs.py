"""Issuing and the dossier as jobs (reports/job_kinds.py): the pages send the person to the
job's progress, then to the issued report; a refusal is shown on the job's page; an attempt
killed half-way is finished once by the next one, with no number issued twice and no half
file left. The last test kills a real Celery worker (Redis at 127.0.0.1:6379) mid-dossier."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from criteria.models import Criterion
from evidence.services import evidence_upload
from guards.storage import StoredFiles
from jobs.models import Job
from jobs.services import job_run
from reports.demo.signing import DEMO_PASSPHRASE
from reports.models import DocumentEvent, Dossier, IssuedFile, RegisteredNumber, Report
from reports.services import issuing, report_create, report_section_save
from reports.services.dossier import dossier_build
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.workers import start_worker, worker_database, worker_env

BROKER = os.environ.get("CELERY_TEST_JOBS_BROKER_URL", "redis://127.0.0.1:6379/13")


def issued_url(report: Report) -> str:
    return reverse("reports:issued", args=[report.assessment_id, report.pk])


@pytest.fixture
def media_root(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def messages_in(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def sign(report: Report, keys, secretary) -> Report:
    person, organisation = keys
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    return report


# -- the pages -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_pages_land_on_the_issued_report_at_once(
    client, draft, keys, login_as, secretary
):
    """As with `make run`: the job runs at the commit of the request, whose answer is the
    issued report's page with the message, not the job's page."""
    login_as(secretary)
    issued = client.post(reverse("reports:issue", args=[draft.assessment_id, draft.pk]))
    assert issued.status_code == 302 and issued["Location"] == issued_url(draft)
    draft.refresh_from_db()
    assert messages_in(client.get(issued["Location"])) == [
        f"Đã ban hành Số: 01/BC-UBND ngày {draft.issue_date:%d/%m/%Y}."
    ]
    sign(draft, keys, secretary)

    built = client.post(reverse("reports:dossier", args=[draft.assessment_id, draft.pk]))

    assert built.status_code == 302 and built["Location"] == issued_url(draft)
    page = client.get(built["Location"])
    assert messages_in(page) == [
        "Đã lập hồ sơ gửi thành phố. Tải về ở mục “Hồ sơ gửi Sở Nội vụ” bên dưới."
    ]
    assert draft.dossiers.get().sha256 in page.content.decode()
    assert list(Job.objects.values_list("kind", "state", "attempts")) == [
        ("reports.dossier", "done", 1),
        ("reports.issue", "done", 1),
    ]


@pytest.mark.django_db
def test_the_dossier_page_sends_to_the_jobs_progress_until_it_is_done(
    client, signed, login_as, secretary, django_capture_on_commit_callbacks
):
    login_as(secretary)
    url = reverse("reports:dossier", args=[signed.assessment_id, signed.pk])
    with django_capture_on_commit_callbacks() as queued:  # a worker has not taken it yet
        response = client.post(url)
        again = client.post(url)  # a second click, or a second tab: the same job
    job = Job.objects.get()
    assert response["Location"] == again["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.kind == "reports.dossier" and job.user == secretary
    assert job.params == {"report": signed.pk, "back": issued_url(signed)}
    assert job.title == (
        f"Lập hồ sơ gửi thành phố: Báo cáo số 01/BC-UBND ngày {signed.issue_date:%d/%m/%Y}"
    )
    waiting = client.get(response["Location"]).content.decode()
    assert "Đang chờ đến lượt xử lý" in waiting and 'data-state="queued"' in waiting
    assert not signed.dossiers.exists()

    queued[0]()  # the worker runs it

    done = client.get(response["Location"], follow=True)
    assert done.redirect_chain == [(issued_url(signed), 302)]
    assert messages_in(done) == [
        "Đã lập hồ sơ gửi thành phố. Tải về ở mục “Hồ sơ gửi Sở Nội vụ” bên dưới."
    ]
    job.refresh_from_db()
    assert job.state == "done" and job.progress == 100 and job.partial == []
    assert signed.dossiers.count() == 1


@pytest.mark.django_db
def test_a_refused_issue_is_told_on_the_jobs_page_with_a_way_back(
    client, draft, login_as, secretary, post_job, media_root
):
    section = draft.sections.get(key="p1.III.1")
    report_section_save(
        section=section, body="Tổng điểm là 12,5 điểm.", by=secretary, expected_version=0
    )
    login_as(secretary)

    page = post_job(reverse("reports:issue", args=[draft.assessment_id, draft.pk]))

    job = Job.objects.get()
    assert page.status_code == 200 and page.request["PATH_INFO"] == reverse(
        "jobs:detail", args=[job.pk]
    )
    text = page.content.decode()
    assert "Chưa ban hành được, báo cáo cần sửa: (1) " in text and "12,5" in text
    back = reverse("reports:edit", args=[draft.assessment_id, draft.pk])
    assert f'href="{back}">Quay lại</a>' in text
    assert job.state == "failed" and job.attempts == 1  # a refusal is not retried
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None
    assert not RegisteredNumber.objects.exists() and not IssuedFile.objects.exists()
    assert not list((media_root / "documents").rglob("*.*"))


def test_the_dossier_tells_how_far_it_has_got(signed, secretary):
    steps: list[tuple[int, str]] = []
    dossier_build(report=signed, by=secretary, progress=lambda pct, step: steps.append((pct, step)))
    percents = [pct for pct, _ in steps]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 95
    assert steps[0][1] == "Đang ghi tệp 1/5 vào hồ sơ"


# -- a killed attempt ------------------------------------------------------------------------------


class Killed(BaseException):
    """As SIGKILL: no `except Exception` runs, and the files are not removed on the way out."""


@pytest.mark.django_db
def test_an_issuing_killed_before_its_commit_is_issued_once_under_the_same_number(
    draft, secretary, monkeypatch
):
    job = Job.objects.create(
        kind="reports.issue",
        user=secretary,
        title="Ban hành báo cáo",
        params={"report": draft.pk, "reason": "", "back": "/"},
        key=f"issue:{draft.pk}",
    )

    def killed(**kwargs):
        raise Killed

    # The first attempt has stored the four files and numbered the report when it dies.
    monkeypatch.setattr(StoredFiles, "remove_all", lambda self: None)
    monkeypatch.setattr(issuing, "report_issued_notify", killed)
    with pytest.raises(Killed):
        job_run(str(job.pk), last_attempt=False)
    job.refresh_from_db()
    left = [name for alias, name in job.partial]
    assert job.state == "running" and len(left) == 4
    assert all(storages["documents"].exists(name) for name in left)
    assert not RegisteredNumber.objects.exists()  # rolled back with its transaction
    monkeypatch.undo()

    assert job_run(str(job.pk)) == "done"  # the broker gave the task to another worker
    assert job_run(str(job.pk)) == "skipped"  # and once more: it does nothing

    draft.refresh_from_db()
    assert draft.status == "issued" and draft.number == 1
    assert list(RegisteredNumber.objects.values_list("number", flat=True)) == [1]
    assert DocumentEvent.objects.filter(report=draft, action="issue").count() == 1
    assert not any(storages["documents"].exists(name) for name in left)
    assert all(record.file.storage.exists(record.file.name) for record in draft.files.all())
    assert draft.files.count() == 4
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2 and job.partial == []
    assert job.result_url == issued_url(draft)
    assert job.result_note == f"Đã ban hành Số: 01/BC-UBND ngày {draft.issue_date:%d/%m/%Y}."


# -- a real worker, killed mid-dossier -------------------------------------------------------------


def _row(database_url: str, sql: str, params: list) -> tuple:
    """One row of the worker's database, read as the worker writes it."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as db:
            row = db.execute(sql, params).fetchone()
        db.close()
        return row
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), params)
        return cursor.fetchone()


def _results_back(database_url: str) -> None:
    """What the worker wrote, read back into this test's database (SQLite: a copy)."""
    if database_url.startswith("sqlite:///"):
        connection.ensure_connection()
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as source:
            source.backup(connection.connection)
        source.close()


def _wait(what: str, check, log: Path, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    print(log.read_text())
    raise AssertionError(f"Timed out waiting for {what}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_the_dossier_is_retried_and_finishes_once(
    demo_scored, keys, own_staff, secretary, media_root, tmp_path
):
    criterion = Criterion.objects.get(
        criteria_set=demo_scored.assessment.criteria_set, code="2.2.e"
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Word 97-2003 file: stored, no preview
    for index in range(24):  # random bytes: stored in the ZIP as they are, ~1 MB each
        outcome = evidence_upload(
            assessment=demo_scored.assessment,
            criterion=criterion,
            upload=SimpleUploadedFile(f"Công văn {index}.doc", ole + os.urandom(1024 * 1024)),
            by=own_staff,
        )
        assert outcome.status == "stored", outcome.message
    report = report_issue(
        report=report_create(assessment=demo_scored.assessment, by=secretary), by=secretary
    )
    sign(report, keys, secretary)
    # Recorded, not queued (no broker here: it would run in this process); sent below.
    job = Job.objects.create(
        kind="reports.dossier",
        user=secretary,
        title="Lập hồ sơ gửi thành phố",
        params={"report": report.pk, "back": issued_url(report)},
        key=f"dossier:{report.pk}",
    )
    database_url = worker_database(tmp_path)
    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()  # this test's own database number only
    env = worker_env(
        database_url,
        media_root,
        BROKER,
        CELERY_VISIBILITY_TIMEOUT="3",
        TEST_SLOW_WRITES="0.15",  # ~4 s for the ZIP's 24 MB
    )
    log = tmp_path / "worker.log"
    job_id = job.pk.hex if connection.vendor == "sqlite" else str(job.pk)
    documents = media_root / "documents"

    def state() -> tuple[str, list, int]:
        row = _row(
            database_url, "SELECT state, partial, attempts FROM jobs_job WHERE id = ?", [job_id]
        )
        partial = row[1] if isinstance(row[1], list) else json.loads(row[1])
        return row[0], partial, row[2]

    def writing() -> str:
        current, partial, _ = state()
        if current == "running" and partial:
            name = partial[0][1]
            if (documents / name).exists() and (documents / name).stat().st_size > 2 * 1024**2:
                return name
        return ""

    first = start_worker(env, log)
    second = None
    sender = Celery(broker=BROKER, set_as_current=False)  # later tests still run in process
    try:
        sender.send_task("jobs.run", args=[str(job.pk)])
        half = _wait("the ZIP to be half written", writing, log)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        size = (documents / half).stat().st_size
        assert state()[0] == "running" and size > 0
        started = time.monotonic()
        second = start_worker(env, log)
        _wait("the job to be done", lambda: state()[0] in ("done", "failed"), log)
        print(f"\nkilled at {size} bytes; done {time.monotonic() - started:.1f} s later")
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        broker.flushdb()
        sender.close()

    _results_back(database_url)
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2 and job.partial == [], log.read_text()
    dossier = Dossier.objects.get(report=report)
    assert DocumentEvent.objects.filter(report=report, action="dossier").count() == 1
    assert not (documents / half).exists()
    with dossier.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == dossier.sha256
    assert dossier.size > 24 * 1024**2
    # Nothing else is left of the report in storage: its issued files and the one dossier.
    stored = {
        path.relative_to(documents).as_posix()
        for path in (documents / "issued").rglob("*")
        if path.is_file()
    }
    assert stored == {record.file.name for record in report.files.all()} | {dossier.file.name}
