"""Write actions of the accounts app: the second factor, sessions, unlocking a login."""

from __future__ import annotations

import re
import time
from base64 import b32encode
from datetime import timedelta
from importlib import import_module
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from audit.services import Action, audit_record

TOTP_NAME = "Ứng dụng xác thực"
RECOVERY_NAME = "Mã khôi phục"

# Session keys.
LOGIN_AT = "accounts_login_at"
LAST_SEEN = "accounts_last_seen"
TRACKED_KEY = "accounts_session_key"
HAS_DEVICE = "accounts_has_device"  # asked for the code before anything else
SHOW_CODES = "accounts_recovery_codes"  # shown once after they are made


# -- sessions ------------------------------------------------------------------------------------


def session_track(*, user: User, request: HttpRequest) -> None:
    """Remember the current session key (it changes at login, password change, second factor)
    so that the sessions of a user can be ended from elsewhere."""
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    previous = request.session.get(TRACKED_KEY)
    if previous and previous != key:
        UserSession.objects.filter(session_key=previous).delete()
    UserSession.objects.update_or_create(session_key=key, defaults={"user": user})
    request.session[TRACKED_KEY] = key


def session_start(*, user: User, request: HttpRequest) -> None:
    """After a password login (portal, admin, or a test's force_login)."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now
    request.session[HAS_DEVICE] = django_otp.user_has_device(user)
    cutoff = timezone.now() - timedelta(hours=settings.SESSION_MAX_HOURS)
    UserSession.objects.filter(user=user, started_at__lt=cutoff).delete()
    session_track(user=user, request=request)


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def sessions_end(*, user: User, keep: str | None = None) -> int:
    """Log the user out everywhere (but in the session `keep`)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


# -- lockout -------------------------------------------------------------------------------------


def _audit(
    action: str,
    *,
    by: User | AnonymousUser | None,
    account: User | None,
    summary: str,
    **details: Any,
) -> None:
    """Account security events go to the audit trail under the account's own commune, so
    its leaders see them too."""
    membership = getattr(account, "membership", None) if account is not None else None
    audit_record(
        action=action,
        user=by,
        commune=membership.commune if membership is not None else None,
        target=account,
        target_label=f"Tài khoản {account.get_username()}" if account is not None else "",
        summary=summary,
        details=details or None,
    )


def _person(account: User) -> str:
    name = account.get_full_name() or account.get_username()
    return f"{name} ({account.get_username()})"


@transaction.atomic
def login_unlock(*, username: str, by: User | None = None) -> int:
    """Forget the failed logins of an account (not of the addresses they came from)."""
    cleared = AxesProxyHandler.reset_attempts(username=username)
    account = get_user_model().objects.filter(username=username).first()
    _audit(
        Action.LOGIN_UNLOCK,
        by=by,
        account=account,
        summary=f"Mở khóa đăng nhập của {_person(account) if account else username}",
        cleared=cleared,
    )
    return cleared


@transaction.atomic
def password_changed(*, user: User) -> None:
    """Record that a user changed their own password (never the password)."""
    _audit(Action.PASSWORD_CHANGE, by=user, account=user, summary=f"{_person(user)} đổi mật khẩu")


# -- second factor -------------------------------------------------------------------------------


def totp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def two_factor_enrol_start(*, user: User) -> TOTPDevice:
    """The device being enrolled: the same secret until it is confirmed, so a reload does not
    invalidate a QR code already scanned."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def recovery_codes_replace(*, user: User) -> list[str]:
    """New single-use recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        _audit(
            Action.TWO_FACTOR_CODES,
            by=user,
            account=user,
            summary=f"{_person(user)} tạo mã khôi phục mới",
        )
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def two_factor_enrol_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """The first code from the app confirms the device; returns the recovery codes."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("Thiết bị này không chờ xác nhận.")
    _refuse_while_throttled([device])
    verified = django_otp.verify_token(user, device.persistent_id, _normalise(code))
    if verified is None:
        raise ValidationError(
            "Mã không đúng. Hãy nhập mã 6 chữ số đang hiện trong ứng dụng xác thực "
            "(kiểm tra giờ của điện thoại)."
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        _audit(
            Action.TWO_FACTOR_ENROL,
            by=user,
            account=user,
            summary=f"{_person(user)} cài đặt ứng dụng xác thực hai lớp",
        )
        return _new_recovery_codes(user)


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def second_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts this code: six digits from the app, or a recovery code (which
    is used up). Wrong codes slow the next attempt down (1, 2, 4, ... seconds)."""
    token = _normalise(code)
    if re.fullmatch(r"\d{6}", token):
        candidates = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    elif re.fullmatch(r"[a-z2-7]{8}", token):
        candidates = StaticDevice.objects.devices_for_user(user, confirmed=True)
    else:
        raise ValidationError("Hãy nhập mã 6 chữ số, hoặc một mã khôi phục 8 ký tự.")
    candidates = list(candidates)
    _refuse_while_throttled(candidates)
    for device in candidates:
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    raise ValidationError("Mã không đúng hoặc đã được dùng.", code="wrong")


def _refuse_while_throttled(devices: list[Device]) -> None:
    """After a wrong code a device waits 1, 2, 4, ... seconds before it checks another."""
    waits = [
        data["locked_until"] for ok, data in (d.verify_is_allowed() for d in devices) if not ok
    ]
    if waits:
        until = timezone.localtime(max(waits))
        raise ValidationError(
            f"Đã nhập sai nhiều lần. Hãy đợi đến {until:%H:%M:%S} rồi nhập lại.",
            code="throttled",
        )


def two_factor_reset(*, user: User, keep_session: str | None = None, by: User | None = None) -> int:
    """Remove the user's app and recovery codes, and end their other sessions (all of them
    when an administrator resets). Returns how many sessions were ended."""
    by = by or user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _audit(
            Action.TWO_FACTOR_RESET,
            by=by,
            account=user,
            summary=f"Đặt lại xác thực hai lớp của {_person(user)}",
        )
    return sessions_end(user=user, keep=keep_session)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
