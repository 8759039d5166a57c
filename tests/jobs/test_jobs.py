"""Jobs (jobs/): started by a person, run at the commit without a broker (in the worker with
one: tests/ops/test_worker.py), idempotent, their result seen by that person only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import Http404
from django.urls import reverse

from jobs.models import Job
from jobs.registry import KINDS
from jobs.services import FAILED_MESSAGE, NOT_ALLOWED, Run, job_run, job_start

pytestmark = pytest.mark.django_db
CALLS: list[str] = []


@pytest.fixture(autouse=True)
def kinds():
    """Job kinds of these tests only."""

    def export(run: Run) -> None:
        CALLS.append("export")
        run.progress(50, "Đang ghi tệp")
        run.save_result(b"a;b\n1;2\n", "bang-diem.csv")

    def page(run: Run) -> None:
        CALLS.append("page")
        run.finish(url="/trang-ket-qua/", note="Đã lập xong.")

    def refused(run: Run) -> None:
        raise ValidationError("Chưa ký số đủ.")

    def forbidden(run: Run) -> None:
        CALLS.append("forbidden")
        raise PermissionDenied("Chỉ văn thư được lập hồ sơ.")

    def gone(run: Run) -> None:
        CALLS.append("gone")
        raise Http404("No Round matches the given query.")

    def broken(run: Run) -> None:
        CALLS.append("broken")
        name = run.track("documents", "jobs/half.zip")
        storages["documents"].save(name, ContentFile(b"PK half"))
        raise OSError("disk full")

    added = {
        "t.export": export,
        "t.page": page,
        "t.refused": refused,
        "t.forbidden": forbidden,
        "t.gone": gone,
        "t.broken": broken,
    }
    KINDS.update(added)
    CALLS.clear()
    yield
    for name in added:
        KINDS.pop(name)


@pytest.fixture
def person():
    return get_user_model().objects.create_user("vanthu", password="x")


def start(kind: str, user, key: str = "", capture=None) -> Job:
    with capture(execute=True):
        job = job_start(kind=kind, user=user, title="Xuất bảng điểm", params={}, key=key)
    job.refresh_from_db()
    return job


def test_a_job_runs_at_the_commit_without_a_broker(
    client, person, django_capture_on_commit_callbacks
):
    job = start("t.export", person, capture=django_capture_on_commit_callbacks)
    assert job.state == Job.State.DONE and job.progress == 100 and job.partial == []
    client.force_login(person)
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert "Tải về bang-diem.csv" in page.content.decode()
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert b"".join(download.streaming_content) == b"a;b\n1;2\n"
    assert 'filename="bang-diem.csv"' in download["Content-Disposition"]


def test_nobody_else_sees_a_job_or_its_file(client, person, django_capture_on_commit_callbacks):
    job = start("t.export", person, capture=django_capture_on_commit_callbacks)
    other = get_user_model().objects.create_user("khac", password="x", is_superuser=True)
    client.force_login(other)
    for name in ("jobs:detail", "jobs:progress", "jobs:download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_a_page_result_is_where_the_person_is_sent(
    client, person, django_capture_on_commit_callbacks
):
    job = start("t.page", person, capture=django_capture_on_commit_callbacks)
    client.force_login(person)
    response = client.get(reverse("jobs:detail", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == "/trang-ket-qua/"
    polled = client.get(reverse("jobs:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert polled["HX-Redirect"] == "/trang-ket-qua/"


def test_a_running_job_shows_its_progress_and_is_polled(client, person):
    job = Job.objects.create(
        kind="t.export",
        user=person,
        title="Lập hồ sơ",
        state="running",
        progress=40,
        step="Đang nén minh chứng",
    )
    client.force_login(person)
    html = client.get(reverse("jobs:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = html.content.decode()
    assert 'aria-valuenow="40"' in text and "Đang nén minh chứng" in text
    assert 'hx-trigger="every 1s"' in text


def test_the_same_key_while_running_gives_the_same_job(person):
    first = job_start(kind="t.export", user=person, title="x", params={}, key="ho-so:1")
    again = job_start(kind="t.export", user=person, title="x", params={}, key="ho-so:1")
    assert again.pk == first.pk and Job.objects.count() == 1


def test_a_refusal_is_shown_in_vietnamese_and_not_retried(
    client, person, django_capture_on_commit_callbacks
):
    job = start("t.refused", person, capture=django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED and job.error == "Chưa ký số đủ."
    client.force_login(person)
    assert "Chưa ký số đủ." in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()


def test_a_role_lost_since_the_start_is_a_refusal_not_retried(
    person, django_capture_on_commit_callbacks
):
    job = start("t.forbidden", person, capture=django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED and job.error == "Chỉ văn thư được lập hồ sơ."
    assert CALLS == ["forbidden"] and job.attempts == 1


def test_access_lost_to_a_404_is_refused_in_vietnamese_not_retried(
    person, django_capture_on_commit_callbacks
):
    job = start("t.gone", person, capture=django_capture_on_commit_callbacks)
    assert CALLS == ["gone"] and job.attempts == 1
    assert job.state == Job.State.FAILED and job.error == NOT_ALLOWED


def test_an_error_is_retried_then_fails_leaving_no_half_file(
    person, django_capture_on_commit_callbacks
):
    job = start("t.broken", person, capture=django_capture_on_commit_callbacks)
    assert CALLS.count("broken") == 4  # the first attempt and three retries
    assert job.state == Job.State.FAILED and job.error == FAILED_MESSAGE
    assert job.attempts == 4 and job.partial == []
    assert not storages["documents"].exists("jobs/half.zip")


def test_a_killed_attempt_is_cleaned_up_and_the_job_finishes_once(person):
    """As after a worker was killed half-way: the job is "running" with a file begun."""
    storages["documents"].save("jobs/killed.zip", ContentFile(b"PK half"))
    job = Job.objects.create(
        kind="t.page",
        user=person,
        title="x",
        state="running",
        attempts=1,
        partial=[["documents", "jobs/killed.zip"]],
    )
    assert job_run(str(job.pk)) == "done"
    assert not storages["documents"].exists("jobs/killed.zip")
    assert job_run(str(job.pk)) == "skipped"  # a redelivered task does nothing
    assert CALLS == ["page"]
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
