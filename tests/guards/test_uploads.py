"""Files are accepted only where a view says so; elsewhere a large body is refused unread."""

import os
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guards.uploads import sweep_temp


def test_login_page_refuses_a_large_body_before_reading_it(client, db):
    response = client.generic(
        "POST",
        reverse("login"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(900 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert "không nhận tệp tải lên" in response.content.decode()


def test_a_file_sent_where_none_is_expected_is_never_written(client, db, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # would spool to disk if a handler took it

    response = client.post(
        reverse("login"),
        {"username": "x", "password": "y", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4" * 1000)},
    )

    assert response.status_code in (200, 403)
    assert list(tmp_path.iterdir()) == []


def test_upload_endpoint_is_not_open_to_anonymous_visitors(client, demo):
    criterion = demo.assessment.assignments.first().criterion
    url = reverse("evidence:upload", args=[demo.assessment.pk, criterion.pk])

    response = client.generic(
        "POST",
        url,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(40 * 1024 * 1024),
    )

    assert response.status_code == 413


def test_sweep_removes_only_old_temp_files(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    old, new = tmp_path / "old.upload", tmp_path / "new.upload"
    old.write_bytes(b"x")
    new.write_bytes(b"y")

    os.utime(old, (time.time() - 7200, time.time() - 7200))

    removed = sweep_temp(max_age=3600)

    assert removed == [old]
    assert new.exists()
