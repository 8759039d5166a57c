"""Evidence and issued documents in an S3 bucket (a real S3 API server, tests/storage/
conftest.py): what is uploaded lands in the bucket, what is downloaded, zipped, verified or
thumbnailed is read back from it, and a failed write leaves no object behind."""

from __future__ import annotations

import hashlib
import io
import random
import runpy
import threading
import zipfile
from pathlib import Path

import botocore.loaders
import pytest
from celery.signals import worker_process_init
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from criteria.models import Criterion
from evidence import services
from evidence.services import evidence_upload
from guards import storage
from guards.storage import S3Stream
from guards.zipstream import StreamedFile
from reports.models import Dossier, IssuedFile
from reports.services import dossier as dossier_service
from reports.services.dossier import dossier_build
from reports.services.issuing import current_file
from reports.services.verifying import Verdict, document_verify, issued_file_checks
from tests.evidence.conftest import image_bytes, pdf_bytes


def upload(demo, name: str, data: bytes, *, code: str = "2.2.e", by: str = "vhxh"):
    """Upload as a request does, its commit included: the preview is drawn then (a task)."""
    criterion = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code=code)
    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = evidence_upload(
            assessment=demo.assessment,
            criterion=criterion,
            upload=SimpleUploadedFile(name, data),
            by=demo.user(by),
        )
    assert outcome.status == "stored", outcome.message
    outcome.evidence.refresh_from_db()
    return outcome.evidence


def test_an_upload_lands_in_the_bucket_and_downloads_through_the_checked_view(
    s3_storage, demo, client, login_as, outsider
):
    data = pdf_bytes(pages=3)
    evidence = upload(demo, "Biên bản họp.pdf", data)
    record = evidence.current_file
    key = f"cqtt/evidence/{record.file.name}"
    assert key in s3_storage.objects("cqtt/evidence/")
    assert s3_storage.read(key) == data
    grants = s3_storage.client.get_object_acl(Bucket=s3_storage.bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers group
    assert isinstance(record.file.storage.open(record.file.name), S3Stream)
    with pytest.raises(ValueError, match="no public URL"):
        record.file.url  # noqa: B018

    download = reverse("evidence:download", args=[demo.assessment.pk, record.pk])
    login_as("vhxh")
    response = client.get(download + "?xem=1")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"].startswith("inline")  # scanned from a local copy
    assert b"".join(response.streaming_content) == data

    login_as(outsider)
    assert client.get(download).status_code == 404


def test_a_large_download_is_read_from_the_store_in_chunks(s3_storage, demo, client, login_as):
    noise = Image.frombytes("RGB", (1000, 1000), random.Random(15).randbytes(3_000_000))
    out = io.BytesIO()
    noise.save(out, "PNG")  # 3 MB that do not compress: several reads of the stream
    data = out.getvalue()
    evidence = upload(demo, "Ảnh chụp.png", data)
    login_as("vhxh")
    response = client.get(
        reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id])
    )
    chunks = list(response.streaming_content)
    assert len(chunks) > 1
    assert b"".join(chunks) == data


