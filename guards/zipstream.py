"""One way to write a ZIP: members stored (not deflated: PDFs, photos and videos are
compressed already), with data descriptors and ZIP64 headers, into a small buffer that is
emptied after every chunk. Memory stays flat whatever the size of the archive, and over
4 GB works. Used by the evidence ZIP (streamed to the browser) and the report's dossier
(streamed into the private storage, see `StreamedFile`).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, BinaryIO, cast

from django.core.files.base import File
from django.utils import timezone

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Member:
    """One file of the ZIP: small `data` written at once, or a file `open`ed and copied a
    chunk at a time. `when` is its date in the ZIP (now when not given)."""

    path: str
    data: bytes | None = None
    open: Callable[[], BinaryIO] | None = None
    when: datetime | None = None


class _Sink:
    """A write-only file for zipfile: no seek, no tell, so zipfile writes data descriptors
    and never goes back. The generator empties it after every chunk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        data = bytes(data)
        self._chunks.append(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.size = 0
        return data


def zip_info(path: str, when: datetime | None = None) -> zipfile.ZipInfo:
    local = timezone.localtime(when) if when is not None else timezone.localtime()
    info = zipfile.ZipInfo(path, date_time=local.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def zip_stream(members: Iterable[Member], *, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The ZIP's bytes: one chunk after each small member, one per `chunk_size` read from a
    large one, then the central directory."""
    sink = _Sink()
    archive = zipfile.ZipFile(
        cast(IO[bytes], sink), mode="w", compression=zipfile.ZIP_STORED, allowZip64=True
    )
    for member in members:
        info = zip_info(member.path, member.when)
        if member.open is None:
            archive.writestr(info, member.data or b"")
            yield sink.drain()
            continue
        with member.open() as source, archive.open(info, mode="w", force_zip64=True) as target:
            while chunk := source.read(chunk_size):
                target.write(chunk)
                yield sink.drain()
        # The data descriptor (CRC and sizes) is written when the entry closes.
        if sink.size:
            yield sink.drain()
    archive.close()  # central directory
    yield sink.drain()


class StreamedFile(File):
    """Chunks (e.g. from `zip_stream`) as a Django File for `Storage.save`, read once; their
    SHA-256 and size are computed as they pass. A storage on disk asks `chunks()`; one in S3
    `read(size)` (boto3 uploads it in parts), which keeps at most one chunk besides."""

    def __init__(self, chunks: Iterable[bytes], name: str):
        super().__init__(None, name)
        self._source = chunks
        self._counted = self._counting()
        self._pending = b""
        self.digest = hashlib.sha256()
        self.written = 0

    def _counting(self) -> Iterator[bytes]:
        for chunk in self._source:
            if chunk:
                self.digest.update(chunk)
                self.written += len(chunk)
                yield chunk

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self._pending:
            yield self._pending
            self._pending = b""
        yield from self._counted

    def read(self, size: int | None = -1) -> bytes:
        parts = [self._pending]
        have = len(self._pending)
        while size is None or size < 0 or have < size:
            chunk = next(self._counted, b"")
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        if size is None or size < 0:
            self._pending = b""
            return data
        self._pending = data[size:]
        return data[:size]

    def seekable(self) -> bool:
        return False

    def __bool__(self) -> bool:
        return True
