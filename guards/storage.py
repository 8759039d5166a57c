"""The portal's private file storages, and cleaning up after a write that failed.

Evidence files and issued documents live in storages configured in Django's `STORAGES`
under the aliases "evidence" and "documents". By default both are `PrivateStorage`: a folder
under MEDIA_ROOT that no URL points at, so files are only sent by the permission-checked
views. With STORAGE_S3_BUCKET set (chinhquyen/settings.py) both are `PrivateS3Storage`: a
private prefix of an S3-compatible bucket, read as a stream (`S3Stream`) so that downloads,
ZIPs and hashes go through the portal a chunk at a time. Code that truly needs a path on disk
(a scanner in a child process) asks `local_path`, which copies a remote file in chunks.

Models give FileField the `get_*_storage` callables rather than an instance, so migrations
name a function instead of freezing the MEDIA_ROOT of whoever ran makemigrations.
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db.models.fields.files import FieldFile
from django.utils.functional import cached_property
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from guards.uploads import temp_dir

log = logging.getLogger(__name__)

MB = 1024 * 1024
EVIDENCE = "evidence"
DOCUMENTS = "documents"


class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT/<folder>, a folder no URL points at. The folder follows MEDIA_ROOT when a
    setting changes (tests), because FileSystemStorage clears `base_location` on the
    setting_changed signal."""

    def __init__(self, folder: str, **kwargs: Any) -> None:
        self.folder = folder
        super().__init__(**kwargs)

    @cached_property
    def base_location(self) -> str:
        return os.path.join(settings.MEDIA_ROOT, self.folder)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; they are sent by checked views.")


def _bounded_transfers() -> TransferConfig:
    """Uploads in the calling thread, in parts of 8 MB sent one after the other: a dossier
    ZIP, whose size is not known in advance, holds one part in memory. (boto3's default
    starts a pool of threads for every upload, even a one-part file: under a storm of
    uploads the server then made and dropped threads by the hundred, and kept the memory
    their allocations had spread over; one part at a time still fills a LAN link.)"""
    return TransferConfig(multipart_chunksize=8 * MB, use_threads=False)


_loader: botocore.loaders.Loader | None = None
_loader_lock = threading.Lock()


def _shared_loader() -> botocore.loaders.Loader:
    """One reader of botocore's service descriptions per process: each session would parse the
    S3 model anew (about 13 MB) and django-storages makes a session for every thread."""
    global _loader
    with _loader_lock:
        if _loader is None:
            _loader = botocore.loaders.create_loader()
        return _loader


#: The last part of a name the portal made from a fresh random UUID (uuid4().hex, perhaps
#: with an extension): evidence files, their thumbnails, issued documents.
RANDOM_NAME = re.compile(r"[0-9a-f]{32}(?:\.[0-9a-z]{1,8})?")


