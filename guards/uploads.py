"""Which requests may carry files, how many and how large, decided before the body is read.

Django spools every file of a multipart request to disk as soon as anything reads
`request.POST` (the CSRF check does, even on the login page). Here files are accepted only by
views marked with `@accepts_files(...)` (and by the admin, for staff), only from the people
the mark allows, and a request whose declared length exceeds what the view accepts is
answered 413 with a Vietnamese message before a byte of it is read. Everywhere else a
request body is capped at DATA_UPLOAD_MAX_MEMORY_SIZE and any file part is dropped unread.

Uploads are spooled to FILE_UPLOAD_TEMP_DIR; what a killed process left there is swept
after UPLOAD_TEMP_MAX_AGE seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    SkipFile,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

log = logging.getLogger(__name__)
# Room for the form's other fields and the multipart boundaries around the files.
ENVELOPE = 256 * 1024

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class UploadPolicy:
    max_size_setting: str = "EVIDENCE_MAX_UPLOAD_SIZE"
    max_files: int = 1
    anonymous: bool = False
    staff_only: bool = False

    @property
    def max_size(self) -> int:
        return int(getattr(settings, self.max_size_setting))

    def allows(self, user: User | AnonymousUser) -> bool:
        if self.anonymous:
            return True
        if not user.is_authenticated:
            return False
        return user.is_staff if self.staff_only else True


# The admin takes criteria workbooks, signing keys and images, from staff only.
ADMIN_POLICY = UploadPolicy(max_size_setting="ADMIN_MAX_UPLOAD_SIZE", max_files=2, staff_only=True)


def accepts_files(
    *,
    max_size_setting: str = "EVIDENCE_MAX_UPLOAD_SIZE",
    max_files: int = 1,
    anonymous: bool = False,
) -> Callable[[View], View]:
    """Mark a view as one that takes uploaded files (by default one, from a signed-in user)."""
    policy = UploadPolicy(
        max_size_setting=max_size_setting, max_files=max_files, anonymous=anonymous
    )

    def mark(view: View) -> View:
        view.upload_policy = policy  # type: ignore[attr-defined]
        return view

    return mark


def human_size(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 1 else f"{size // 1024} KB"


def too_large_message(limit: int) -> str:
    return f"Tệp lớn hơn giới hạn {human_size(limit)}."


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler (no file is held whole in memory), but a file over the
    size limit is dropped as it arrives and its name noted in `request.oversize_uploads`, and
    files beyond the policy's count are dropped and noted in `request.extra_uploads`."""

    def __init__(
        self, request: HttpRequest | None = None, *, max_size: int, max_files: int
    ) -> None:
        super().__init__(request)
        self.max_size = max_size
        self.max_files = max_files
        self.files_seen = 0

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        self.files_seen += 1
        if self.files_seen > self.max_files:
            _note(self.request, "extra_uploads", file_name)
            # The parser closes `self.file` on SkipFile: that is the previous, accepted file.
            self.__dict__.pop("file", None)
            raise SkipFile()  # before super() creates a temporary file
        temp_dir()
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_size:
            _note(self.request, "oversize_uploads", self.file_name)
            self.upload_interrupted()
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


class RefuseFilesHandler(FileUploadHandler):
    """For every view that takes no file: file parts are skipped, never written anywhere."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        _note(self.request, "refused_uploads", self.file_name)
        raise SkipFile()

    def receive_data_chunk(
        self, raw_data: bytes, start: int
    ) -> None:  # pragma: no cover - never reached
        return None

    def file_complete(self, file_size: int) -> None:
        return None


def _note(request: HttpRequest | None, attribute: str, name: str | None) -> None:
    if request is None:
        return
    names = getattr(request, attribute, [])
    names.append(name or "")
    setattr(request, attribute, names)


def policy_for(request: HttpRequest) -> UploadPolicy | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if "admin" in match.namespaces:
        return ADMIN_POLICY
    return getattr(match.func, "upload_policy", None)


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads no body it cannot size


def _too_large(request: HttpRequest, message: str) -> HttpResponse:
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {"results": [{"name": "", "status": "refused", "message": message}]}, status=413
        )
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    response = render(request, "413.html", {"message": message, "back": back}, status=413)
    # The body was not read: the connection cannot carry another request.
    response["Connection"] = "close"
    return response


class UploadPolicyMiddleware:
    """Place after AuthenticationMiddleware and before anything that reads request.POST."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        _sweep_now_and_then()
        length = _declared_length(request)
        policy = policy_for(request)
        if policy is not None and policy.allows(request.user):
            limit = policy.max_size
            if length > limit * policy.max_files + ENVELOPE:
                return _too_large(request, too_large_message(limit))
            request.upload_handlers = [
                SizeLimitedUploadHandler(request, max_size=limit, max_files=policy.max_files)
            ]
        else:
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE + ENVELOPE:
                return _too_large(request, "Yêu cầu quá lớn: trang này không nhận tệp tải lên.")
            request.upload_handlers = [RefuseFilesHandler(request)]
        return self.get_response(request)


# -- Temporary files left by killed processes -------------------------------------------------

_last_sweep = 0.0
_sweep_lock = threading.Lock()


def temp_dir() -> Path:
    path = Path(settings.FILE_UPLOAD_TEMP_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep_temp(max_age: float | None = None, now: float | None = None) -> list[Path]:
    """Remove upload temp files older than `max_age` seconds; returns what was removed."""
    max_age = settings.UPLOAD_TEMP_MAX_AGE if max_age is None else max_age
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(temp_dir()))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > max_age:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone meanwhile, or not ours to remove
    if removed:
        log.info("Removed %d stale upload temp files", len(removed))
    return removed


def _sweep_now_and_then() -> None:
    global _last_sweep
    now = time.monotonic()
    if now - _last_sweep < settings.UPLOAD_TEMP_SWEEP_INTERVAL:
        return
    with _sweep_lock:
        if now - _last_sweep < settings.UPLOAD_TEMP_SWEEP_INTERVAL:
            return
        _last_sweep = now
    sweep_temp()
