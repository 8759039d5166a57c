"""Lockout after wrong passwords (django-axes), with two limits and a Vietnamese answer.

Axes compares one number with one limit. Here an account is locked after AXES_FAILURE_LIMIT
failures and an address after LOGIN_ADDRESS_FAILURE_LIMIT failures (for any account): the
staff of a commune office reach the portal from one public address, and one person's typos
must not lock out the whole office.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone


def _failures(request: HttpRequest, credentials: dict | None) -> tuple[list, list]:
    """(time, count) of the recent attempts recorded for this account and this address."""
    since = request.axes_attempt_time - get_cool_off(request)  # type: ignore[attr-defined]
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    fields = ("attempt_time", "failures_since_start")
    username = get_client_username(request, credentials)
    by_account = list(recent.filter(username=username).values_list(*fields)) if username else []
    by_address = list(recent.filter(ip_address=request.axes_ip_address).values_list(*fields))  # type: ignore[attr-defined]
    return by_account, by_address


def _free_at(rows: list, limit: int, cool_off: timedelta) -> datetime | None:
    """When the oldest attempts will have aged out enough to fall under the limit."""
    total = sum(count for _, count in rows)
    free = None
    for at, count in sorted(rows):
        if total < limit:
            break
        total -= count
        free = at + cool_off
    return free


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_account, by_address = _failures(request, credentials)
        account = sum(count for _, count in by_account)
        if sum(count for _, count in by_address) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account


def locked_until(request: HttpRequest, credentials: dict | None = None) -> datetime:
    by_account, by_address = _failures(request, credentials)
    cool_off = get_cool_off(request)
    ends = [
        _free_at(by_account, get_failure_limit(request, credentials), cool_off),
        _free_at(by_address, settings.LOGIN_ADDRESS_FAILURE_LIMIT, cool_off),
    ]
    return max((end for end in ends if end), default=timezone.now() + cool_off)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """429 with the time the lockout ends, as a page or (for scripts) as JSON."""
    until = locked_until(request, credentials)
    seconds = max(int((until - timezone.now()).total_seconds()), 1)
    minutes = -(-seconds // 60)
    local = timezone.localtime(until)
    message = (
        f"Đăng nhập tạm thời bị khóa do nhập sai mật khẩu nhiều lần. "
        f"Hãy thử lại sau {local:%H:%M} (khoảng {minutes} phút nữa), "
        f"hoặc đề nghị quản trị viên mở khóa."
    )
    response: HttpResponse
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": message, "retry_after": seconds}, status=429)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": message, "until": local, "minutes": minutes},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
