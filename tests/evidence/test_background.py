"""Without a broker, an upload answers before its thumbnail is drawn (jobs/background.py):
the preview task runs after the response in this process's background threads, at most
BACKGROUND_THREADS at a time. The other tests draw previews in the request (tests/settings.py).

These tests commit for real: the background thread reads the upload through its own
database connection."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from criteria.models import Criterion
from evidence import services
from evidence.models import EvidenceFile
from jobs import background
from tests.evidence.conftest import image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def criterion(demo):
    return Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")


@pytest.fixture
def threads(settings):
    settings.BACKGROUND_THREADS = 1
    yield
    assert background.drain(timeout=30), "a background task was still running"


@pytest.fixture
def held(monkeypatch):
    """Previews that wait until the test opens `held["gate"]`; `held["drawing"]` counts those
    drawing now and `held["most"]` the most that ever drew at once."""
    draw = services.make_preview
    gate = threading.Event()
    lock = threading.Lock()
    state = {"drawing": 0, "most": 0, "started": threading.Event()}

    def waiting(path, kind):
        with lock:
            state["drawing"] += 1
            state["most"] = max(state["most"], state["drawing"])
        state["started"].set()
        try:
            gate.wait(timeout=20)
            return draw(path, kind)
        finally:
            with lock:
                state["drawing"] -= 1

    monkeypatch.setattr(services, "make_preview", waiting)
    state["gate"] = gate
    yield state
    gate.set()  # a test that failed midway must not leave a thread waiting


def post_upload(client, demo, criterion, upload, name, red=200):
    path = reverse("evidence:upload", args=[demo.assessment.pk, criterion.pk])
    data = image_bytes("PNG", color=(red, 30, 30))
    response = client.post(path, {"files": [upload(name, data)]}, **JSON)
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "stored", result
    assert "warning" not in result  # the preview's outcome is not known yet
    return EvidenceFile.objects.get(evidence_id=result["id"])


def test_the_upload_answers_before_its_thumbnail_is_drawn(
    client, demo, login_as, criterion, upload, own_staff, media_root, threads, held
):
    login_as(own_staff)

    record = post_upload(client, demo, criterion, upload, "Ảnh hội nghị.png")

    assert held["started"].wait(timeout=10), "the preview task never started"
    # The answer came while its preview was still being drawn (held until the gate opens).
    assert held["drawing"] == 1
    assert record.preview == EvidenceFile.Preview.PENDING
    page = client.get(reverse("evidence:detail", args=[demo.assessment.pk, record.evidence_id]))
    assert "Đang tạo hình xem trước" in page.content.decode()

    held["gate"].set()
    assert background.drain(timeout=30)

    record.refresh_from_db()
    assert record.preview == EvidenceFile.Preview.READY
    assert [p for p in stored_files(media_root) if p.parent.name == "thumbs"]
    drawn = client.get(reverse("evidence:detail", args=[demo.assessment.pk, record.evidence_id]))
    assert "Đang tạo hình xem trước" not in drawn.content.decode()


def test_no_more_previews_are_drawn_at_once_than_the_threads(
    client, demo, login_as, criterion, upload, own_staff, media_root, threads, held
):
    login_as(own_staff)

    records = [
        post_upload(client, demo, criterion, upload, f"Ảnh {i}.png", red=40 * i) for i in range(3)
    ]
    assert held["started"].wait(timeout=10)
    time.sleep(0.3)  # time for a second thread, were there one, to start drawing
    held["gate"].set()
    assert background.drain(timeout=60)

    assert held["most"] == 1
    for record in records:
        record.refresh_from_db()
        assert record.preview == EvidenceFile.Preview.READY


def test_a_failed_background_preview_stays_pending_for_make_previews(
    client, demo, login_as, criterion, upload, own_staff, media_root, threads, monkeypatch
):
    def broken_store(path, kind):
        raise OSError("storage unreachable")

    monkeypatch.setattr(services, "make_preview", broken_store)
    monkeypatch.setattr("evidence.tasks.make_evidence_preview.max_retries", 0)
    login_as(own_staff)

    record = post_upload(client, demo, criterion, upload, "Ảnh.png")
    assert background.drain(timeout=30)

    record.refresh_from_db()
    assert record.preview == EvidenceFile.Preview.PENDING
    assert not record.thumbnail
