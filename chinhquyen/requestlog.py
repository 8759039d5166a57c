"""A request id on every request and every log line, and one log line per request.

`RequestIdMiddleware` (first in MIDDLEWARE) takes the X-Request-ID header a load balancer or
proxy sent when it is sane (short, letters, digits and `._-`), or makes one; it returns it in
the response's X-Request-ID header and keeps it in a context variable for the duration of
the request, so that `RequestIdFilter`, on the console handler, adds it to every record
logged meanwhile (`-` outside a request). With REQUEST_LOG on (the default when
LOG_FORMAT=json) it logs one line per request on the "portal.request" logger with the
method, path, status, duration_ms and cpu_ms (the CPU time the request's thread used: far
below duration_ms, the request waited for the database, the store or a processor) as fields
of the record, which the JSON formatter writes as keys.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
NONE = "-"

request_id: ContextVar[str] = ContextVar("request_id", default=NONE)
log = logging.getLogger("portal.request")


def current_request_id() -> str:
    """The id of the request being handled by this thread, or "-"."""
    return request_id.get()


def _incoming(request: HttpRequest) -> str | None:
    value = request.headers.get(HEADER, "")
    return value if SANE.fullmatch(value) else None


class RequestIdMiddleware:
    """Gives each request an id (the caller's if sane), on the response and in the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        rid = _incoming(request) or uuid.uuid4().hex
        token = request_id.set(rid)
        started, cpu_started = time.monotonic(), time.thread_time()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            if settings.REQUEST_LOG:
                log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                        "cpu_ms": round((time.thread_time() - cpu_started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (on the handler, so third-party loggers get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True
