"""The portal's private file storages, and cleaning up after a write that failed.

Evidence files and issued documents live in storages configured in Django's `STORAGES`
under the aliases "evidence" and "documents". By default both are `PrivateStorage`: a folder
under MEDIA_ROOT that no URL points at, so files are only sent by the permission-checked
views. Another backend (e.g. an S3 bucket) is a change of `STORAGES` only.

Models give FileField the `get_*_storage` callables rather than an instance, so migrations
name a function instead of freezing the MEDIA_ROOT of whoever ran makemigrations.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db.models.fields.files import FieldFile
from django.utils.functional import cached_property

log = logging.getLogger(__name__)

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
