"""STORAGE_S3_* in the environment put the two private storages in the bucket, each under its
own prefix; without them the files stay on local disk."""

from __future__ import annotations

from tests.storage.conftest import ACCESS_KEY, REGION, SECRET_KEY
from tests.test_settings import manage, setting


def test_without_a_bucket_the_files_stay_on_local_disk():
    storages = setting("STORAGES", DJANGO_DEBUG="1")
    assert "'guards.storage.PrivateStorage'" in storages
    assert "PrivateS3Storage" not in storages


def test_the_environment_puts_evidence_and_documents_in_the_bucket(s3_storage, s3_server):
    code = (
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import storages\n"
        "for alias in ('evidence', 'documents'):\n"
        "    store = storages[alias]\n"
        "    name = store.save('1/tep', ContentFile(alias.encode()))\n"
        "    assert store.open(name).read() == alias.encode()\n"
        "    try:\n"
        "        store.url(name)\n"
        "    except ValueError:\n"
        "        print(type(store).__name__, alias, 'no url')\n"
    )
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DJANGO_DEBUG="1",
        STORAGE_S3_BUCKET=s3_storage.bucket,
        STORAGE_S3_ENDPOINT_URL=s3_server,
        STORAGE_S3_ACCESS_KEY_ID=ACCESS_KEY,
        STORAGE_S3_SECRET_ACCESS_KEY=SECRET_KEY,
        STORAGE_S3_REGION=REGION,
        STORAGE_S3_PREFIX="/portal/",
        STORAGE_S3_ADDRESSING_STYLE="path",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [
        "PrivateS3Storage evidence no url",
        "PrivateS3Storage documents no url",
    ]
    assert s3_storage.objects() == ["portal/documents/1/tep", "portal/evidence/1/tep"]
    assert s3_storage.read("portal/evidence/1/tep") == b"evidence"
