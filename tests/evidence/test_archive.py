"""The ZIP of all evidence: read back with zipfile, unzip and openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import unicodedata
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Assessment
from evidence.archive import (
    INDEX_COLUMNS,
    INDEX_NAME,
    MAX_NAME_BYTES,
    MISSING,
    archive_entries,
    archive_filename,
    safe_name,
    stream_archive,
)
from evidence.selectors import evidence_links_for_archive
from evidence.services import evidence_delete, evidence_describe, evidence_link, evidence_upload
from jobs.models import Job
from jobs.services import NOT_ALLOWED, Run, job_run, job_start
from tests.audit.conftest import mark, only_entry
from tests.evidence.conftest import image_bytes, pdf_bytes
from tests.queries import at_most

NGHI_DUONG = ["vhxh", "ttpvhcc", "vanphong", "kinhte", "lanhdao", "chutich", "vanthu", "admin"]


def archive_url(demo, query=""):
    return reverse("evidence:archive", args=[demo.assessment.pk]) + query


def criterion(demo, code):
    return demo.assessment.criteria_set.criteria.get(code=code)


def add(demo, upload, code, name, content, by="lanhdao"):
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion(demo, code),
        upload=upload(name, content),
        by=demo.user(by),
    )
    assert outcome.status == "stored", outcome.message
    return outcome.evidence


@pytest.fixture
def files(demo, upload, leader):
    """Three evidence, one of them backing three sub-criteria, plus a deleted one."""
    contents = {
        "report": pdf_bytes(pages=2),
        "photo": image_bytes("JPEG", size=(64, 48)),
        "plan": pdf_bytes(pages=1, width=300),
        "gone": image_bytes("PNG", color=(0, 0, 0)),
    }
    # An NFD name, as macOS sends it: the ZIP must hold the NFC form.
    report = add(
        demo, upload, "2.1.a", unicodedata.normalize("NFD", "Báo cáo quý I.pdf"), contents["report"]
    )
    evidence_describe(
        evidence=report,
        by=leader,
        title="Báo cáo kết quả giải quyết thủ tục hành chính quý I",
        doc_number="25/BC-UBND",
        issue_date=dt.date(2026, 4, 5),
        issuer="UBND xã Nghi Dương",
        location="trang 3, mục II",
    )
    for code in ["2.1.b", "1.1.i"]:
        evidence_link(evidence=report, criterion=criterion(demo, code), by=leader)
    photo = add(demo, upload, "2.1.a", "ảnh một cửa.jpg", contents["photo"], by="ttpvhcc")
    plan = add(demo, upload, "1.1.a", "ke-hoach.pdf", contents["plan"], by="vhxh")
    gone = add(demo, upload, "2.2.a", "xoa.png", contents["gone"])
    evidence_delete(evidence=gone, by=leader)
    return {"report": report, "photo": photo, "plan": plan, "gone": gone, "contents": contents}


def download(client, url) -> tuple[zipfile.ZipFile, bytes, object]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.streaming
    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data)), data, response


def index_rows(archive: zipfile.ZipFile):
    workbook = load_workbook(io.BytesIO(archive.read(INDEX_NAME)))
    return workbook.active, [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_whole_assessment_zip_has_a_folder_per_sub_criterion(
    client, login_as, demo, files, own_staff
):
    login_as(own_staff)
    archive, data, response = download(client, archive_url(demo))
    report_name = "MC-2.1.a-01 Báo cáo quý I.pdf"
    assert archive.namelist() == [
        INDEX_NAME,
        "1.1.a/MC-1.1.a-01 ke-hoach.pdf",
        f"1.1.i/{report_name}",
        f"2.1.a/{report_name}",
        "2.1.a/MC-2.1.a-02 ảnh một cửa.jpg",
        f"2.1.b/{report_name}",
    ]
    contents = files["contents"]
    for name in archive.namelist()[1:]:
        expected = contents["report"] if report_name in name else None
        expected = expected or (contents["plan"] if "ke-hoach" in name else contents["photo"])
        assert archive.read(name) == expected, name
    assert archive.testzip() is None  # every CRC matches
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert all(info.flag_bits & 0x08 for info in archive.infolist())  # data descriptors: streamed
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        'attachment; filename="minh-chung-nghi-duong-2026-6-thang.zip"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response["X-Accel-Buffering"] == "no"


def test_index_sheet_lists_every_file(client, login_as, demo, files, other_staff):
    login_as(other_staff)
    archive, _, _ = download(client, archive_url(demo))
    sheet, rows = index_rows(archive)
    assert rows[0] == [title for title, _ in INDEX_COLUMNS]
    assert rows[0][:3] == ["Mã minh chứng", "Trích yếu", "Số, ký hiệu"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 60
    # One row per file, in the ZIP's order.
    assert [row[7] for row in rows[1:]] == archive.namelist()[1:]
    report = files["report"]
    report.refresh_from_db()
    record = report.current_file
    assert rows[2] == [
        "MC-2.1.a-01",
        "Báo cáo kết quả giải quyết thủ tục hành chính quý I",
        "25/BC-UBND",
        dt.datetime(2026, 4, 5),
        "UBND xã Nghi Dương",
        "trang 3, mục II",
        "1.1.i",
        "1.1.i/MC-2.1.a-01 Báo cáo quý I.pdf",
        record.size,
        record.sha256,
    ]
    assert [row[6] for row in rows[1:]] == ["1.1.a", "1.1.i", "2.1.a", "2.1.a", "2.1.b"]
    assert [row[0] for row in rows[1:]].count("MC-2.2.a-01") == 0  # deleted


def test_one_criterion_zip_holds_only_its_sub_criteria(client, login_as, demo, files, secretary):
    login_as(secretary)
    root = criterion(demo, "1")
    archive, _, response = download(client, archive_url(demo, f"?tieu-chi={root.pk}"))
    # The report belongs to 2.1.a but backs 1.1.i too, so it is in the 1.1.i folder.
    assert archive.namelist() == [
        INDEX_NAME,
        "1.1.a/MC-1.1.a-01 ke-hoach.pdf",
        "1.1.i/MC-2.1.a-01 Báo cáo quý I.pdf",
    ]
    assert len(index_rows(archive)[1]) == 3
    assert response["Content-Disposition"] == (
        'attachment; filename="minh-chung-nghi-duong-2026-6-thang-tieu-chi-1.zip"'
    )
    leaf = criterion(demo, "2.1.b")
    archive, _, _ = download(client, archive_url(demo, f"?tieu-chi={leaf.pk}"))
    assert archive.namelist() == [INDEX_NAME, "2.1.b/MC-2.1.a-01 Báo cáo quý I.pdf"]


def test_unknown_criterion_is_404(client, login_as, demo, files, leader):
    login_as(leader)
    other_set_criterion = 10**6
    for query in [f"?tieu-chi={other_set_criterion}", "?tieu-chi=abc"]:
        assert client.get(archive_url(demo, query)).status_code == 404


def test_empty_assessment_gives_an_index_only(client, login_as, demo, leader):
    login_as(leader)
    archive, _, _ = download(client, archive_url(demo))
    assert archive.namelist() == [INDEX_NAME]
    assert len(index_rows(archive)[1]) == 1


def test_missing_file_is_listed_not_zipped(client, login_as, demo, files, leader):
    record = files["plan"].current_file
    record.file.storage.delete(record.file.name)
    login_as(leader)
    archive, _, _ = download(client, archive_url(demo))
    assert "1.1.a/MC-1.1.a-01 ke-hoach.pdf" not in archive.namelist()
    _, rows = index_rows(archive)
    assert rows[1][0] == "MC-1.1.a-01" and rows[1][7] == f"ke-hoach.pdf {MISSING}"


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
def test_unzip_accepts_the_archive(client, login_as, demo, files, tmp_path, leader):
    login_as(leader)
    _, data, _ = download(client, archive_url(demo))
    path = tmp_path / "mc.zip"
    path.write_bytes(data)
    result = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- streaming ---------------------------------------------------------------------------------


def test_chunks_stay_small_whatever_the_file_size(demo, files, upload):
    big = add(demo, upload, "3.1.a", "video.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(300_000))
    entries = archive_entries(evidence_links_for_archive(demo.assessment))
    chunks = list(stream_archive(entries, chunk_size=4096))
    sizes = [len(chunk) for chunk in chunks[1:]]  # the first holds the index sheet
    assert max(sizes) <= 4096 + 512  # a chunk plus one entry's headers, never a whole file
    assert len(sizes) > 300_000 // 4096
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read(f"3.1.a/{big.code} video.mp4") == big.current_file.file.open("rb").read()
    # Local headers carry ZIP64 sizes, so files over 4 GB fit.
    assert archive.getinfo(f"3.1.a/{big.code} video.mp4").extract_version >= 45


def test_stopping_early_raises_nothing(demo, files):
    entries = archive_entries(evidence_links_for_archive(demo.assessment))
    stream = stream_archive(entries, chunk_size=256)
    next(stream), next(stream), next(stream)
    stream.close()


def test_names_are_safe():
    assert safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert safe_name('a\\b/c:d*e?f"g<h>i|j\x00k.pdf') == "a_b_c_d_e_f_g_h_i_j_k.pdf"
    assert safe_name(unicodedata.normalize("NFD", "Quyết định.pdf")) == "Quyết định.pdf"
    assert safe_name("  . ") == "tệp"
    long = safe_name("Báo cáo " * 60 + ".docx")
    assert long.endswith(".docx") and len(long.encode()) <= MAX_NAME_BYTES


def test_archive_filename_folds_vietnamese(demo):
    assessment = demo.assessment
    assert archive_filename(assessment) == "minh-chung-nghi-duong-2026-6-thang.zip"
    assessment.period = Assessment.Period.FULL_YEAR
    assessment.commune.name = "Đường Lâm"
    assert archive_filename(assessment, criterion(demo, "2")) == (
        "minh-chung-duong-lam-2026-ca-nam-tieu-chi-2.zip"
    )


# -- who may download ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", NGHI_DUONG)
def test_every_member_of_the_commune_may_download_everything(
    client, login_as, demo, files, username
):
    login_as(username)
    archive, _, _ = download(client, archive_url(demo))
    assert len(archive.namelist()) == 6


@pytest.mark.parametrize("username", ["anlao_lanhdao", "anlao_vhxh"])
def test_other_communes_get_404(client, login_as, demo, files, username):
    login_as(username)
    assert client.get(archive_url(demo)).status_code == 404


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get(archive_url(demo))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


ARCHIVE = "criterion 2, session, user, membership, assessment, criteria, assignments, scores, units, links; audit record (3-5)"


def test_query_count_does_not_grow(client, login_as, demo, upload, leader):
    login_as(leader)
    codes = ["1.1.a", "1.1.b", "2.1.a", "3.1.a"]

    def make(start, count):
        for i in range(start, start + count):
            evidence = add(
                demo, upload, codes[i % 4], f"{i}.png", image_bytes("PNG", color=(i, 1, 1))
            )
            evidence_link(evidence=evidence, criterion=criterion(demo, "2.3"), by=leader)

    def queries():
        # Expect at most 15 queries: the test's look-up of criterion 2; session, user,
        # membership, assessment, criteria, assignments, supporting units, the scores (the
        # tree's status column), the links with their evidence and files (10 in all); the audit
        # record (3, or 5 on PostgreSQL).
        with at_most(15, ARCHIVE) as captured:
            archive, _, _ = download(
                client, archive_url(demo, f"?tieu-chi={criterion(demo, '2').pk}")
            )
        # The audit trail's record of the download is counted apart: lock the chain head, add
        # the entry, move the head (PostgreSQL first settles the deferred checks: 2 more).
        audit = sum(
            "audit_" in q["sql"] or q["sql"].startswith("SET CONSTRAINTS") for q in captured
        )
        assert audit == (5 if connection.vendor == "postgresql" else 3)
        return len(captured) - audit, archive

    make(0, 3)
    few, _ = queries()
    make(3, 27)
    many, archive = queries()
    assert many == few == 10  # the tree reads the scores (status column)
    assert sum(name.startswith("2.3/") for name in archive.namelist()) == 30


# -- a large selection: written by the worker -------------------------------------------------


def zipped_members(archive: zipfile.ZipFile) -> dict[str, object]:
    """What a ZIP holds: each file's bytes, and the index sheet's rows (its own bytes carry
    the moment it was written)."""
    held: dict[str, object] = {n: archive.read(n) for n in archive.namelist() if n != INDEX_NAME}
    held[INDEX_NAME] = index_rows(archive)[1]
    return held


def test_a_large_selection_is_zipped_by_a_job_equal_to_the_streamed_one(
    client, login_as, demo, files, leader, settings, django_capture_on_commit_callbacks
):
    login_as(leader)
    root = criterion(demo, "2")
    url = archive_url(demo, f"?tieu-chi={root.pk}")
    streamed, _, _ = download(client, url)
    settings.EVIDENCE_ZIP_IN_REQUEST_MAX_FILES = 0  # every selection is "large"
    start = mark()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url)
    job = Job.objects.get(kind="evidence.archive")
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.DONE and job.progress == 100 and job.partial == []
    assert job.params["back"] == reverse("evidence:overview", args=[demo.assessment.pk]) + (
        f"?tieu-chi={root.pk}"
    )
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Tải về minh-chung-nghi-duong-2026-6-thang-tieu-chi-2.zip" in page
    download_ = client.get(reverse("jobs:download", args=[job.pk]))
    assert download_["Content-Disposition"] == (
        'attachment; filename="minh-chung-nghi-duong-2026-6-thang-tieu-chi-2.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download_.streaming_content)))
    assert archive.testzip() is None
    assert archive.namelist() == streamed.namelist()
    assert zipped_members(archive) == zipped_members(streamed)
    # Recorded as the person's download, as in the request.
    entry = only_entry(start)
    assert (entry.action, entry.username) == ("export", "lanhdao")
    assert (
        entry.summary
        == "Tải ZIP minh chứng minh-chung-nghi-duong-2026-6-thang-tieu-chi-2.zip (3 tệp)"
    )


def test_the_size_threshold_also_sends_to_a_job(
    client, login_as, demo, files, leader, settings, django_capture_on_commit_callbacks
):
    login_as(leader)
    settings.EVIDENCE_ZIP_IN_REQUEST_MAX_BYTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(archive_url(demo))
    job = Job.objects.get(kind="evidence.archive")
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.DONE, job.error
    with job.result_file.open("rb") as handle:
        assert len(zipfile.ZipFile(handle).namelist()) == 6  # the index and 5 files


def test_a_small_selection_is_streamed_from_the_pages_post(client, login_as, demo, files, leader):
    login_as(leader)
    response = client.post(archive_url(demo))
    assert response.streaming and not Job.objects.exists()


def test_a_large_selection_opened_with_get_starts_nothing(
    client, login_as, demo, files, leader, settings
):
    login_as(leader)
    settings.EVIDENCE_ZIP_IN_REQUEST_MAX_FILES = 0
    response = client.get(archive_url(demo))
    assert response["Location"] == reverse("evidence:overview", args=[demo.assessment.pk])
    assert not Job.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "tệp ZIP được chuẩn bị trên máy chủ" in page
    assert f'<form method="post" action="{archive_url(demo)}">' in page


def test_the_job_reports_its_progress_per_file(
    demo, files, leader, settings, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []
    real = Run.progress
    monkeypatch.setattr(
        Run, "progress", lambda run, pct, step="": (seen.append((pct, step)), real(run, pct, step))
    )
    with django_capture_on_commit_callbacks(execute=True):
        job_start(
            kind="evidence.archive",
            user=leader,
            title="Nén minh chứng",
            params={"assessment": demo.assessment.pk, "criterion": None, "criterion_ids": None},
        )
    steps = [step for _, step in seen if step.startswith("Đang nén tệp")]
    assert steps == [f"Đang nén tệp {n}/5" for n in range(1, 6)]
    percents = [pct for pct, _ in seen]
    assert percents == sorted(percents) and percents[-1] < 100
    assert Job.objects.get().state == Job.State.DONE


def test_a_person_who_left_the_commune_before_the_job_ran_gets_no_zip(demo, files, own_staff):
    job = job_start(
        kind="evidence.archive",
        user=own_staff,
        title="Nén minh chứng",
        params={"assessment": demo.assessment.pk, "criterion": None, "criterion_ids": None},
    )
    own_staff.membership.delete()  # after the page checked, before the worker ran
    assert job_run(str(job.pk)) == "refused"
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.error == NOT_ALLOWED
    assert not job.result_file
