"""A limit on guessing a signing key's passphrase or PIN.

After SIGNING_FAILURE_LIMIT wrong secrets by one person on one key (or
SIGNING_KEY_FAILURE_LIMIT by anyone on that key) within SIGNING_FAILURE_WINDOW_MINUTES, the
key refuses further tries until the oldest of them leaves the window; a successful signature
clears the person's count.

Counted in the database, not the cache: the count must hold across the server's processes
and survive a restart (the default cache lives inside one process), and it is tiny (one row
per recent wrong try).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reports.models import SigningAttempt, SigningKey

T = TypeVar("T")
WRONG_SECRET = "wrong_secret"  # the ValidationError code for a passphrase or PIN that failed


def _window() -> timedelta:
    return timedelta(minutes=settings.SIGNING_FAILURE_WINDOW_MINUTES)


def _free_at(times: list[datetime], limit: int) -> datetime | None:
    """When fewer than `limit` of these (ascending) tries will be inside the window."""
    if len(times) < limit:
        return None
    return times[len(times) - limit] + _window()


def _recent(key: SigningKey, user: User) -> tuple[list[datetime], list[datetime]]:
    rows = SigningAttempt.objects.filter(key=key, at__gte=timezone.now() - _window())
    every = sorted(rows.values_list("user_id", "at"), key=lambda row: row[1])
    return [at for user_id, at in every if user_id == user.pk], [at for _, at in every]


def signing_attempt_start(*, key: SigningKey, user: User) -> SigningAttempt:
    """Refuse while the key is blocked for this person; otherwise record the try."""
    now = timezone.now()
    with transaction.atomic():
        # One try at a time per key, so parallel requests cannot slip past the count.
        SigningKey.objects.select_for_update().filter(pk=key.pk).exists()
        SigningAttempt.objects.filter(key=key, at__lt=now - _window()).delete()
        mine, every = _recent(key, user)
        ends = [
            _free_at(mine, settings.SIGNING_FAILURE_LIMIT),
            _free_at(every, settings.SIGNING_KEY_FAILURE_LIMIT),
        ]
        until = max((end for end in ends if end), default=None)
        if until is not None:
            local = timezone.localtime(until)
            minutes = max(-(-int((until - now).total_seconds()) // 60), 1)
            raise ValidationError(
                f"Mật khẩu (mã PIN) của khóa ký “{key.label}” đã bị nhập sai nhiều lần. "
                f"Tạm ngừng ký bằng khóa này đến {local:%H:%M} (khoảng {minutes} phút nữa).",
                code="signing_locked",
            )
        return SigningAttempt.objects.create(key=key, user=user, at=now)


def _after_wrong_secret(attempt: SigningAttempt, error: ValidationError) -> ValidationError:
    """The message of a wrong secret, with how many tries are left."""
    mine, every = _recent(attempt.key, attempt.user)
    left = min(
        settings.SIGNING_FAILURE_LIMIT - len(mine),
        settings.SIGNING_KEY_FAILURE_LIMIT - len(every),
    )
    if left > 0:
        note = f"Còn {left} lần thử trước khi khóa ký này tạm ngừng."
    else:
        note = (
            f"Đã nhập sai quá số lần cho phép: tạm ngừng ký bằng khóa này "
            f"{settings.SIGNING_FAILURE_WINDOW_MINUTES} phút."
        )
    return ValidationError([*error.messages, note])


def signing_attempts_limited(sign: Callable[..., T]) -> Callable[..., T]:
    """For a signing service taking `key=` and `by=`: counts a wrong passphrase or PIN (the
    service raises ValidationError with code WRONG_SECRET), forgets a try that failed for
    another reason, and clears the person's tries on that key when signing succeeds."""

    @functools.wraps(sign)
    def wrapper(*, key: SigningKey, by: User, **kwargs: Any) -> T:
        attempt = signing_attempt_start(key=key, user=by)
        try:
            result = sign(key=key, by=by, **kwargs)
        except ValidationError as error:
            if getattr(error, "code", None) == WRONG_SECRET:
                raise _after_wrong_secret(attempt, error) from None
            attempt.delete()
            raise
        except BaseException:
            attempt.delete()
            raise
        SigningAttempt.objects.filter(key=key, user=by).delete()
        return result

    return wrapper
