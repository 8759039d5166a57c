"""Per-address rate limits on public views, checked before the request body is read.

A view marked `@rate_limited(GET="SETTING", POST="SETTING")` is limited per client address
(guards.net) at the rates those settings name ("60/m", "10/h": django-ratelimit's syntax).
The check runs in RateLimitMiddleware.process_view, which must come before
CsrfViewMiddleware: that one reads request.POST, and with it the whole upload.

The counters live in the "default" cache: per process with the local-memory cache, so with
several server processes the effective rate is that many times the setting unless the cache
is shared (Redis, Memcached, the database cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django_ratelimit.core import get_usage

from guards.net import client_network

View = TypeVar("View", bound=Callable[..., Any])


def rate_limited(**setting_by_method: str) -> Callable[[View], View]:
    """Mark a view as limited per address, e.g. `@rate_limited(GET="VERIFY_RATE_GET")`."""

    def mark(view: View) -> View:
        view.rate_limits = {method.upper(): name for method, name in setting_by_method.items()}  # type: ignore[attr-defined]
        return view

    return mark


def _address(group: str, request: HttpRequest) -> str:
    return client_network(request)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    minutes = max(1, -(-retry_after // 60))
    message = (
        "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. "
        f"Vui lòng thử lại sau khoảng {minutes} phút."
    )
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Place before CsrfViewMiddleware (its process_view runs first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        # HEAD runs the GET view and costs as much.
        method = "GET" if request.method == "HEAD" else request.method
        setting = getattr(view_func, "rate_limits", {}).get(method)
        if setting is None:
            return None
        usage = get_usage(
            request,
            group=f"{view_func.__module__}.{view_func.__name__}:{method}",
            key=_address,
            rate=getattr(settings, setting),
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return None
        return too_many(request, max(usage["time_left"], 1))
