"""Logins, logouts, failures and lockouts. Django (and django-axes) only announce these by
signal, so this is the one place the audit trail listens to signals; everything else is
recorded by the service that does it."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest
from django.utils import timezone

from audit.context import bound
from audit.middleware import origin_of
from audit.models import AuditEntry
from audit.services import audit_record

Action = AuditEntry.Action


def _from(request: HttpRequest | None) -> AbstractContextManager[None]:
    """Record with the request's own origin (logins also happen outside the middleware, e.g.
    the test client's force_login)."""
    return bound(origin_of(request)) if request is not None else nullcontext()


def logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    with _from(request):
        audit_record(action=Action.LOGIN, user=user, summary="Đăng nhập thành công")


def logged_out(
    sender: Any, request: HttpRequest | None, user: User | AnonymousUser | None, **kwargs: Any
) -> None:
    if user is None:
        return
    with _from(request):
        audit_record(action=Action.LOGOUT, user=user, summary="Đăng xuất")


def _typed(username: object) -> str:
    """A username as someone typed it, fit to store and to look up (no NUL, not too long)."""
    return str(username or "").replace("\x00", "")[:150]


def _account(username: str) -> AbstractBaseUser | None:
    """The account a username names (for the commune whose leaders should see attempts)."""
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def _attempt(
    action: str,
    request: HttpRequest | None,
    username: str,
    summary: str,
    details: dict[str, Any],
) -> None:
    account = _account(username)
    details = {**details, "account_exists": account is not None}
    membership = getattr(account, "membership", None) if account is not None else None
    with _from(request):
        audit_record(
            action=action,
            username=username,
            commune=membership.commune if membership is not None else None,
            target=account,
            target_label=f"Tài khoản {username}" if account is not None else "",
            summary=summary,
            details=details,
        )


def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # While django-axes keeps an account or address locked, further attempts are refused
    # before the password is checked: the lockout entry already says so, and recording each
    # one would let anyone grow the trail at will.
    if request is not None and getattr(request, "axes_locked_out", False):
        return
    username = _typed(credentials.get("username"))
    _attempt(
        Action.LOGIN_FAILED,
        request,
        username,
        f"Đăng nhập thất bại với tên “{username}”",
        {},
    )


def locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    username = _typed(username)
    # django-axes announces the lockout again at every attempt it refuses; one entry per
    # lockout (account and address) says it, more would let anyone grow the trail at will.
    since = timezone.now() - _cooloff()
    if AuditEntry.objects.filter(
        action=Action.LOCKED_OUT,
        username=username,
        details__ip_address=ip_address or "",
        at__gte=since,
    ).exists():
        return
    _attempt(
        Action.LOCKED_OUT,
        request,
        username,
        f"Tạm khóa đăng nhập sau nhiều lần sai: “{username}”",
        {"ip_address": ip_address or ""},
    )


def _cooloff() -> dt.timedelta:
    value = getattr(settings, "AXES_COOLOFF_TIME", None)
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(minutes=15)


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="audit_login_failed")
    # django-axes is optional: its signals module needs its app installed.
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out  # noqa: PLC0415 (optional app)

        user_locked_out.connect(locked_out, dispatch_uid="audit_locked_out")
