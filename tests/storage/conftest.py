"""A real S3 API server for the storage tests: moto's standalone server (`python -m
moto.server`) started once per session on a free port, and `s3_storage`, which points the
"evidence" and "documents" storages at a fresh bucket of it for one test. boto3 talks HTTP to
that server exactly as it would to MinIO or AWS; nothing in boto3 is mocked."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from django.apps import apps
from django.core.files.storage import storages
from django.db.models import FileField

from guards.storage import DOCUMENTS, EVIDENCE, get_document_storage, get_evidence_storage

# The issued report, signed, and the people of the demo (tests/reports/conftest.py).
from tests.reports.conftest import draft, issued, keys, signed  # noqa: F401

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server running in its own process."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The moto S3 server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class S3:
    """The bucket of one test, and a boto3 client to look into it."""

    bucket: str
    client: Any

    def objects(self, prefix: str = "") -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())


def _file_fields() -> list[tuple[FileField, str]]:
    fields = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField):
                alias = {get_evidence_storage: EVIDENCE, get_document_storage: DOCUMENTS}.get(
                    getattr(field, "_storage_callable", None)
                )
                if alias:
                    fields.append((field, alias))
    return fields


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch) -> Iterator[S3]:
    """The evidence and documents storages in a fresh bucket, configured as
    chinhquyen/settings.py does with STORAGE_S3_* (prefix "cqtt"); the bucket is emptied and
    removed afterwards."""
    bucket = f"cqtt-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": s3_server,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "region_name": REGION,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            alias: {
                "BACKEND": "guards.storage.PrivateS3Storage",
                "OPTIONS": {**options, "location": f"cqtt/{alias}"},
            }
            for alias in (EVIDENCE, DOCUMENTS)
        },
    }
    # A FileField keeps the storage it got when the model was defined: point it at the new one.
    for field, alias in _file_fields():
        monkeypatch.setattr(field, "storage", storages[alias])
    yield S3(bucket=bucket, client=client)
    for key in S3(bucket, client).objects():
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)
