from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from audit.context import Origin, bound
from guards.net import client_ip

USER_AGENT_MAX = 300


def origin_of(request: HttpRequest) -> Origin:
    return Origin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    )


class AuditContextMiddleware:
    """Make the request's address and browser known to `audit_record` while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with bound(origin_of(request)):
            return self.get_response(request)
