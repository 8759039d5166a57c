"""Previews drawn by a task after the upload commits (evidence/tasks.py, chinhquyen/celery.py).

Without a broker (the tests, `make run`) the task runs in process at the commit. The last test
starts a real Celery worker with Redis at 127.0.0.1:6379 (CI runs Redis there).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from chinhquyen.celery import app
from criteria.models import Criterion
from evidence import services
from evidence.models import EvidenceFile
from evidence.services import NO_PREVIEW_TOO_LARGE, evidence_preview_make, evidence_upload
from evidence.tasks import make_evidence_preview
from tests.evidence.conftest import image_bytes, pdf_bytes, stored_files
from tests.workers import start_worker, worker_database, worker_env

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture
def criterion(demo):
    return Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")


def uploaded(demo, criterion, upload, own_staff, name="Ảnh.png", data=None):
    """An upload whose transaction has not committed in this test: its preview waits."""
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=upload(name, data or image_bytes("PNG")),
        by=own_staff,
    )
    assert outcome.status == "stored"
    assert outcome.warning == ""
    return outcome.evidence


def thumbs(media_root: Path) -> list[Path]:
    return [path for path in stored_files(media_root) if path.parent.name == "thumbs"]


def test_until_the_task_ran_the_page_says_the_preview_is_being_made(
    client, demo, login_as, criterion, upload, own_staff, media_root
):
    evidence = uploaded(demo, criterion, upload, own_staff)
    record = evidence.current_file
    assert record.preview == EvidenceFile.Preview.PENDING
    assert not record.thumbnail
    login_as(own_staff)
    page = reverse("evidence:detail", args=[demo.assessment.pk, evidence.pk])

    waiting = client.get(page).content.decode()
    listing = client.get(
        reverse("evidence:panel", args=[demo.assessment.pk, criterion.pk])
    ).content.decode()

    assert "Đang tạo hình xem trước" in waiting
    assert "Đang tạo hình xem trước" in listing
    assert make_evidence_preview.delay(record.pk).get() == "ready"
    drawn = client.get(page).content.decode()
    assert "Đang tạo hình xem trước" not in drawn
    assert reverse("evidence:thumbnail", args=[demo.assessment.pk, record.pk]) in drawn


def test_the_list_asks_for_itself_again_while_a_preview_is_drawn_for_two_minutes_at_most(
    client, demo, login_as, criterion, upload, own_staff
):
    record = uploaded(demo, criterion, upload, own_staff).current_file
    login_as(own_staff)
    listing = reverse("evidence:panel", args=[demo.assessment.pk, criterion.pk])

    def poll(query):
        page = client.get(listing + query, HTTP_HX_REQUEST="true").content.decode()
        found = re.search(r'data-testid="preview-poll" hx-get="([^"]+)"', page)
        return found.group(1).replace("&amp;", "&") if found else None

    assert poll("") == listing + "?phan=ds&lan=1"
    assert poll("?phan=ds&lan=1") == listing + "?phan=ds&lan=2"
    assert poll("?phan=ds&lan=39") == listing + "?phan=ds&lan=40"
    assert poll("?phan=ds&lan=40") is None  # two minutes: the page stops asking
    assert poll("?phan=ds&lan=abc") == listing + "?phan=ds&lan=1"

    assert make_evidence_preview.delay(record.pk).get() == "ready"
    assert poll("?phan=ds&lan=3") is None


def test_the_list_says_why_a_file_has_no_preview_once_the_task_found_out(
    client, demo, login_as, criterion, upload, own_staff, monkeypatch
):
    record = uploaded(demo, criterion, upload, own_staff).current_file
    monkeypatch.setattr(services, "make_preview", lambda path, kind: (None, NO_PREVIEW_TOO_LARGE))
    login_as(own_staff)
    listing = reverse("evidence:panel", args=[demo.assessment.pk, criterion.pk])

    assert make_evidence_preview.delay(record.pk).get() == "too_large"

    page = client.get(listing, HTTP_HX_REQUEST="true").content.decode()
    assert NO_PREVIEW_TOO_LARGE in page
    assert "Đang tạo hình xem trước" not in page


def test_the_task_run_twice_makes_one_thumbnail(demo, criterion, upload, own_staff, media_root):
    record = uploaded(demo, criterion, upload, own_staff, "Kế hoạch.pdf", pdf_bytes()).current_file

    assert evidence_preview_make(file_id=record.pk) == "ready"
    record.refresh_from_db()
    first = record.thumbnail.name
    assert evidence_preview_make(file_id=record.pk) == "ready"

    record.refresh_from_db()
    assert record.thumbnail.name == first
    assert len(thumbs(media_root)) == 1


def test_a_file_without_previews_is_never_pending(demo, criterion, upload, own_staff):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1528
    record = uploaded(demo, criterion, upload, own_staff, "Công văn.doc", ole).current_file

    assert record.preview == EvidenceFile.Preview.NONE
    assert evidence_preview_make(file_id=record.pk) == ""
    assert not record.preview_pending


def test_a_failed_run_is_retried(demo, criterion, upload, own_staff, monkeypatch, media_root):
    record = uploaded(demo, criterion, upload, own_staff).current_file
    draw = services.make_preview
    calls = []

    def flaky(path, kind):
        calls.append(path)
        if len(calls) == 1:
            raise OSError("storage unreachable")
        return draw(path, kind)

    monkeypatch.setattr(services, "make_preview", flaky)

    result = make_evidence_preview.apply(args=[record.pk])

    assert result.get() == "ready"
    assert len(calls) == 2
    record.refresh_from_db()
    assert record.thumbnail
    assert len(thumbs(media_root)) == 1


def _preview_state(database_url: str, file_id: int) -> tuple[str, str]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            row = db.execute(
                "SELECT preview, thumbnail FROM evidence_evidencefile WHERE id = ?", [file_id]
            ).fetchone()
        db.close()
        return row
    record = EvidenceFile.objects.get(pk=file_id)
    return record.preview, record.thumbnail.name


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_draws_the_preview_once(
    demo, criterion, upload, own_staff, monkeypatch, media_root, tmp_path
):
    # The upload commits without starting the task, as when the broker is down.
    monkeypatch.setattr(services, "_preview_after_commit", lambda file_id: None)
    record = uploaded(demo, criterion, upload, own_staff).current_file
    database_url = worker_database(tmp_path)
    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()  # this test's own database number only
    env = worker_env(database_url, media_root, BROKER, CELERY_RESULT_BACKEND=BROKER)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    # Not the current app: later tests still run their tasks in process.
    sender = Celery(broker=BROKER, backend=BROKER, set_as_current=False)
    try:
        started = time.monotonic()
        for _ in range(2):  # the second run finds the preview drawn
            sent = sender.send_task("evidence.make_preview", args=[record.pk])
            try:
                assert sent.get(timeout=60) == "ready"
            except Exception:
                print(log.read_text())
                raise
        print(f"\nworker: two runs done {time.monotonic() - started:.1f} s after the first send")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        broker.flushdb()
        sender.close()

    preview, thumbnail = _preview_state(database_url, record.pk)
    assert preview == "ready"
    assert [
        path.relative_to(media_root / "evidence").as_posix() for path in thumbs(media_root)
    ] == [thumbnail]


def test_the_command_starts_the_waiting_previews_again(
    demo, criterion, upload, own_staff, media_root
):
    record = uploaded(demo, criterion, upload, own_staff).current_file
    out = StringIO()

    call_command("make_previews", stdout=out)
    call_command("make_previews", stdout=out)

    record.refresh_from_db()
    assert record.preview == EvidenceFile.Preview.READY
    assert out.getvalue().splitlines() == [
        "1 tệp đang chờ ảnh xem trước: đã giao việc tạo ảnh.",
        "0 tệp đang chờ ảnh xem trước: đã giao việc tạo ảnh.",
    ]
    assert len(thumbs(media_root)) == 1


def test_without_a_broker_tasks_run_in_process_and_with_one_they_wait_for_a_worker():
    assert app.conf.task_always_eager  # no CELERY_BROKER_URL here, as with `make run`
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    with_broker = subprocess.run(
        [
            sys.executable,
            "-c",
            "from chinhquyen.celery import app; c = app.conf; "
            "print(c.task_always_eager, c.broker_url, c.worker_pool)",
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CELERY_BROKER_URL": BROKER},
        capture_output=True,
        text=True,
        check=True,
    )
    assert with_broker.stdout.split() == ["False", BROKER, "threads"]