class PrivateS3Storage(S3Storage):
    """A private key prefix (`location`) of an S3-compatible bucket. Objects are written with
    the private ACL and never get a URL: the permission-checked views stream them. Names are
    never overwritten (as on disk, a taken name gets a suffix); requests are signed with v4."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """A taken name gets a suffix, as on disk, which costs a HEAD request to the store
        before each write; a name the portal made from a fresh random UUID is taken as it
        is (two alike are to be expected only after some 2^61 names): measured against the
        cluster's S3 server, the HEAD was a third of a small file's write (4 of 12 ms of
        CPU, and one round trip more), for nothing."""
        cleaned = clean_name(name)
        if RANDOM_NAME.fullmatch(posixpath.basename(cleaned)) and (
            max_length is None or len(cleaned) <= max_length
        ):
            return cleaned
        available: str = super().get_available_name(name, max_length)
        return available

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        defaults.update(
            default_acl="private",
            file_overwrite=False,
            querystring_auth=True,
            signature_version="s3v4",
            # A file opened for writing keeps at most this much in memory, then spools to disk.
            max_memory_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
            transfer_config=_bounded_transfers(),
        )
        return defaults

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        raise ValueError("Private files have no public URL; they are sent by checked views.")

    def _create_session(self) -> boto3.Session:
        """django-storages keeps one S3 resource per thread (resources are not thread-safe),
        each from its own session. Here those sessions share one loader of the service
        descriptions, as clients of one session do: measured on the two-node cluster, every
        gunicorn request thread that first touched the store kept 13 MB more (a storm that
        woke all 16 threads: +216 MB that never went back); shared, a thread's resource
        costs well under 1 MB."""
        if self.session_profile:
            return super()._create_session()
        core = botocore.session.get_session()
        core.register_component("data_loader", _shared_loader())
        return boto3.Session(
            botocore_session=core,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.security_token,
        )

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            return super()._open(name, mode)
        return S3Stream(self, name)


class S3Stream(File):
    """A stored object opened for reading, fetched as it is read: one GET from the current
    position, read in chunks, so memory stays flat whatever the size. Seeking is lazy (the
    next read starts a ranged GET), which lets FileResponse and `File.chunks` seek as they do
    on disk. A missing object raises FileNotFoundError on open, as on disk."""

    def __init__(self, storage: PrivateS3Storage, name: str) -> None:
        key = storage._normalize_name(clean_name(name))
        self.object = storage.bucket.Object(key)
        try:
            self.object.load()
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"File does not exist: {name}") from None
            raise
        super().__init__(None, name)
        self.mode = "rb"
        self._size: int = self.object.content_length
        self._position = 0
        self._body: Any = None  # the StreamingBody of the current GET
        self._body_at = 0  # where in the object the current GET has got to
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def closed(self) -> bool:
        return self._closed

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("Negative seek position")
        self._position = base + offset
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        if self._closed:
            raise ValueError("I/O operation on closed file.")
        if self._position >= self._size:
            return b""
        if self._body is None or self._body_at != self._position:
            self._drop_body()
            self._body = self.object.get(Range=f"bytes={self._position}-")["Body"]
            self._body_at = self._position
        data: bytes = self._body.read(None if size is None or size < 0 else size)
        self._position += len(data)
        self._body_at = self._position
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> S3Stream:
        if mode not in (None, "rb"):
            raise ValueError("A stored object is opened for reading only here.")
        self._closed = False
        self._position = 0
        return self

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        self._closed = True


@contextmanager
def local_path(file: FieldFile) -> Iterator[str]:
    """A path on this machine to a stored file's bytes: the file itself on disk, or a
    temporary copy (made in chunks, removed afterwards) of an object in a remote store."""
    try:
        path = file.path
    except NotImplementedError:  # remote storage: no path
        path = None
    if path is not None:
        yield path
        return
    # In the upload temp folder, where anything a killed process leaves is swept.
    with tempfile.NamedTemporaryFile(dir=temp_dir(), suffix=".stored") as copy:
        with file.storage.open(file.name or "", "rb") as source:
            shutil.copyfileobj(source, copy, MB)
        copy.flush()
        yield copy.name


def warm_up() -> None:
    """Read botocore's description of S3 when a server process starts (gunicorn's
    post_worker_init, a Celery worker process's init) rather than in the first request or
    task that touches the store: measured on the cluster, about 185 ms of CPU that the first
    upload of every gunicorn worker paid on top of its own work. Each thread's own resource
    then costs about 10 ms (`PrivateS3Storage._create_session`). Nothing to do on disk."""
    for alias in (EVIDENCE, DOCUMENTS):
        store = storages[alias]
        if isinstance(store, PrivateS3Storage):
            store.connection  # noqa: B018  (made for this thread, models loaded for all)
            return


def get_evidence_storage() -> Storage:
    return storages[EVIDENCE]


def get_document_storage() -> Storage:
    return storages[DOCUMENTS]


class StoredFiles:
    """The files a write has put on storage so far (see `removed_on_error`)."""

    def __init__(self) -> None:
        self._files: list[tuple[Storage, str]] = []

    def add(self, file: FieldFile) -> None:
        """Track a saved FieldFile (`record.file` after `record.file.save(...)`)."""
        if file.name:
            self._files.append((file.storage, file.name))

    def add_name(self, storage: Storage, name: str) -> None:
        self._files.append((storage, name))

    def remove_all(self) -> None:
        for storage, name in reversed(self._files):
            try:
                storage.delete(name)
            except Exception:  # the original error matters more than a second one
                log.exception("Could not remove %s after a failed write", name)
        self._files.clear()

    def __len__(self) -> int:
        return len(self._files)


@contextmanager
def removed_on_error() -> Iterator[StoredFiles]:
    """Files stored inside the block are removed if the block raises: wrapped around a
    transaction, a failed write leaves neither rows (rolled back) nor files (removed)."""
    stored = StoredFiles()
    try:
        yield stored
    except BaseException:
        stored.remove_all()
        raise
