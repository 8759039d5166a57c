"""Where the current action comes from (address, browser), set once per request by
`audit.middleware.AuditContextMiddleware` so services record it without seeing the request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str = ""
    user_agent: str = ""


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def current() -> Origin:
    """The origin of the request being served; empty for commands and background work."""
    return _origin.get() or Origin()


@contextmanager
def bound(origin: Origin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def carried() -> dict[str, str]:
    """The current origin as a job's parameter, so that work done later in the worker for
    this request is recorded as coming from where the request came from."""
    origin = current()
    return {"ip": origin.ip, "user_agent": origin.user_agent}


def restored(data: dict[str, str] | None) -> AbstractContextManager[None]:
    """`bound` to an origin `carried` by a job's parameters (none: background work)."""
    data = data or {}
    return bound(Origin(ip=data.get("ip", ""), user_agent=data.get("user_agent", "")))