def test_thumbnails_are_stored_in_and_sent_from_the_bucket(s3_storage, demo, client, login_as):
    evidence = upload(demo, "Ảnh.png", image_bytes("PNG", size=(400, 300)))
    record = evidence.current_file
    assert f"cqtt/evidence/{record.thumbnail.name}" in s3_storage.objects()
    login_as("vhxh")
    response = client.get(reverse("evidence:thumbnail", args=[demo.assessment.pk, record.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


def test_the_evidence_zip_is_built_from_the_bucket(s3_storage, demo, client, login_as):
    contents = {"Kế hoạch.pdf": pdf_bytes(pages=2), "Ảnh.jpg": image_bytes("JPEG")}
    for name, data in contents.items():
        upload(demo, name, data)
    login_as("lanhdao")
    response = client.get(reverse("evidence:archive", args=[demo.assessment.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    found = {
        name.rsplit(" ", 1)[-1]: archive.read(name)
        for name in archive.namelist()
        if name.endswith((".pdf", ".jpg"))
    }
    assert found == {name.rsplit(" ", 1)[-1]: data for name, data in contents.items()}


def test_issuing_and_signing_store_the_files_in_the_bucket_and_they_verify(
    s3_storage, signed, demo_scored, client, login_as, secretary
):
    keys = s3_storage.objects("cqtt/documents/")
    for record in IssuedFile.objects.filter(report=signed):
        assert f"cqtt/documents/{record.file.name}" in keys
    report = current_file(signed, IssuedFile.Kind.REPORT)
    assert hashlib.sha256(s3_storage.read(f"cqtt/documents/{report.file.name}")).hexdigest() == (
        report.sha256
    )
    checked, boxes = issued_file_checks(report)  # copied to a temporary file, then checked
    assert checked.status == "ok" and len(checked.checks) == 2
    assert all(check.intact and check.valid for check in checked.checks)
    assert document_verify(report.file)["verdict"] == Verdict.TEST

    # The dossier: written into the bucket in parts, read back whole through the view.
    dossier = dossier_build(report=signed, by=secretary)
    assert f"cqtt/documents/{dossier.file.name}" in s3_storage.objects()
    login_as(secretary)
    response = client.get(
        reverse("reports:dossier_download", args=[demo_scored.assessment.pk, signed.pk, dossier.pk])
    )
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == dossier.sha256 and len(data) == dossier.size
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.read("01-bao-cao-so-01.pdf") == report.read()


def test_a_dossier_that_fails_half_way_leaves_no_object(s3_storage, signed, secretary, monkeypatch):
    before = s3_storage.objects()

    def broken_members(entries):
        yield from ()
        raise OSError("disk full")

    monkeypatch.setattr(dossier_service, "archive_members", broken_members)
    with pytest.raises(OSError, match="disk full"):
        dossier_build(report=signed, by=secretary)
    assert s3_storage.objects() == before
    assert not Dossier.objects.filter(report=signed).exists()


def test_a_failed_upload_removes_the_objects_it_stored(s3_storage, demo, monkeypatch):
    def broken_event(*args, **kwargs):
        # The image is in the bucket (its preview is drawn after the commit, which never comes).
        assert len(s3_storage.objects()) == 1
        raise OSError("database gone")

    monkeypatch.setattr(services, "_audit", broken_event)
    with pytest.raises(OSError, match="database gone"):
        upload(demo, "Ảnh.png", image_bytes("PNG"))
    assert s3_storage.objects() == []


def test_a_stream_of_unknown_length_is_uploaded_in_parts(s3_storage):
    """As the dossier ZIP: 20 MB of chunks become one object of three 8 MB parts."""
    block = random.Random(2).randbytes(1024 * 1024)
    content = StreamedFile((block for _ in range(20)), "dossier.zip")
    store = storages["documents"]
    name = store.save("ho-so/dossier.zip", content)
    key = f"cqtt/documents/{name}"
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key=key)
    assert head["ContentLength"] == 20 * len(block) == content.written
    assert head["ETag"].endswith('-3"')  # a multipart upload's ETag counts its parts
    with store.open(name) as handle:
        assert hashlib.file_digest(handle, "sha256").hexdigest() == content.digest.hexdigest()
        handle.seek(len(block) * 19 + 5)  # a ranged read from the middle
        assert handle.read(10) == block[5:15]


def test_uploads_to_the_store_start_no_thread(s3_storage, demo, monkeypatch):
    """boto3 would start a pool of threads for every upload, a one-part file too: under a
    storm of uploads the server made and dropped threads by the hundred and kept the memory
    they had spread allocations over. Each upload is sent by the request's own thread, the
    evidence file and a multi-part stream (the dossier ZIP) alike."""
    started = []
    start = threading.Thread.start

    def counted(thread):
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    upload(demo, "Kế hoạch.pdf", pdf_bytes())
    block = random.Random(3).randbytes(1024 * 1024)
    storages["documents"].save(
        "ho-so/dossier.zip", StreamedFile((block for _ in range(10)), "dossier.zip")
    )

    assert started == []
    assert len(s3_storage.objects("cqtt/evidence/")) == 2  # the file and its preview
    assert s3_storage.objects("cqtt/documents/") == ["cqtt/documents/ho-so/dossier.zip"]


def test_request_threads_share_one_copy_of_the_s3_model(s3_storage):
    """Each thread gets its own S3 resource (django-storages: resources are not thread-safe),
    but not its own parse of botocore's S3 description (13 MB each: a storm that woke every
    request thread of a node kept them all)."""
    store = storages["evidence"]
    clients = []

    def connect() -> None:
        clients.append(store.connection.meta.client)

    threads = [threading.Thread(target=connect) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(client) for client in clients}) == 3
    assert len({id(client._loader) for client in clients}) == 1
    assert store.exists("nothing-here") is False  # and each still talks to the store


def test_a_server_process_reads_the_s3_model_before_its_first_request(s3_storage, monkeypatch):
    """gunicorn's post_worker_init and the Celery worker's process init call `warm_up`: the
    request thread that uploads first then reads no service description (about 185 ms of
    CPU on the cluster's first upload of every worker), it only makes its own resource."""
    monkeypatch.setattr(storage, "_loader", None)
    storage.warm_up()
    assert storage._loader is not None
    read: list[str] = []
    load_file = botocore.loaders.JSONFileLoader.load_file

    def spy(self, file_path):  # type: ignore[no-untyped-def]
        read.append(file_path)
        return load_file(self, file_path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", spy)
    thread = threading.Thread(target=lambda: storages["evidence"].exists("nothing-here"))
    thread.start()
    thread.join()
    assert read == []


def test_the_servers_warm_up_the_store_when_a_process_starts(monkeypatch):
    """The hooks that call `warm_up`: gunicorn's configuration and the Celery application."""
    called: list[str] = []
    monkeypatch.setattr(storage, "warm_up", lambda: called.append("warm_up"))
    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    config["post_worker_init"](None)
    worker_process_init.send(sender=None)
    assert called == ["warm_up", "warm_up"]


def test_a_file_named_by_a_random_uuid_is_not_looked_up_before_it_is_written(s3_storage, demo):
    """Evidence files and thumbnails are named by a fresh uuid4: no HEAD request asks whether
    the name is taken before the PUT (one round trip to the store less per file)."""
    calls: list[tuple[str, str]] = []

    def record(model, params, **kwargs):
        calls.append((model.name, params.get("Key", "")))

    events = storages[storage.EVIDENCE].connection.meta.client.meta.events
    events.register("before-parameter-build.s3", record)
    try:
        evidence = upload(demo, "Ảnh.png", image_bytes("PNG"))
    finally:
        events.unregister("before-parameter-build.s3", record)
    stored = evidence.current_file
    written = [key for name, key in calls if name == "PutObject"]
    assert written == [
        f"cqtt/evidence/{stored.file.name}",
        f"cqtt/evidence/{stored.thumbnail.name}",
    ]
    for key in written:
        before = calls[: calls.index(("PutObject", key))]
        assert ("HeadObject", key) not in before


def test_a_name_of_the_portals_own_choosing_still_gets_a_suffix_when_taken(s3_storage):
    store = storages[storage.DOCUMENTS]
    first = store.save("ho-so/ho-so.zip", io.BytesIO(b"1"))
    second = store.save("ho-so/ho-so.zip", io.BytesIO(b"2"))
    assert first == "ho-so/ho-so.zip" and second != first
    assert store.open(first).read() == b"1" and store.open(second).read() == b"2"
